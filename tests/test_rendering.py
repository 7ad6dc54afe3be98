"""Tests for the document templates: every document renders from the shielding specification and blank, in Markdown
and in Word, the two formats say the same thing, and the command line writes them all or nothing."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pypandoc
import pytest
import yaml

from playbook import documents, lawful_basis, purpose, rendering
from playbook.documents import DOCUMENT_TYPES, DraftError, draft, main, write_blank_templates, write_drafts
from playbook.rendering import TO_COMPLETE, TemplateError, docx_headings, docx_text, render_markdown

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = ROOT / "playbook" / "specs" / "shielding.yaml"
ANSWERS_FILE = ROOT / "playbook" / "specs" / "answers" / "shielding.yaml"
SPEC = purpose.load_builtin("shielding")
ANSWERS = yaml.safe_load(ANSWERS_FILE.read_text(encoding="utf-8"))
PROCESSORS = [rid for rid, rec in SPEC.recipients.items() if rec.role == "processor"]
MINE = ("dpia", "data-sharing-agreement", "decision-record")
TEMPLATE_SYNTAX = ("{{", "}}", "{%", "%}", "{#", "#}")


def shielding_documents() -> list[tuple[str, str | None]]:
    """Every (document type, recipient) the shielding specification gets when the answers are given."""
    out: list[tuple[str, str | None]] = []
    for doc in DOCUMENT_TYPES.values():
        if doc.scope == "specification":
            out.append((doc.name, None))
        else:
            out += [(doc.name, rid) for rid, rec in SPEC.recipients.items() if doc.applies_to(rec)]
    return out


SHIELDING = shielding_documents()
CASES = [("shielding", name, rid) for name, rid in SHIELDING] + [("blank", name, None) for name in DOCUMENT_TYPES]
CASE_IDS = [f"{mode}-{name}" + (f"-{rid}" if rid else "") for mode, name, rid in CASES]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """The full shielding set (with the decision model's answers) and the blank set, each in Markdown and Word."""
    root = tmp_path_factory.mktemp("documents")
    write_drafts(SPEC, root / "shielding", ANSWERS, formats=("md", "docx"))
    write_blank_templates(root / "blank")
    return {"shielding": root / "shielding", "blank": root / "blank"}


def stem(name: str, rid: str | None) -> str:
    return DOCUMENT_TYPES[name].stem(rid)


def markdown_headings(text: str) -> list[tuple[int, str]]:
    """Headings below the title as (Word level, text): #### is Heading 1, ##### Heading 2."""
    return [(len(hashes) - 3, plain_heading(title)) for hashes, title in re.findall(r"^(#{4,6}) (.+)$", text, re.M)]


def plain_heading(text: str) -> str:
    return re.sub(r"[*`]", "", text).replace("\u2019", "'").strip()


def normalised_words(text: str) -> list[str]:
    """Words only: lower case, without punctuation, markup or the difference between straight and curly quotes."""
    return re.findall(r"[^\W_]+", text.lower().replace("\u2019", "'"))


#: Word numbers an ordered list itself, so its numbers are not text; in plain text they would be. This pandoc
#: filter makes ordered lists bulleted before the comparison, so that only the words are compared.
UNNUMBERED_LISTS = "function OrderedList(list) return pandoc.BulletList(list.content) end\n"


def markdown_words(markdown: str, tmp_path: Path) -> list[str]:
    """The words of the Markdown as pandoc reads them, without markup."""
    lua = tmp_path / "unnumbered-lists.lua"
    lua.write_text(UNNUMBERED_LISTS, encoding="utf-8")
    plain = pypandoc.convert_text(markdown, "plain", format="markdown",
                                  extra_args=["--wrap=none", f"--lua-filter={lua}"])
    return normalised_words(plain)


# ------------------------------------------------------------------------------------------------------------
# The registry
# ------------------------------------------------------------------------------------------------------------


def test_every_template_is_registered_and_every_registered_template_exists():
    registered = sorted(doc.template for doc in DOCUMENT_TYPES.values())
    assert registered == rendering.template_names()
    for doc in DOCUMENT_TYPES.values():
        assert (rendering.TEMPLATE_DIR / doc.template).is_file(), doc.template
        assert doc.scope in documents.SCOPES
        assert re.fullmatch(r"[a-z][a-z-]*", doc.file), doc.file
        assert doc.description.endswith(".") and len(doc.description.split()) <= 25, doc.description


def test_the_registry_gives_each_document_its_scope():
    scopes = {name: doc.scope for name, doc in DOCUMENT_TYPES.items()}
    assert scopes == {"dpia": "specification", "data-sharing-agreement": "recipient", "decision-record": "recipient",
                      "privacy-information": "specification", "processor-clauses": "processor",
                      "sharing-checklist": "specification", "self-assessment": "specification"}
    assert [name for name, doc in DOCUMENT_TYPES.items() if doc.needs_answers] == ["decision-record"]


def test_a_set_has_one_file_per_document_in_each_format(written):
    names = sorted(p.name for p in written["shielding"].iterdir())
    expected = ["dpia", "privacy-information", "sharing-checklist", "self-assessment"]
    expected += [f"agreement-{rid}" for rid in SPEC.recipients] + [f"decision-record-{rid}" for rid in SPEC.recipients]
    expected += [f"processor-clauses-{rid}" for rid in PROCESSORS]
    assert names == sorted(f"{s}.{fmt}" for s in expected for fmt in ("md", "docx"))
    assert sorted(p.name for p in written["blank"].iterdir()) == sorted(
        f"{doc.stem()}.{fmt}" for doc in DOCUMENT_TYPES.values() for fmt in ("md", "docx"))


def test_processor_clauses_go_only_to_processors():
    assert PROCESSORS == ["dwp_contact_centre", "food_wholesaler"]
    with pytest.raises(DraftError, match="only for processors"):
        draft("processor-clauses", SPEC, "supermarkets")


def test_drafting_asks_for_a_recipient_only_where_there_is_one_per_recipient():
    with pytest.raises(DraftError, match="per recipient"):
        draft("data-sharing-agreement", SPEC)
    with pytest.raises(DraftError, match="per specification"):
        draft("dpia", SPEC, "supermarkets")
    with pytest.raises(DraftError, match="no document type 'contract'"):
        draft("contract", SPEC)
    with pytest.raises(DraftError, match="blank template takes no recipient"):
        draft("data-sharing-agreement", None, "supermarkets")


def test_write_drafts_can_write_a_subset_and_names_an_unknown_document(tmp_path):
    paths = write_drafts(SPEC, tmp_path / "some", documents=["dpia", "decision-record"])
    assert [p.name for p in paths] == ["dpia.md"], "no decision record without the decision model's answers"
    with pytest.raises(DraftError, match="no document type 'contract'"):
        write_drafts(SPEC, tmp_path / "none", documents=["contract"])
    assert not (tmp_path / "none").exists()


# ------------------------------------------------------------------------------------------------------------
# Every document, from the specification and blank, in both formats
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, name, rid", CASES, ids=CASE_IDS)
def test_markdown_starts_with_its_title_and_keeps_no_template_syntax(written, mode, name, rid):
    text = (written[mode] / f"{stem(name, rid)}.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("### ") and DOCUMENT_TYPES[name].title.lower() in lines[0].lower()
    assert [line for line in lines if line.startswith("### ")] == [lines[0]], "one title only"
    assert re.search(r"^#### 1\. ", text, re.M), "sections start at #### 1."
    for syntax in TEMPLATE_SYNTAX:
        assert syntax not in text
    notice = "Blank template from the Data Sharing Playbook" if mode == "blank" else (
        "Draft generated from the purpose specification `shielding-2020`, version 1 (teaching example)")
    assert notice in "\n".join(lines[:3])
    assert text == (draft(name) if mode == "blank" else draft(name, SPEC, rid, ANSWERS)), "files hold the drafts"


@pytest.mark.parametrize("mode, name, rid", CASES, ids=CASE_IDS)
def test_word_has_the_title_and_the_headings_of_the_markdown(written, mode, name, rid):
    markdown = (written[mode] / f"{stem(name, rid)}.md").read_text(encoding="utf-8")
    path = written[mode] / f"{stem(name, rid)}.docx"
    headings = docx_headings(path)
    assert headings[0] == (0, markdown.splitlines()[0][4:].strip())
    assert [(level, plain_heading(text)) for level, text in headings[1:]] == markdown_headings(markdown)
    assert [level for level, _ in headings[1:]].count(1) == markdown.count("\n#### ")
    import docx

    assert docx.Document(str(path)).core_properties.title == headings[0][1]
    for syntax in TEMPLATE_SYNTAX:
        assert not any(syntax in line for line in docx_text(path))


@pytest.mark.parametrize("mode, name, rid", CASES, ids=CASE_IDS)
def test_word_and_markdown_say_the_same_words(written, tmp_path, mode, name, rid):
    markdown = (written[mode] / f"{stem(name, rid)}.md").read_text(encoding="utf-8")
    word = normalised_words(" ".join(docx_text(written[mode] / f"{stem(name, rid)}.docx")))
    assert word == markdown_words(markdown, tmp_path)
    assert len(word) > 100


# ------------------------------------------------------------------------------------------------------------
# Blank templates: the same outline, every value left to complete, no fact from any specification
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENT_TYPES)
def test_a_blank_template_has_the_outline_of_a_draft_and_no_fact(name):
    blank = draft(name)
    rid = next((r for n, r in SHIELDING if n == name), None)
    drafted = draft(name, SPEC, rid, ANSWERS)
    assert re.findall(r"^#### (.+)$", blank, re.M) == re.findall(r"^#### (.+)$", drafted, re.M)
    assert blank.count(TO_COMPLETE) >= 10
    for fact in ("shielding", "NHS Digital", "Supermarkets", "Government Digital Service", "23 March 2020",
                 "31 December 2020", "nhs_number", "clinically extremely vulnerable"):
        assert fact not in blank, fact


@pytest.mark.parametrize("name", MINE)
def test_every_table_row_in_my_blank_templates_is_left_to_complete(name):
    blank = draft(name)
    tables = re.findall(r"((?:^\|.*\|$\n?)+)", blank, re.M)
    assert tables
    for table in tables:
        rows = table.strip().splitlines()[2:]  # below the header and its rule
        assert rows, "a blank table has a row to fill in"
        assert all(TO_COMPLETE in row for row in rows), table


def test_blank_dpia_and_agreement_leave_every_value_to_complete():
    dpia = draft("dpia")
    for line in ("**Purpose.** **To complete:**", "**Public benefit.** **To complete:**",
                 "- UK GDPR Article 6(1): **To complete:**", "- Legal power: **To complete:**"):
        assert line in dpia
    assert "##### Each recipient" in dpia and "##### Steps the decision model" not in dpia
    agreement = draft("data-sharing-agreement")
    for title in ("1. Parties", "2. Purpose", "5. Data shared", "6. Retention", "7. Review", "8. Security",
                  "11. Termination", "12. Signatures"):
        body = re.search(r"^#### " + re.escape(title) + r"[^\n]*\n(.*?)(?=^#### |\Z)", agreement, re.M | re.S)
        assert TO_COMPLETE in body.group(1), title
    assert "UK GDPR Article 26" in agreement and "UK GDPR Article 28(3)" in agreement


def test_blank_decision_record_has_every_annex_b_row_to_complete():
    record = draft("decision-record")
    rows = dict(re.findall(r"^\| ([^|]+) \| (.+) \|$", record, re.M)[2:])  # below the header and its rule
    assert list(rows) == [label for label, _ in lawful_basis._ANNEX_B_ROWS]
    assert all(value.startswith(f"**{TO_COMPLETE}**") for value in rows.values())
    assert "run the lawful-basis decision model" in rows["Verdict of the decision model"]
    assert "record the verdict" in rows["Verdict of the decision model"]


def test_the_decision_record_document_and_the_agreement_hold_the_same_record():
    agreement = draft("data-sharing-agreement", SPEC, "supermarkets", ANSWERS)
    record = draft("decision-record", SPEC, "supermarkets", ANSWERS)
    embedded = agreement[agreement.index("##### Sharing decision record"):agreement.index("#### 5.")]
    items = re.compile(r"^\| ([^|]+) \|", re.M)
    assert items.findall(embedded) == items.findall(record)
    assert "**Verdict of the decision model: can proceed once the listed needs are met.**" in record
    assert "each justified in section 5 of the data sharing agreement" in record
    assert "| Security | **To complete:** see section 8 of the data sharing agreement. |" in record
    assert "ukgdpr" not in record, "sources are named in words"


def test_a_decision_record_without_answers_is_left_to_complete():
    record = draft("decision-record", SPEC, "supermarkets")
    assert "Verdict of the decision model: " not in record
    assert "| Verdict of the decision model | **To complete:** run the lawful-basis decision model" in record


# ------------------------------------------------------------------------------------------------------------
# Templates fail loudly
# ------------------------------------------------------------------------------------------------------------


def test_a_missing_template_is_a_template_error_naming_it():
    with pytest.raises(TemplateError, match="no template 'missing.md.j2'") as info:
        render_markdown("missing.md.j2", spec=None)
    assert "dpia.md.j2" in str(info.value), "the error lists the templates there are"


def test_a_template_given_too_little_is_a_template_error():
    with pytest.raises(TemplateError, match="uses a value it was not given"):
        render_markdown("dpia.md.j2", spec=None, label=None, generated_on=None)


@pytest.fixture
def scratch_templates(monkeypatch):
    """Extra templates, looked up before the real ones, for templates that are broken on purpose."""
    extra: dict[str, str] = {}
    loader = jinja2.ChoiceLoader([jinja2.DictLoader(extra), rendering._ENVIRONMENT.loader])
    monkeypatch.setattr(rendering._ENVIRONMENT, "loader", loader)
    return extra


def test_a_template_using_an_undefined_name_is_a_template_error(scratch_templates):
    scratch_templates["broken.md.j2"] = "### Title\n\n{{ todo(nobody_gave_this) }}\n"
    with pytest.raises(TemplateError, match="'nobody_gave_this' is undefined"):
        render_markdown("broken.md.j2")
    scratch_templates["partial.md.j2"] = '### Title\n\n{% include "_missing.md.j2" %}\n'
    with pytest.raises(TemplateError, match="no template '_missing.md.j2'"):
        render_markdown("partial.md.j2")
    scratch_templates["syntax.md.j2"] = "### Title\n\n{% if spec %}never closed\n"
    with pytest.raises(TemplateError, match="mistake on line"):
        render_markdown("syntax.md.j2", spec=None)


def test_a_broken_template_leaves_no_folder_behind(scratch_templates, tmp_path):
    scratch_templates["dpia.md.j2"] = "### Title\n\n{{ undefined_name }}\n"
    with pytest.raises(TemplateError):
        write_drafts(SPEC, tmp_path / "drafts")
    with pytest.raises(TemplateError):
        write_blank_templates(tmp_path / "blank")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------------------
# Writing all or nothing
# ------------------------------------------------------------------------------------------------------------


def test_an_unknown_format_is_refused_by_name(tmp_path):
    with pytest.raises(DraftError, match=r"unknown format 'pdf'; allowed formats: md, docx"):
        write_drafts(SPEC, tmp_path / "drafts", formats=("md", "pdf"))
    with pytest.raises(DraftError, match="unknown format 'odt'"):
        write_blank_templates(tmp_path / "blank", formats="md,odt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failure", [RuntimeError("pandoc failed"), KeyboardInterrupt()],
                         ids=["error", "interrupt"])
def test_a_failure_while_writing_removes_the_temporary_folder(tmp_path, monkeypatch, failure):
    calls = []

    def fail_on_the_second(markdown, path):
        calls.append(path)
        if len(calls) == 2:
            raise failure
        return rendering.markdown_to_docx(markdown, path)

    monkeypatch.setattr(documents, "markdown_to_docx", fail_on_the_second)
    with pytest.raises(type(failure)):
        write_drafts(SPEC, tmp_path / "drafts", formats=("md", "docx"))
    calls.clear()
    with pytest.raises(type(failure)):
        write_blank_templates(tmp_path / "blank")
    assert list(tmp_path.iterdir()) == [], "no temporary folder and no half-written set"


# ------------------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_the_command_writes_markdown_and_word(tmp_path, capsys):
    code, out, err = run(capsys, SPEC_FILE, "--out", tmp_path / "drafts", "--format", "md,docx",
                         "--answers", ANSWERS_FILE, "--date", "2026-11-23")
    assert (code, err) == (0, "")
    written = sorted(p.name for p in (tmp_path / "drafts").iterdir())
    assert sorted(Path(line).name for line in out.splitlines()) == written
    assert "decision-record-supermarkets.docx" in written and "dpia.md" in written
    assert "on 23 November 2026." in (tmp_path / "drafts" / "dpia.md").read_text(encoding="utf-8")
    assert docx_headings(tmp_path / "drafts" / "agreement-supermarkets.docx")[0][1].startswith(
        "Draft data sharing agreement with Supermarkets")


def test_the_command_writes_blank_templates(tmp_path, capsys):
    code, out, err = run(capsys, "--blank", "--out", tmp_path / "blank")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 2 * len(DOCUMENT_TYPES)
    code, out, err = run(capsys, "--blank", "--out", tmp_path / "md-only", "--format", "md")
    assert sorted(p.suffix for p in (tmp_path / "md-only").iterdir()) == [".md"] * len(DOCUMENT_TYPES)


@pytest.mark.parametrize("argv, message", [
    (["{spec}", "--format", "md,pdf"], "unknown format 'pdf'; allowed formats: md, docx"),
    (["{spec}", "--format", ""], "no format given"),
    (["{tmp}/missing.yaml"], "no specification file"),
    (["{spec}", "--answers", "{tmp}/missing.yaml"], "no answers file"),
    (["{spec}", "--date", "23/11/2026"], "must be a date written YYYY-MM-DD"),
    (["{spec}", "--blank"], "not both"),
    ([], "give a specification"),
    (["--blank", "--answers", "{answers}"], "need a specification"),
], ids=["format", "no-format", "spec-file", "answers-file", "date", "both", "neither", "blank-answers"])
def test_the_command_refuses_bad_input_with_exit_code_2(tmp_path, capsys, argv, message):
    argv = [a.format(spec=SPEC_FILE, tmp=tmp_path, answers=ANSWERS_FILE) for a in argv]
    code, out, err = run(capsys, *argv, "--out", tmp_path / "drafts")
    assert code == 2 and message in err and out == ""
    assert err.startswith("python -m playbook.documents: error: ")
    assert [p.name for p in tmp_path.iterdir()] == [], "nothing written, no temporary folder"


def test_the_command_refuses_a_folder_in_use(tmp_path, capsys):
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "dpia.md").write_text("signed copy", encoding="utf-8")
    code, out, err = run(capsys, SPEC_FILE, "--out", folder)
    assert code == 2 and "drafts already exists and is not an empty folder" in err
    assert (folder / "dpia.md").read_text(encoding="utf-8") == "signed copy"
    assert [p.name for p in tmp_path.iterdir()] == ["drafts"]


