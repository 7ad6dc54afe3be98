"""The learner pack keeps every lesson and exercise but no solution and no output."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_learner_pack_removes_solutions_and_outputs(tmp_path):
    out = tmp_path / "pack"
    subprocess.run([sys.executable, ROOT / "scripts" / "learner_pack.py", out], check=True, capture_output=True)
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert sorted(p.name for p in out.glob("*.ipynb")) == [p.name for p in sources]
    for source in sources:
        original = json.loads(source.read_text(encoding="utf-8"))
        pack = json.loads((out / source.name).read_text(encoding="utf-8"))
        text = "\n".join("".join(cell["source"]) for cell in pack["cells"])
        assert "{solution" not in text, f"{source.name}: a solution survived"
        assert "```{exercise}" in text, f"{source.name}: the exercises were lost"
        assert all(not cell.get("outputs") for cell in pack["cells"]), f"{source.name}: outputs survived"
        kept = [c for c in original["cells"] if "solution" not in c["metadata"].get("tags", [])]
        assert len(pack["cells"]) == len(kept), f"{source.name}: cells other than solutions were removed"


def test_learner_pack_refuses_to_overwrite(tmp_path):
    (tmp_path / "notes.txt").write_text("a learner's own work", encoding="utf-8")
    result = subprocess.run([sys.executable, ROOT / "scripts" / "learner_pack.py", tmp_path], capture_output=True,
                            text=True)
    assert result.returncode == 1 and "not empty" in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "a learner's own work"
