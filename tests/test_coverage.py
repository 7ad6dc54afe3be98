"""The coverage table (docs/coverage.yaml) says where the book covers each of the 66 lessons in the coverage audit.

These tests keep the table honest: every audit item appears exactly once, every covered item points at a real
heading on a page that is in the book, left-out items say why, and no place is still a placeholder. Headings are
renamed often, so the heading must appear in the page as a Markdown heading line with exactly that text.
"""
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "coverage.yaml"
TOC = ROOT / "_toc.yml"

#: The audit's item numbers: A1 to A7, B1 to B8, and so on (../shared/reviews/coverage-audit.md).
GROUPS = (("A", 7), ("B", 8), ("C", 5), ("D", 7), ("E", 2), ("F", 13), ("G", 5), ("H", 4), ("I", 2), ("J", 7),
          ("K", 4), ("L", 2))
AUDIT_IDS = [f"{letter}{number}" for letter, count in GROUPS for number in range(1, count + 1)]

REQUIRED = {"id", "lesson", "source", "status"}
OPTIONAL = {"where", "lesson_notebook", "reason"}
SOURCES = {"[B]", "[R]", "[B][R]"}
STATUSES = {"covered", "left out"}
PLACEHOLDER = "TODO"


def load_items() -> list[dict]:
    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    items = data["items"] if isinstance(data, dict) else data
    assert isinstance(items, list), "docs/coverage.yaml: expected a list of items (under the key 'items')"
    return items


ITEMS = load_items()
BY_ID = {item.get("id"): item for item in ITEMS}
PLACES = [(item["id"], place) for item in ITEMS for place in (item.get("where") or [])]


