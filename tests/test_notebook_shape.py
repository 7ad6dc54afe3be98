"""Every course notebook keeps the lesson shape that the book, the schedule and CI rely on."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
LESSON_KEYS = {"title", "questions", "objectives", "teaching_minutes", "exercise_minutes", "prerequisites"}
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(root|work|home|tmp|Users)/[A-Za-z]")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def outputs(cell):
    return cell.get("outputs", []) if cell["cell_type"] == "code" else []


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_name_and_lesson_metadata(path):
    assert re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", path.name), f"{path.name}: name must be NN-topic.ipynb"
    lesson = load(path)["metadata"].get("lesson", {})
    missing = LESSON_KEYS - lesson.keys()
    assert not missing, f"{path.name}: lesson metadata lacks {sorted(missing)}"
    assert lesson["questions"] and lesson["objectives"], f"{path.name}: no questions or objectives"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chart_has_alt_text(path):
    for index, cell in enumerate(load(path)["cells"]):
        if any("image/png" in out.get("data", {}) for out in outputs(cell)):
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 20, f"{path.name} cell {index}: chart without meaningful alt text"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_stored_clean_and_portable(path):
    notebook = load(path)
    assert "widgets" not in notebook["metadata"], (
        f"{path.name}: stored widget state; clear it (the book shows a static result instead)")
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell.get("execution_count") for cell in code_cells), f"{path.name}: has unexecuted code cells"
    for index, cell in enumerate(notebook["cells"]):
        assert "execution" not in cell["metadata"], (
            f"{path.name} cell {index}: stored execution timestamps; re-run it with `make run`")
        for out in outputs(cell):
            assert out["output_type"] != "error", f"{path.name} cell {index}: stored error output"
            text = json.dumps(out.get("data", out.get("text", "")))
            assert not ABSOLUTE_PATH.search(text), f"{path.name} cell {index}: output shows an absolute path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_have_solutions_and_solutions_are_tagged(path):
    cells = load(path)["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)", text)
    assert exercises, f"{path.name}: no exercises"
    for label in exercises:
        assert re.search(r"```\{solution(-start)?\} " + re.escape(label), text), (
            f"{path.name}: exercise {label} has no solution")
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if "{solution" in source:
            assert "solution" in cell["metadata"].get("tags", []), f"{path.name} cell {index}: untagged solution"
