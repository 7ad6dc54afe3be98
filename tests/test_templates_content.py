"""The four document templates for the public and for the team: privacy information, processor clauses, the data
sharing checklist and the data ethics self-assessment.

Each must render from the shielding specification and as a blank template, carry the specification's facts and
invent none, leave a "To complete:" wherever a person must fill something in, and convert to a Word file with a
real outline. The privacy information is for the public, so it must use plain words: no column names, short
sentences."""

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest

from playbook import purpose
from playbook.rendering import TO_COMPLETE, docx_headings, docx_text, markdown_to_docx, render_markdown

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("sentence_length", ROOT / "scripts" / "sentence_length.py")
sentence_length = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sentence_length)

TEMPLATES = ["privacy-information.md.j2", "processor-clauses.md.j2", "sharing-checklist.md.j2",
             "self-assessment.md.j2"]
LABEL = "purpose specification `shielding-2020`, version 1 (teaching example)"
GENERATED_ON = dt.date(2026, 11, 23)
SPEC = purpose.load_builtin("shielding")
PROCESSOR = next(r for r in SPEC.recipients.values() if r.role == "processor")
#: The long-sentence share the privacy information may have; GOV.UK advises 25 words at most.
LONG_SHARE_LIMIT = 0.10


def day(date):
    return f"{date.day} {date:%B} {date.year}"


def render(template, spec=SPEC, recipient=None, **extra):
    context = {"spec": spec, "label": LABEL if spec else None, "generated_on": GENERATED_ON if spec else None}
    if template == "processor-clauses.md.j2":
        context["recipient"] = (recipient or PROCESSOR) if spec else None
    return render_markdown(template, **{**context, **extra})


def blank(template):
    return render(template, spec=None)


def table_rows(markdown):
    """The body rows of every pipe table: (header cells, row cells), leaving out the header and separator rows."""
    rows, header = [], None
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            header = None
            continue
        if re.fullmatch(r"\|( --- \|)+", line):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if i + 1 < len(lines) and re.fullmatch(r"\|( --- \|)+", lines[i + 1]):
            header = cells
            continue
        rows.append((header, cells))
    return rows


def spec_values(spec):
    """Text taken from the specification that a blank template must never contain."""
    values = {spec.title, spec.purpose, spec.public_benefit, spec.retention_note, spec.data_note,
              spec.source.name, spec.lawful_basis.legal_power, *(c.name for c in spec.controllers)}
    values |= {day(d) for d in (spec.start_date, spec.end_date, spec.review_date, spec.delete_by)}
    values |= {f.description for f in spec.fields.values()}
    values |= set(spec.excluded_fields.values()) | set(spec.permitted_uses.values())
    values |= set(spec.prohibited_uses.values()) | set(spec.permitted_uses)
    values |= {use for use in spec.prohibited_uses if "_" in use}  # "research" alone is an everyday word
    for rec in spec.recipients.values():
        values |= {rec.id, rec.name, *rec.fields.values(), *(rule.reason for rule in rec.row_scope)}
    values |= {name for name in spec.fields if "_" in name}
    return {v for v in values if v}


