"""The book is written in our own words: no page repeats a long run of words from the source documents.

Names of laws, organisations and reports are shorter than the run length, so quoting a title is fine; copying a
sentence is not. The sources live in the shared project folder beside the repository; the test skips without it.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
RUN = 12  # words in a row shared with a source that count as copying
PAGES = [ROOT / "index.md", *sorted((ROOT / "chapters").glob("*.md")), *sorted((ROOT / "notebooks").glob("*.ipynb"))]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def page_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def source_runs():
    if not SEEDS:
        pytest.skip("source documents not found beside the repository (../shared/seeds)")
    runs = set()
    for seed in SEEDS:
        w = words(seed.read_text(encoding="utf-8"))
        runs.update(tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1))
    return runs


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_does_not_copy_the_sources(path, source_runs):
    w = words(page_text(path))
    copied = [" ".join(w[i:i + RUN]) for i in range(len(w) - RUN + 1) if tuple(w[i:i + RUN]) in source_runs]
    assert not copied, f"{path.name} repeats the source documents word for word; rewrite: {copied[:3]}"