def toc_pages() -> set[str]:
    """Every page the table of contents lists, as a path without its suffix."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("file", "root") and isinstance(value, str):
                    found.add(value.removesuffix(".md").removesuffix(".ipynb"))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(TOC.read_text(encoding="utf-8")))
    return found


def page_markdown(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$")


def headings(text: str) -> list[str]:
    """The text of every Markdown heading line, outside code blocks. MyST directives ({note} and the like) hold
    Markdown, so their headings count; a fence with a language or none is code, so its lines do not."""
    found, open_fences = [], []  # each open fence: (its backticks or tildes, "code" or "directive")

    def closes(fence, match) -> bool:
        marks = match.group(1)
        return marks[0] == fence[0][0] and len(marks) >= len(fence[0]) and not match.group(2).strip()

    for line in text.splitlines():
        match = FENCE.match(line.strip())
        if open_fences and open_fences[-1][1] == "code":
            if match and closes(open_fences[-1], match):
                open_fences.pop()
            continue
        if match:
            if open_fences and closes(open_fences[-1], match):
                open_fences.pop()
            else:
                kind = "directive" if match.group(2).strip().startswith("{") else "code"
                open_fences.append((match.group(1), kind))
            continue
        heading = HEADING.match(line)
        if heading:
            found.append(heading.group(1).strip())
    return found


def place_id(entry) -> str:
    item_id, place = entry
    if not isinstance(place, dict):
        return f"{item_id}-?"
    return f"{item_id}:{Path(str(place.get('page'))).stem}#{place.get('heading')}"


def test_the_table_lists_every_audit_item_exactly_once():
    ids = [item.get("id") for item in ITEMS]
    repeated = sorted(item_id for item_id, count in Counter(ids).items() if count > 1)
    missing = [item_id for item_id in AUDIT_IDS if item_id not in ids]
    unknown = [item_id for item_id in ids if item_id not in AUDIT_IDS]
    assert not repeated, f"listed more than once: {repeated}"
    assert not missing, f"audit items missing from the table: {missing}"
    assert not unknown, f"ids that are not audit items: {unknown}"
    assert len(ids) == len(AUDIT_IDS) == 66


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: str(item.get("id")))
def test_each_item_has_its_fields(item):
    keys = set(item)
    assert REQUIRED <= keys, f"{item.get('id')}: missing {sorted(REQUIRED - keys)}"
    assert keys <= REQUIRED | OPTIONAL, f"{item.get('id')}: unknown fields {sorted(keys - REQUIRED - OPTIONAL)}"
    lesson = item["lesson"]
    assert isinstance(lesson, str) and lesson.strip() and "\n" not in lesson.strip(), (
        f"{item['id']}: the lesson is one line of text")
    assert item["source"] in SOURCES, f"{item['id']}: source must be one of {sorted(SOURCES)}"
    assert item["status"] in STATUSES, f"{item['id']}: status must be one of {sorted(STATUSES)}"
    assert isinstance(item.get("where") or [], list), f"{item['id']}: 'where' is a list of places"


@pytest.mark.parametrize("item", [i for i in ITEMS if i.get("status") == "covered"], ids=lambda i: str(i.get("id")))
def test_every_covered_item_names_at_least_one_place(item):
    assert item.get("where"), f"{item['id']} is marked covered but names no page and heading"


@pytest.mark.parametrize("item", [i for i in ITEMS if i.get("status") == "left out"], ids=lambda i: str(i.get("id")))
def test_every_left_out_item_gives_a_reason(item):
    reason = item.get("reason")
    assert isinstance(reason, str) and reason.strip(), f"{item['id']} is left out: say why in 'reason'"


@pytest.mark.parametrize("entry", PLACES, ids=place_id)
def test_every_place_is_a_heading_on_a_page_in_the_book(entry):
    item_id, place = entry
    assert isinstance(place, dict) and set(place) == {"page", "heading"}, (
        f"{item_id}: each place is {{page: chapters/NAME.md, heading: exact heading text}}")
    page, heading = str(place["page"]), str(place["heading"])
    path = ROOT / page
    assert path.is_file(), f"{item_id}: {page} does not exist"
    listed = page.removesuffix(".md").removesuffix(".ipynb")
    assert listed in toc_pages(), f"{item_id}: {page} is not listed in _toc.yml"
    found = headings(page_markdown(path))
    assert heading in found, (
        f"{item_id}: {page} has no heading '{heading}'. Its headings are: {found}")


@pytest.mark.parametrize("item", [i for i in ITEMS if i.get("lesson_notebook")], ids=lambda i: str(i.get("id")))
def test_every_lesson_notebook_exists(item):
    notebook = str(item["lesson_notebook"])
    assert re.fullmatch(r"notebooks/\d\d-[a-z0-9-]+\.ipynb", notebook), (
        f"{item['id']}: lesson_notebook is notebooks/NN-name.ipynb")
    assert (ROOT / notebook).is_file(), f"{item['id']}: {notebook} does not exist"


def test_no_place_is_still_a_placeholder():
    """Pages being written are entered with the heading TODO. This fails until each is replaced by the real
    heading, which is the point: the table is not finished while any remain."""
    waiting = [place_id((item_id, place)) for item_id, place in PLACES
               if PLACEHOLDER in json.dumps(place, ensure_ascii=False)]
    waiting += [f"{item['id']}:{field}" for item in ITEMS for field in ("id", "lesson", "source", "status", "reason",
                                                                        "lesson_notebook")
                if PLACEHOLDER in str(item.get(field) or "")]
    assert not waiting, f"{len(waiting)} places still marked {PLACEHOLDER}: {waiting}"


def test_the_heading_reader_skips_code_but_reads_directives():
    text = ("# Title\n\n```{admonition} Law as at 1 January 2026\n:class: note\nText.\n```\n\n## After a note\n\n"
            "```python\n# a comment, not a heading\n```\n\n````{note}\n```bash\n# also code\n```\n### Inside a note\n"
            "````\n\n## Last ##\n")
    assert headings(text) == ["Title", "After a note", "Inside a note", "Last"]
