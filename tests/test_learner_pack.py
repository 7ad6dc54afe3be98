"""The learner pack: every lesson and exercise, no solution or facilitator answer, plain Markdown that JupyterLab
shows as intended, a cell to answer each exercise in, and outputs kept in one variant and cleared in the other."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import learner_pack  # noqa: E402  (scripts/ is not a package)

SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
RAW_MYST = re.compile(r"\{[a-z][\w:-]*\}`|```\{|:::\{|^:(label|class):", re.M)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack") / "pack"
    subprocess.run([sys.executable, ROOT / "scripts" / "learner_pack.py", out], check=True, capture_output=True)
    return out


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def markdown(notebook):
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_solution_no_raw_myst_and_a_cell_for_every_exercise(pack, source):
    original = load(source)
    exercises = len(re.findall(r"`{3,}\{exercise\}", markdown(original)))
    for variant in learner_pack.VARIANTS:
        notebook = load(pack / variant / source.name)
        text = markdown(notebook)
        assert not RAW_MYST.search(text), f"{variant}/{source.name}: raw MyST left: {RAW_MYST.search(text)[0]}"
        assert "{solution" not in text and "Answer for the facilitator" not in text
        kept = [cell for cell in original["cells"] if "solution" not in cell["metadata"].get("tags", [])]
        answers = [cell for cell in notebook["cells"] if learner_pack.ANSWER_TAG in cell["metadata"].get("tags", [])]
        assert len(answers) == exercises, f"{source.name}: {exercises} exercises but {len(answers)} answer cells"
        assert len(notebook["cells"]) == len(kept) + len(answers), f"{source.name}: cells other than solutions lost"
        for index, cell in enumerate(notebook["cells"]):
            if cell in answers:
                above = "".join(notebook["cells"][index - 1]["source"])
                assert "Exercise:" in above, f"{source.name}: an answer cell is not under its exercise"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_outputs_kept_in_one_variant_cleared_in_the_other_and_widgets_never_shown_as_text(pack, source):
    original_outputs = sum(len(cell.get("outputs", [])) for cell in load(source)["cells"]
                           if "solution" not in cell["metadata"].get("tags", []))
    kept = load(pack / "with-outputs" / source.name)
    outputs = [out for cell in kept["cells"] for out in cell.get("outputs", [])]
    assert not any(WIDGET_VIEW in out.get("data", {}) for out in outputs)
    assert original_outputs == 0 or outputs, f"{source.name}: the with-outputs variant lost its outputs"
    cleared = load(pack / "without-outputs" / source.name)
    assert all(not cell.get("outputs") for cell in cleared["cells"])


def test_faded_code_moves_into_the_answer_cell_and_roles_become_plain_text():
    faded: list[str] = []
    text = learner_pack.plain_markdown(
        "See {term}`purpose specification` and {doc}`the last lesson <06-deterministic-linkage>`"
        " {cite:p}`icocode`.\n\n"
        "````{exercise} Fill the rule\n:label: x-ex\n:class: no-code\n\nWhich field?\n\n"
        "```python\nrule = [____]\n```\n````", faded)
    assert faded == ["rule = [____]\n"]
    assert "purpose specification" in text and "[the last lesson](06-deterministic-linkage.ipynb)" in text
    assert "icocode" not in text and "### Exercise: Fill the rule *(no code needed)*" in text
    assert "rule = [____]" not in text


def test_an_untagged_solution_or_unknown_directive_stops_the_pack():
    with pytest.raises(learner_pack.PackError, match="not tagged"):
        learner_pack.plain_markdown("```{solution-start} x\n```")
    with pytest.raises(learner_pack.PackError, match="mermaid"):
        learner_pack.plain_markdown("```{mermaid}\ngraph\n```")


def test_learner_pack_refuses_to_overwrite(tmp_path):
    (tmp_path / "notes.txt").write_text("a learner's own work", encoding="utf-8")
    result = subprocess.run([sys.executable, ROOT / "scripts" / "learner_pack.py", tmp_path], capture_output=True,
                            text=True)
    assert result.returncode == 1 and "learners' work" in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "a learner's own work"


def test_glued_figures_become_their_stored_values():
    import nbformat

    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("glue(...)")
    code.outputs = [nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "2264"},
        metadata={"scrapbook": {"name": "unique", "mime_prefix": "application/papermill.record/"}})]
    notebook.cells = [code, nbformat.v4.new_markdown_cell("{glue:text}`unique:,d` records, {glue}`unique` unique.")]
    pack = learner_pack.learner_version(notebook, keep_outputs=True)
    assert pack.cells[1].source == "2,264 records, 2264 unique."
    assert pack.cells[0].outputs == [], "a glued value is shown in the prose, not as an output JupyterLab cannot draw"
    with pytest.raises(learner_pack.PackError, match="never glues"):
        learner_pack.plain_markdown("{glue:text}`missing`", glued={})