def test_the_command_lists_every_problem_in_a_specification_one_per_line(tmp_path, capsys):
    data = copy.deepcopy(purpose.builtin_mapping("shielding"))
    supermarkets = next(r for r in data["recipients"] if r["id"] == "supermarkets")
    supermarkets["fields"]["date_of_birth"] = ""
    supermarkets["fields"]["clinical_group"] = "Pack the right box."
    spec = tmp_path / "broken.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out, err = run(capsys, spec, "--out", tmp_path / "drafts")
    lines = err.splitlines()
    assert code == 2 and len(lines) == 2
    assert all(line.startswith("python -m playbook.documents: error: specification broken.yaml: ") for line in lines)
    assert any("'date_of_birth' has no justification" in line for line in lines)
    assert any("'clinical_group' is excluded" in line for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]


def test_the_command_reports_yaml_errors_and_bad_answers(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, bad, "--out", tmp_path / "drafts")
    assert code == 2 and "not valid YAML" in err and len(err.splitlines()) == 1
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({k: v for k, v in ANSWERS.items() if k != "large_scale"}), encoding="utf-8")
    code, _, err = run(capsys, SPEC_FILE, "--answers", answers, "--out", tmp_path / "drafts")
    assert code == 2 and "answers: missing answer 'large_scale'" in err
    answers.write_text("- not a mapping\n", encoding="utf-8")
    code, _, err = run(capsys, SPEC_FILE, "--answers", answers, "--out", tmp_path / "drafts")
    assert code == 2 and "must be a mapping of question to answer" in err
    answers.write_text(yaml.safe_dump({**ANSWERS, "special_category": False}), encoding="utf-8")
    code, _, err = run(capsys, SPEC_FILE, "--answers", answers, "--out", tmp_path / "drafts")
    assert code == 2 and "come from the specification" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml", "bad.yaml"]


def test_the_command_runs_as_a_module(tmp_path):
    command = [sys.executable, "-m", "playbook.documents", str(SPEC_FILE), "--out", str(tmp_path / "drafts"),
               "--format", "md,docx"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "drafts" / "dpia.docx").is_file() and (tmp_path / "drafts" / "dpia.md").is_file()
    assert len(done.stdout.splitlines()) == len(list((tmp_path / "drafts").iterdir()))
    refused = subprocess.run([*command[:-1], "md,pdf"], capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and "unknown format 'pdf'" in refused.stderr
    assert "Traceback" not in refused.stderr