# ------------------------------------------------------------------------------------------------------------
# Both modes
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("mode", ["spec", "blank"])
def test_renders_with_one_title_numbered_sections_and_no_template_code(template, mode):
    text = render(template) if mode == "spec" else blank(template)
    lines = text.splitlines()
    assert lines[0].startswith("### ") and not lines[0].startswith("####")
    assert sum(line.startswith("### ") for line in lines) == 1, "one title line only"
    assert "{{" not in text and "{%" not in text and "{#" not in text
    numbers = [int(m) for m in re.findall(r"^#### (\d+)\. \S", text, re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 4, numbers
    notice = "**Draft generated from the " if mode == "spec" else "**Blank template from the Data Sharing Playbook.**"
    assert notice in text
    assert TO_COMPLETE in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_blank_template_holds_no_fact_from_the_shielding_specification(template):
    text = blank(template)
    found = sorted(v for v in spec_values(SPEC) if v in text)
    assert not found, f"{template}: the blank template contains values from the specification: {found}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_blank_template_has_a_todo_in_every_table_row(template):
    rows = table_rows(blank(template))
    assert rows or template == "privacy-information.md.j2", f"{template} has no table"
    missing = [cells for _, cells in rows if not any(TO_COMPLETE in c for c in cells)]
    assert not missing, f"{template}: rows with nothing to complete: {missing}"


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("mode", ["spec", "blank"])
def test_converts_to_word_with_a_title_and_real_headings(template, mode, tmp_path):
    text = render(template) if mode == "spec" else blank(template)
    path = markdown_to_docx(text, tmp_path / "document.docx")
    headings = docx_headings(path)
    title = text.splitlines()[0].lstrip("#").strip()
    assert (0, title) in headings
    assert any(level == 1 for level, _ in headings), headings
    body = "\n".join(docx_text(path))
    assert TO_COMPLETE in body
    assert "{{" not in body and "|" not in body.replace("\\|", ""), "tables must become Word tables"


# ------------------------------------------------------------------------------------------------------------
# Privacy information: the public's document
# ------------------------------------------------------------------------------------------------------------


def test_privacy_information_states_the_specifications_facts_in_plain_words():
    text = render("privacy-information.md.j2")
    for rec in SPEC.recipients.values():
        assert rec.name in text
    assert day(SPEC.delete_by) in text
    for name in SPEC.excluded_fields:
        assert SPEC.fields[name].description in text, f"say that {name} is not shared, in words"
    assert SPEC.purpose in text and SPEC.public_benefit in text
    assert SPEC.source.name in text and all(c.name in text for c in SPEC.controllers)
    assert "Article 6(1)(e)" in text and "Article 9(2)(i)" in text
    assert "regulation 3(4)" in text  # the duty of confidentiality route, in words
    assert "ico.org.uk" in text and "how people complain to each controller" in text
    for what in ("contact the data protection officer", "outside the UK", "how people use these rights"):
        assert what in text, f"a todo for {what!r}, which the specification does not hold"


def test_privacy_information_uses_no_column_names_or_ids():
    text = render("privacy-information.md.j2").replace(LABEL, "")  # the staff notice names the specification
    assert "`" not in text
    names = {n for n in SPEC.fields if "_" in n} | set(SPEC.recipients) | set(SPEC.permitted_uses)
    names |= set(SPEC.prohibited_uses) - {"marketing", "research"}  # two uses are plain words as they stand
    names |= {source for f in SPEC.fields.values() for source in f.source}
    found = sorted(n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text))
    assert not found, f"the public should read words, not column names: {found}"


def test_privacy_information_does_not_list_excluded_fields_among_those_shared():
    text = render("privacy-information.md.j2")
    shared_part = text.split("We share these kinds of information about you:")[1].split("We do not share")[0]
    for name in SPEC.excluded_fields:
        assert SPEC.fields[name].description not in shared_part


@pytest.mark.parametrize("mode", ["spec", "blank"])
def test_privacy_information_keeps_sentences_short(mode, tmp_path):
    page = tmp_path / "privacy-information.md"
    page.write_text(render("privacy-information.md.j2") if mode == "spec" else blank("privacy-information.md.j2"),
                    encoding="utf-8")
    total, long = sentence_length.long_share(page)
    assert total >= 20, f"only {total} sentences found; is the prose being read?"
    assert len(long) / total <= LONG_SHARE_LIMIT, f"{len(long)} of {total} sentences run over 25 words: {long}"


def _variant(**changes):
    raw = purpose.builtin_mapping("shielding")
    for path, value in changes.items():
        where = raw
        *parents, key = path.split(".")
        for parent in parents:
            where = where[parent]
        where[key] = value
    return purpose.parse_spec(raw, source="variant")


def test_privacy_information_says_the_opt_out_does_not_apply_only_under_a_copi_notice():
    copi = render("privacy-information.md.j2")
    assert "The national data opt-out" in copi
    assert "The opt-out does not apply to this sharing" in copi and "section 6.2" in copi

    section_251 = render("privacy-information.md.j2",
                         spec=_variant(**{"lawful_basis.duty_of_confidentiality": "section_251_support"}))
    assert "The national data opt-out" in section_251
    assert "section 6.2" not in section_251 and "does not apply to this sharing" not in section_251
    assert "we will not share your information for this work" in section_251

    no_patient_information = render("privacy-information.md.j2", spec=_variant(**{
        "data.confidential_patient_information": False, "lawful_basis.duty_of_confidentiality": "not_applicable"}))
    assert "opt-out" not in no_patient_information
    assert "duty of confidentiality" not in no_patient_information


def test_privacy_information_offers_the_right_to_object_only_where_it_applies():
    assert "object to how we use your information" in render("privacy-information.md.j2")  # public task
    legal_obligation = render("privacy-information.md.j2", spec=_variant(**{"lawful_basis.article6": "c"}))
    assert "object to how we use" not in legal_obligation
    assert "the law says we must do it" in legal_obligation


# ------------------------------------------------------------------------------------------------------------
# Processor clauses
# ------------------------------------------------------------------------------------------------------------


def test_processor_clauses_cover_article_28_3_a_to_h_for_the_processor():
    text = render("processor-clauses.md.j2")
    for point in "abcdefgh":
        assert re.search(rf"^##### \({point}\) ", text, re.MULTILINE), f"clause ({point}) missing"
    assert "not a data sharing agreement" in text
    assert PROCESSOR.name in text and day(SPEC.delete_by) in text
    assert day(SPEC.start_date) in text and day(SPEC.end_date) in text
    for name, why in PROCESSOR.fields.items():
        assert f"`{name}`" in text and why in text and SPEC.fields[name].description in text
    others = {n for r in SPEC.recipients.values() for n in r.fields} - set(PROCESSOR.fields)
    assert not [n for n in others if f"`{n}`" in text], "only this processor's fields"
    for use in PROCESSOR.uses:
        assert SPEC.permitted_uses[use] in text
    assert "Check the role first" not in text


def test_processor_clauses_warn_when_the_recipient_is_not_a_processor():
    controller = next(r for r in SPEC.recipients.values() if r.role == "controller")
    text = render("processor-clauses.md.j2", recipient=controller)
    assert "Check the role first" in text and "data sharing agreement" in text


# ------------------------------------------------------------------------------------------------------------
# The checklist and the self-assessment
# ------------------------------------------------------------------------------------------------------------


def _row(text, check):
    rows = [cells for _, cells in table_rows(text) if cells and cells[0].startswith(check)]
    assert len(rows) == 1, f"no single row for {check!r}"
    return rows[0]


def test_checklist_fills_only_what_the_specification_records():
    text = render("sharing-checklist.md.j2")
    purpose_row = _row(text, "The purpose is written down")
    assert purpose_row[1] == "yes" and SPEC.purpose in purpose_row[2]
    retention = _row(text, "Retention is set")
    assert retention[1] == "yes" and retention[2] == f"Delete by {day(SPEC.delete_by)}."
    roles = _row(text, "Each recipient's role is known")
    assert all(r.name in roles[2] for r in SPEC.recipients.values())
    excluded = _row(text, "Fields no recipient needs are left out")
    assert all(SPEC.fields[n].description in excluded[2] for n in SPEC.excluded_fields)
    assert "Article 6(1)(e)" in _row(text, "An Article 6 lawful basis is chosen")[2]
    # What the specification cannot know stays to complete.
    for check in ("A DPIA has been done", "The data is sent securely", "Privacy information under UK GDPR",
                  "A data sharing agreement is signed"):
        assert all(TO_COMPLETE in cell for cell in _row(text, check)[1:]), check


def test_self_assessment_prefills_evidence_but_never_a_score():
    text = render("self-assessment.md.j2")
    scored = [(header, cells) for header, cells in table_rows(text) if header and "score (0 to 5)" in header]
    assert 10 <= len(scored) <= 15
    column = scored[0][0].index("score (0 to 5)")
    assert all(cells[column] == f"**{TO_COMPLETE}** score from 0 to 5" for _, cells in scored)
    evidence = " ".join(cells[scored[0][0].index("evidence")] for _, cells in scored)
    assert SPEC.purpose in evidence and SPEC.public_benefit in evidence
    assert day(SPEC.review_date) in evidence and day(SPEC.delete_by) in evidence
    assert all(r.name in evidence for r in SPEC.recipients.values())
    assert all(f"`{use}`" in evidence for use in SPEC.prohibited_uses)
    assert all(SPEC.fields[n].description in evidence for n in SPEC.excluded_fields)
    for row in scored:
        assert "0: " in row[1][2] and "3: " in row[1][2] and "5: " in row[1][2], "each row has its scoring guide"
    assert "stop" in text.lower() and "out of 70" in text
