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


# ------------------------------------------------------------------------------------------------------------
# Pages that state the law: dated, and readable (GOV.UK advises sentences of 25 words at most)
# ------------------------------------------------------------------------------------------------------------

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("sentence_length", ROOT / "scripts" / "sentence_length.py")
sentence_length = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sentence_length)

#: Pages that state the law. Each carries a "Law as at" note, and the test below holds its sentences short.
LEGAL_PAGES = [ROOT / "chapters" / f"{name}.md" for name in (
    "what-changed", "templates", "self-assessment", "shielding-case-study", "purpose", "lawful-basis", "dpia", "minimisation",
    "sharing-numbers-safely", "local-government", "private-sector", "security", "transparency", "next-emergency",
    "glossary", "emergency-start", "building-the-team", "working-across-organisations", "councils-receiving-a-list",
    "after-the-emergency", "case-studies", "myths-and-questions", "resources", "tabletop-exercise",
    "worksheets")] + [ROOT / "notebooks" / "02-lawful-basis.ipynb", ROOT / "notebooks" / "12-paperwork-from-the-purpose.ipynb"]
LAW_AS_AT = re.compile(r"```\{admonition\} Law as at (\d{1,2} (?:January|February|March|April|May|June|July|August|"
                       r"September|October|November|December) \d{4})\n:class: note\n")
LONG_SHARE_LIMIT = 0.15


@pytest.mark.parametrize("path", LEGAL_PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_page_that_states_the_law_says_when_it_was_checked(path):
    text = sentence_length.markdown_of(path)
    found = LAW_AS_AT.findall(text)
    assert len(found) == 1, f"{path.name}: add one 'Law as at' note after the title (see CONTRIBUTING.md)"
    from playbook.lawful_basis import LAW_AS_AT as model_date
    assert found[0] == f"{model_date.day} {model_date:%B} {model_date.year}", (
        f"{path.name}: the page is dated {found[0]}; the decision model's law is as at {model_date}. Check both "
        "against the law and give them the same date")


@pytest.mark.parametrize("path", LEGAL_PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pages_that_state_the_law_keep_sentences_short(path):
    total, long = sentence_length.long_share(path)
    assert total >= 10, f"{path.name}: found only {total} sentences; is the page's prose being read?"
    share = len(long) / total
    worst = "\n".join(f"  [{sentence_length.word_count(s)} words] {s}" for s in long[:5])
    assert share <= LONG_SHARE_LIMIT, (
        f"{path.name}: {len(long)} of {total} sentences ({share:.0%}) run over {sentence_length.LIMIT} words; keep "
        f"it at {LONG_SHARE_LIMIT:.0%} or less. Split these first:\n{worst}")


def test_the_sentence_counter_counts_what_a_reader_reads():
    text = ("# Title\n\nOne short sentence here. " + "Word " * 30 + "ends.\n\n- a list item with five words\n\n"
            "| a table | row that is never counted at all because tables are data |\n\n```python\n"
            + "code " * 40 + "\n```\n\n```{note}\nA note counts as prose too.\n```\n")
    found = sentence_length.sentences(text)
    assert found == ["One short sentence here.", "Word " * 30 + "ends.", "a list item with five words",
                     "A note counts as prose too."]
    assert [sentence_length.word_count(s) > 25 for s in found] == [False, True, False, False]
