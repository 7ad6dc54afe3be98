"""GOV.UK style rules a machine can check on every page of the book: no Latin abbreviations, and one top-level
heading per page with no skipped levels (screen reader users navigate by headings)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "index.md", *sorted((ROOT / "chapters").glob("*.md")), *sorted((ROOT / "notebooks").glob("*.ipynb"))]
LATIN = re.compile(r"(?<![\w`])(e\.g\.|i\.e\.|etc\.|vs\.?|via|viz\.|cf\.|n\.b\.)(?=[\s,;:)])", re.IGNORECASE)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def prose(path: Path) -> str:
    """The page's own words, without code blocks or inline code, which may quote other people's names."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    return CODE.sub("", text)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_latin_abbreviations(path):
    found = sorted({match.group(1) for match in LATIN.finditer(prose(path))})
    assert not found, f"{path.name}: write in plain English instead of {found} (GOV.UK style)"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_headings_form_an_outline(path):
    levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) \S", prose(path), re.MULTILINE)]
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{path.name}: needs exactly one top-level heading, first"
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"{path.name}: heading level jumps from {before} to {after}"
