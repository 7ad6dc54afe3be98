"""Figures the lessons' prose quotes come from the code, through MyST-NB glue, and each is stored before its use."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
GLUE_PREFIX = "application/papermill.record/"
USE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")


def glued(cell: dict) -> list[str]:
    return [out["metadata"]["scrapbook"]["name"] for out in cell.get("outputs", [])
            if any(key.startswith(GLUE_PREFIX) for key in out.get("data", {}))]


def used(cell: dict) -> list[str]:
    names = []
    for text in USE.findall("".join(cell["source"])):
        name = text.rsplit(":", 1)[0] if ":" in text and "::" not in text else text
        names.append(name)
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_glued_figure_is_stored_before_the_prose_that_quotes_it(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    stored: set[str] = set()
    for number, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            stored.update(glued(cell))
        else:
            missing = [name for name in used(cell) if name not in stored]
            assert not missing, f"{path.name} cell {number} quotes {missing} before any cell glues them"


def test_glued_names_start_with_their_lesson_and_are_unique_in_the_book():
    owner: dict[str, str] = {}
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        names = {name for cell in cells for name in glued(cell)}
        for name in names:
            assert name.startswith(f"l{path.name[:2]}_"), f"{path.name}: glue name {name!r} lacks its lesson prefix"
            assert name not in owner, f"{name!r} is glued in both {owner.get(name)} and {path.name}"
            owner[name] = path.name
