"""The course's teaching design holds in every lesson: checks while teaching, every objective assessed, exercises a
non-coder can do, part-filled practice for analysts, and teaching plans whose times add up to what they claim."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import generate_pages  # noqa: E402  (scripts/ is not a package)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
EXERCISE = re.compile(r"`{3,}\{exercise\}[^\n]*\n:label: ([\w-]+)\n((?::[\w-]+:[^\n]*\n)*)")
CODE_NEEDED = {"None", "Run prepared cells", "Run prepared cells, change a value", "Write a few lines"}


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def lesson(path):
    return json.loads(path.read_text(encoding="utf-8"))["metadata"]["lesson"]


def tags(cell):
    return cell["metadata"].get("tags", [])


def exercises(path):
    """{label: options text} for every exercise in the lesson."""
    text = "\n".join("".join(cell["source"]) for cell in cells(path) if cell["cell_type"] == "markdown")
    return dict(EXERCISE.findall(text))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_two_or_more_checks_while_teaching_each_with_a_hidden_answer(path):
    found = cells(path)
    checks = [i for i, cell in enumerate(found)
              if cell["cell_type"] == "markdown" and re.search(r"\{admonition\} Check: ", "".join(cell["source"]))]
    assert len(checks) >= 2, f"{path.name}: {len(checks)} quick checks; every lesson needs two or three"
    for index in checks:
        answer = found[index + 1]
        assert {"solution", "check-answer"} <= set(tags(answer)), (
            f"{path.name} cell {index + 1}: the check's answer must follow it, tagged solution and check-answer")
    first_exercise = next(i for i, cell in enumerate(found) if "{exercise}" in "".join(cell["source"]))
    assert checks[0] < first_exercise, f"{path.name}: the first check must come before the exercises"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_objective_is_assessed_by_an_exercise_of_the_lesson(path):
    meta, labels = lesson(path), exercises(path)
    assessed = meta.get("assessed_by")
    assert assessed is not None and len(assessed) == len(meta["objectives"]), (
        f"{path.name}: assessed_by must list the exercises for each of the {len(meta['objectives'])} objectives")
    for objective, by in zip(meta["objectives"], assessed, strict=True):
        assert by, f"{path.name}: no exercise assesses '{objective}'"
        unknown = set(by) - labels.keys()
        assert not unknown, f"{path.name}: assessed_by names exercises it does not have: {sorted(unknown)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_metadata_for_the_tracks(path):
    meta = lesson(path)
    assert meta.get("audience") in generate_pages.AUDIENCES, f"{path.name}: audience must be everyone or analysts"
    assert meta.get("code_needed") in CODE_NEEDED, f"{path.name}: code_needed must be one of {sorted(CODE_NEEDED)}"
    assert set(meta.get("plans", [])) <= generate_pages.PLANS.keys(), f"{path.name}: unknown plan"
    if meta["audience"] == "everyone":
        prerequisites = " ".join(meta["prerequisites"]).lower()
        assert "pandas" not in prerequisites and "python" not in prerequisites, (
            f"{path.name}: a lesson for everyone cannot require pandas or Python")


def test_at_least_20_exercises_need_no_code_and_every_lesson_has_one():
    no_code = {path.name: [label for label, options in exercises(path).items() if "no-code" in options]
               for path in NOTEBOOKS}
    assert sum(map(len, no_code.values())) >= 20, f"only {sum(map(len, no_code.values()))} no-code exercises"
    assert all(no_code.values()), f"lessons with no exercise a non-coder can do: {[n for n, v in no_code.items() if not v]}"


def test_analyst_lessons_have_part_filled_practice():
    for path in NOTEBOOKS:
        if lesson(path)["audience"] != "analysts":
            continue
        text = "\n".join("".join(cell["source"]) for cell in cells(path) if cell["cell_type"] == "markdown")
        assert re.search(r"```python\n[^`]*____", text), f"{path.name}: no part-filled (____) exercise"


@pytest.mark.parametrize("name", generate_pages.PLANS)
def test_each_plan_adds_up_to_what_it_claims_and_fits_its_day(name):
    page = (ROOT / "chapters" / "_generated" / "plans.md").read_text(encoding="utf-8")
    section = page.split(f"### {name.capitalize()}\n", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (\d+):(\d\d) \| (.*?) \|\s*(\d*)\s*\|$", section, flags=re.M)
    starts = [int(h) * 60 + int(m) for h, m, _, _ in rows]
    minutes = [int(value) for *_, value in rows[:-1]]
    assert rows[-1][2] == "End" and starts[0] == 0
    assert all(later - earlier == length for earlier, later, length in zip(starts, starts[1:], minutes, strict=False)), (
        f"{name}: a start time does not follow from the minutes before it")
    hours, rest = divmod(sum(minutes), 60)
    claimed = f"{hours} hours {rest} minutes" if rest else f"{hours} hours"
    assert f"; {claimed} from start to finish" in section, f"{name}: the stated length is not the sum of its rows"
    assert sum(minutes) <= generate_pages.PLANS[name]["limit"], f"{name}: {sum(minutes)} minutes does not fit the day"
    lessons = {Path(link).name for link in re.findall(r"\]\(\.\./notebooks/([^)]+)\)", section)}
    expected = {path.name for path in NOTEBOOKS if name in lesson(path).get("plans", [])}
    assert lessons == expected, f"{name}: the plan's lessons are not those whose metadata names it"
    for path in NOTEBOOKS:
        if path.name in lessons:
            meta = lesson(path)
            assert f"| {meta['teaching_minutes'] + meta['exercise_minutes']} |" in section.split(path.name, 1)[1].split("\n")[0]
