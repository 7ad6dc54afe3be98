"""Tests for playbook.documents: drafts say exactly what the specification says, and leave blanks where it is silent."""

from __future__ import annotations

import copy
import datetime as dt
import re

import yaml

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook import documents, lawful_basis, purpose
from playbook.documents import DraftError, day, draft_data_sharing_agreement, draft_dpia, write_drafts
from playbook.purpose import SpecError

RAW = purpose.builtin_mapping("shielding")
SPEC = purpose.parse_spec(RAW)
RECIPIENTS = list(SPEC.recipients)

#: The decision model's answers that the shielding specification does not hold (as in lesson 02).
ANSWERS = {"identifiability": "identifiable", "discloser_health_or_care": False, "purpose": "public_health",
           "powers": ["copi_notice", "statutory_function"], "emergency": True, "life_or_death": False,
           "can_consent": True, "consent": "none", "professional_responsibility": True,
           "other_restrictions": "checked_none", "large_scale": True, "data_matching": True,
           "vulnerable_people": True}


def raw() -> dict:
    """A fresh, editable copy of the shielding specification as loaded from YAML."""
    return copy.deepcopy(RAW)


def entry(data: dict, rid: str) -> dict:
    return next(r for r in data["recipients"] if r["id"] == rid)


def section(text: str, title: str) -> str:
    """The body of the section whose heading starts with ``title``, up to the next heading of any level."""
    match = re.search(r"^#{3,6} " + re.escape(title) + r"[^\n]*\n(.*?)(?=^#{3,6} |\Z)", text, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def first_column(block: str) -> list[str]:
    """The code-formatted names in the first column of the Markdown tables in ``block``."""
    return re.findall(r"^\| `([^`]+)` \|", block, re.M)


def shared_fields(agreement: str) -> list[str]:
    return first_column(section(agreement, "5. Data shared"))


def refused_for(dpia: str, name: str) -> list[str]:
    line = re.search(r"^Refused for this recipient[^\n]*$", section(dpia, name), re.M)
    return re.findall(r"`([^`]+)`", line.group(0)) if line else []


# ------------------------------------------------------------------------------------------------------------
# The agreement lists exactly the recipient's fields, rows, dates and lawful basis
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", RECIPIENTS)
def test_agreement_lists_exactly_the_recipients_fields(rid):
    text = draft_data_sharing_agreement(RAW, rid)
    assert shared_fields(text) == list(SPEC.recipients[rid].fields)
    for name, why in SPEC.recipients[rid].fields.items():
        assert f"| `{name}` | {SPEC.fields[name].description} | {why} |" in text


@pytest.mark.parametrize("rid", RECIPIENTS)
def test_agreement_gives_the_row_scope_uses_and_prohibitions(rid):
    rec = SPEC.recipients[rid]
    text = draft_data_sharing_agreement(RAW, rid)
    assert f"Rows: {rec.describe_rows()}." in section(text, "5. Data shared")
    for rule in rec.row_scope:  # each condition's reason, where the specification records one
        assert (f"- `{rule.describe()}`: {rule.reason}" in section(text, "5. Data shared")) == bool(rule.reason)
    permitted = section(text, "2. Purpose and permitted uses")
    assert re.findall(r"^- `([^`]+)`", permitted, re.M) == list(rec.uses)
    prohibited = section(text, "3. Prohibited uses")
    for use, why in SPEC.prohibited_uses.items():
        assert f"- `{use}`: {why}" in prohibited


def test_supermarket_agreement_scope_and_dates_match_the_specification():
    text = draft_data_sharing_agreement(RAW, "supermarkets")
    assert ("Rows: registered equals true; consented_to_supermarket_share equals true; date_of_death is blank."
            in text)
    reason = SPEC.recipients["supermarkets"].row_scope[-1].reason
    assert f"- `date_of_death is blank`: {reason}" in section(text, "5. Data shared")
    assert "by 31 December 2020 at the latest" in section(text, "6. Retention and deletion")
    assert "review this agreement by 30 June 2020" in section(text, "7. Review")
    assert "ends on 31 August 2020" in section(text, "11. Termination")
    assert "with Supermarkets giving priority delivery slots" in text.splitlines()[0]


def test_lawful_basis_in_the_drafts_matches_the_specification():
    expected = ["UK GDPR Article 6(1)(e): public task.", "UK GDPR Article 9(2)(i): public health.",
                "Data Protection Act 2018 Schedule 1 Part 1 paragraph 3.",
                "Common law duty of confidentiality: a notice under regulation 3(4) of the COPI Regulations 2002 "
                "(regulation 4 makes the processing lawful despite the duty)."]
    for text in (draft_dpia(RAW), draft_data_sharing_agreement(RAW, "local_authorities")):
        for line in expected:
            assert f"- {line}" in text
        assert SPEC.lawful_basis.legal_power in text


def test_processor_and_controller_roles_are_explained():
    assert "UK GDPR Article 28 requires a contract" in draft_data_sharing_agreement(RAW, "food_wholesaler")
    controller = draft_data_sharing_agreement(RAW, "supermarkets")
    assert "needs its own lawful basis" in controller
    assert "recipient's own lawful basis" in section(controller, "4. Lawful basis")


# ------------------------------------------------------------------------------------------------------------
# The DPIA: necessity field by field, refused fields with reasons, risks and sign-off left blank
# ------------------------------------------------------------------------------------------------------------


def test_refused_fields_appear_in_the_dpia_with_their_reasons():
    text = draft_dpia(RAW)
    refused = section(text, "Fields refused for every recipient")
    assert first_column(refused) == list(SPEC.excluded_fields)
    for name, why in SPEC.excluded_fields.items():
        assert f"| `{name}` | {why} |" in refused


@pytest.mark.parametrize("rid", RECIPIENTS)
def test_dpia_justifies_each_recipients_fields_and_lists_the_rest_as_refused(rid):
    rec = SPEC.recipients[rid]
    text = draft_dpia(RAW)
    assert first_column(section(text, rec.name)) == list(rec.fields)
    for rule in rec.row_scope:
        assert (f"- `{rule.describe()}`: {rule.reason}" in section(text, rec.name)) == bool(rule.reason)
    expected = [n for n in SPEC.fields if n not in rec.fields and n not in SPEC.excluded_fields]
    assert refused_for(text, rec.name) == expected
    for name in expected:
        assert not purpose.check_field(SPEC, rid, name).allowed


def test_dpia_covers_the_sections_the_ico_expects_and_leaves_scores_and_signatures_blank():
    text = draft_dpia(RAW)
    for title in ("1. The need", "2. The nature, scope, context and purposes", "3. Consultation",
                  "4. Necessity and proportionality", "5. Risks to individuals", "6. Measures", "7. Sign-off"):
        assert section(text, title)
    risks = section(text, "5. Risks to individuals")
    rows = [line for line in risks.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) >= len(SPEC.recipients) + len(SPEC.prohibited_uses)
    assert all(f"{documents.TO_COMPLETE}** likelihood of harm; severity of harm; overall risk." in line
               for line in rows)
    sign_off = section(text, "7. Sign-off")
    assert sign_off.count(documents.TO_COMPLETE) == sign_off.count("\n| ") - 2  # every row below the header
    assert "UK GDPR Article 35(2)" in section(text, "3. Consultation")


# ------------------------------------------------------------------------------------------------------------
# Every draft says what it is
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [draft_dpia, lambda s: draft_data_sharing_agreement(s, "supermarkets")],
                         ids=["dpia", "agreement"])
def test_every_draft_opens_with_its_source_version_and_a_warning(make):
    opening = "\n".join(make(RAW).splitlines()[:3])
    assert "generated from the purpose specification `shielding-2020`, version 1 (teaching example)" in opening
    assert "not legal advice" in opening
    assert "data protection officer and legal advisers must review it" in opening
    assert "version 1 (teaching example)" in make(purpose.load_builtin("shielding")).splitlines()[2]
    unversioned = {key: value for key, value in RAW.items() if key not in ("version", "status")}
    assert "version not recorded" in make(unversioned).splitlines()[2]


def test_drafts_are_deterministic_and_dated_only_when_asked():
    assert draft_dpia(RAW) == draft_dpia(raw())
    assert str(dt.date.today().year) not in draft_dpia(RAW).splitlines()[2]
    dated = draft_data_sharing_agreement(RAW, "supermarkets", generated_on=dt.date(2020, 4, 1))
    assert "version 1 (teaching example) on 1 April 2020." in dated


def test_headings_stay_at_level_three_or_below():
    for text in (draft_dpia(RAW, ANSWERS), draft_data_sharing_agreement(RAW, "supermarkets", ANSWERS)):
        levels = [len(m) for m in re.findall(r"^(#+) ", text, re.M)]
        assert levels[0] == 3 and min(levels) == 3
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), "a heading level is skipped"


def test_day_is_written_the_govuk_way():
    assert day(dt.date(2020, 3, 23)) == "23 March 2020"
    assert day(dt.date(2021, 1, 1)) == "1 January 2021"


# ------------------------------------------------------------------------------------------------------------
# A change to the specification changes the paperwork; a bad specification gets none
# ------------------------------------------------------------------------------------------------------------


def test_removing_a_field_removes_it_from_the_agreement_and_the_dpia():
    data = raw()
    del entry(data, "supermarkets")["fields"]["email"]
    agreement = draft_data_sharing_agreement(data, "supermarkets")
    assert "email" not in shared_fields(agreement)
    assert "these 4 fields and no others" in agreement
    assert "email" in refused_for(draft_dpia(data), "Supermarkets giving priority delivery slots")


def test_adding_a_justified_field_adds_it_with_its_justification():
    data = raw()
    entry(data, "supermarkets")["fields"]["phone"] = "Ring the person when a delivery slot cannot be booked online."
    agreement = draft_data_sharing_agreement(data, "supermarkets")
    assert shared_fields(agreement)[-1] == "phone"
    assert "Ring the person when a delivery slot cannot be booked online." in agreement
    assert agreement != draft_data_sharing_agreement(RAW, "supermarkets")


def test_changing_dates_changes_every_draft():
    data = raw()
    data["retention"]["delete_by"] = "2021-01-31"
    for text in (draft_dpia(data), draft_data_sharing_agreement(data, "dwp_contact_centre")):
        assert "31 January 2021" in text and "31 December 2020" not in text


@pytest.mark.parametrize("justification", ["", None])
def test_an_unjustified_field_is_refused_before_any_paperwork(tmp_path, justification):
    data = raw()
    entry(data, "supermarkets")["fields"]["date_of_birth"] = justification
    with pytest.raises(SpecError, match="'date_of_birth' has no justification"):
        draft_data_sharing_agreement(data, "supermarkets")
    with pytest.raises(SpecError):
        write_drafts(data, tmp_path / "drafts")
    assert list(tmp_path.iterdir()) == []


def test_an_excluded_field_cannot_reach_an_agreement():
    data = raw()
    entry(data, "food_wholesaler")["fields"]["clinical_group"] = "Pack the right box for the condition."
    with pytest.raises(SpecError, match="excluded for every recipient"):
        draft_data_sharing_agreement(data, "food_wholesaler")


def test_unknown_recipient_is_named_with_the_valid_ones():
    with pytest.raises(DraftError) as info:
        draft_data_sharing_agreement(RAW, "police")
    message = str(info.value)
    assert "'police'" in message
    for rid in RECIPIENTS:
        assert rid in message


def test_wrong_kind_of_specification_is_a_clear_error():
    with pytest.raises(TypeError, match="got list"):
        draft_dpia([RAW])


# ------------------------------------------------------------------------------------------------------------
# "To complete:" where the specification is silent
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["1. Parties and roles", "6. Retention and deletion", "8. Security",
                                   "9. Individuals' rights", "10. Breaches", "11. Termination", "12. Signatures"])
def test_agreement_asks_for_what_the_specification_cannot_know(title):
    assert documents.TO_COMPLETE in section(draft_data_sharing_agreement(RAW, "supermarkets"), title)


def test_a_missing_responsibility_becomes_a_prompt_not_a_guess():
    data = raw()
    del data["source"]["responsibility"]
    parties = section(draft_data_sharing_agreement(data, "local_authorities"), "1. Parties and roles")
    assert "| NHS Digital | public authority | source | **To complete:** what this party is responsible for. |" in parties


def test_without_answers_the_dpia_screen_is_left_to_a_person():
    need = section(draft_dpia(RAW), "1. The need")
    assert documents.TO_COMPLETE in need and "A DPIA is required" not in need


def test_a_processor_is_asked_about_its_own_processors():
    security = section(draft_data_sharing_agreement(RAW, "dwp_contact_centre"), "8. Security")
    assert "UK GDPR Article 28(2)" in security and security.count(documents.TO_COMPLETE) == 2


# ------------------------------------------------------------------------------------------------------------
# Reusing the lawful-basis decision model
# ------------------------------------------------------------------------------------------------------------


def test_answers_add_the_dpia_screen_and_the_annex_b_record():
    need = section(draft_dpia(RAW, ANSWERS), "1. The need")
    assert "A DPIA is required: large-scale processing of special category data. (source: UK GDPR, " \
           "Article 35(3)(b))" in need
    agreement = draft_data_sharing_agreement(RAW, "supermarkets", ANSWERS)
    record = section(agreement, "Sharing decision record")
    items = re.findall(r"^\| ([^|]+) \|", record, re.M)[2:]
    assert record.lstrip().startswith("**Verdict of the decision model: can proceed once the listed needs are met.**")
    assert items[:3] == ["Verdict of the decision model", "Purpose of the sharing", "Lawful basis (Article 6)"]
    assert {"Special category condition (Article 9)", "Duty of confidentiality", "DPIA outcome", "Retention",
            "Decision", "Decided by"} <= set(items)
    assert "| Lawful basis (Article 6) | [6(1)(e)] Public task" in record  # the specification's choice
    assert f"| Legal power | **{documents.TO_COMPLETE}** choose from: statutory_function. |" in record
    assert "| Decided by | **To complete:** name and role. |" in record
    assert "ukgdpr" not in record, "sources are named in words"


def test_a_basis_the_model_does_not_offer_is_flagged_for_the_dpo_not_recorded():
    agreement = draft_data_sharing_agreement(RAW, "supermarkets", {**ANSWERS, "purpose": "commercial"})
    record = section(agreement, "Sharing decision record")
    assert "**Verdict of the decision model: do not share on this basis.**" in record
    assert "choices do not match what the decision model offers" in record and "| item | record |" not in record
    assert "- article6: the verdict is 'do not share on this basis', so no basis can be chosen" in record


def test_answers_cannot_contradict_the_specification():
    with pytest.raises(DraftError, match="special_category come from the specification"):
        draft_dpia(RAW, {**ANSWERS, "special_category": False})


def test_incomplete_answers_are_refused_by_the_decision_model():
    with pytest.raises(lawful_basis.ScenarioError, match="missing answer 'large_scale'"):
        draft_data_sharing_agreement(RAW, "supermarkets", {k: v for k, v in ANSWERS.items() if k != "large_scale"})


SCENARIOS = st.fixed_dictionaries({
    name: (st.booleans() if kind is bool else st.lists(st.sampled_from(kind), unique=True) if name == "powers"
           else st.sampled_from(kind))
    for name, (kind, _) in lawful_basis.QUESTIONS.items()
})


@settings(max_examples=300, deadline=None)
@given(SCENARIOS)
def test_every_source_the_decision_model_cites_can_be_named_in_words(answers):
    try:
        assessment = lawful_basis.assess(answers)
    except lawful_basis.ScenarioError:
        return  # contradictory answers: nothing to cite
    for point in assessment.points:
        assert point.source in documents.SOURCE_NAMES, point.source


# ------------------------------------------------------------------------------------------------------------
# Writing the drafts to a folder
# ------------------------------------------------------------------------------------------------------------


def test_write_drafts_writes_one_dpia_and_one_agreement_per_recipient(tmp_path):
    paths = write_drafts(RAW, tmp_path / "drafts")
    names = [p.name for p in paths]
    assert names[:1 + len(RECIPIENTS)] == ["dpia.md"] + [f"agreement-{rid}.md" for rid in RECIPIENTS]
    assert names[1 + len(RECIPIENTS):] == [  # the rest of the set: see documents.DOCUMENT_TYPES
        "privacy-information.md", "processor-clauses-dwp_contact_centre.md", "processor-clauses-food_wholesaler.md",
        "sharing-checklist.md", "self-assessment.md"]
    assert paths[0].read_text(encoding="utf-8") == draft_dpia(RAW)
    for path, rid in zip(paths[1:], RECIPIENTS):
        assert path.read_text(encoding="utf-8") == draft_data_sharing_agreement(RAW, rid)
    assert [p.name for p in tmp_path.iterdir()] == ["drafts"], "no temporary folder is left behind"


def test_write_drafts_never_overwrites_a_folder_in_use(tmp_path):
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "dpia.md").write_text("signed copy", encoding="utf-8")
    with pytest.raises(DraftError, match="drafts already exists"):
        write_drafts(RAW, folder)
    assert (folder / "dpia.md").read_text(encoding="utf-8") == "signed copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drafts"]


def test_write_drafts_accepts_an_empty_folder_and_a_yaml_file(tmp_path):
    source = tmp_path / "shielding.yaml"
    source.write_text(yaml.safe_dump(RAW), encoding="utf-8")
    (tmp_path / "out").mkdir()
    paths = write_drafts(source, tmp_path / "out")
    assert [p.name for p in paths][:1 + len(RECIPIENTS)] == ["dpia.md"] + [f"agreement-{rid}.md" for rid in RECIPIENTS]
    assert "version 1 (teaching example)" in paths[0].read_text(encoding="utf-8")


def test_write_drafts_refuses_a_recipient_id_that_cannot_name_a_file(tmp_path):
    data = raw()
    entry(data, "supermarkets")["id"] = "../supermarkets"
    with pytest.raises(DraftError, match="cannot be used as a file name"):
        write_drafts(data, tmp_path / "drafts")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------------------
# Property: for any small valid specification, the drafts say exactly what it says
# ------------------------------------------------------------------------------------------------------------

FIELD_NAMES = [f"field_{c}" for c in "abcdefgh"]
TEXT = st.text(alphabet="abcdefghij klmnop", min_size=1, max_size=30).map(str.strip).filter(bool)


@st.composite
def small_specs(draw) -> dict:
    """A valid specification mapping with a few fields, exclusions and recipients, built for parse_spec."""
    catalogue = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=2, max_size=8, unique=True))
    excluded = draw(st.lists(st.sampled_from(catalogue), max_size=len(catalogue) - 1, unique=True))
    shareable = [name for name in catalogue if name not in excluded]
    recipients = []
    for i in range(draw(st.integers(1, 3))):
        fields = draw(st.lists(st.sampled_from(shareable), min_size=1, unique=True))
        recipients.append({
            "id": f"recipient_{i}", "name": f"Recipient {i}",
            "organisation_type": draw(st.sampled_from(purpose.ORGANISATION_TYPES)),
            "role": draw(st.sampled_from(purpose.RECIPIENT_ROLES)),
            "uses": ["help"], "fields": {name: draw(TEXT) for name in fields},
        })
    start = draw(st.dates(dt.date(2019, 1, 1), dt.date(2030, 1, 1)))
    length = draw(st.integers(0, 400))
    health = draw(st.booleans())
    return {
        "id": "generated", "version": draw(st.integers(1, 9)), "title": "A generated share",
        "purpose": "Help people.", "public_benefit": "People get help.",
        "start_date": start, "end_date": start + dt.timedelta(length),
        "review_date": start + dt.timedelta(draw(st.integers(0, length))),
        "retention": {"delete_by": start + dt.timedelta(length + draw(st.integers(0, 400)))},
        "controllers": [{"name": "A council", "role": "controller", "organisation_type": "public_authority"}],
        "source": {"name": "A source", "role": "source", "organisation_type": "public_authority"},
        "data": {"special_category": health, "confidential_patient_information": False},
        "lawful_basis": {"article6": "e", "legal_power": "A statutory function.",
                         "duty_of_confidentiality": "not_applicable",
                         **({"article9": "i", "schedule1": {"part": 1, "paragraph": 3}} if health else {})},
        "fields": {name: {"description": f"The {name}."} for name in catalogue},
        "excluded_fields": {name: draw(TEXT) for name in excluded},
        "uses": {"permitted": {"help": "Help people."}, "prohibited": {"selling": "Never sold."}},
        "recipients": recipients,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_specs())
def test_drafts_say_exactly_what_any_valid_specification_says(data):
    spec = purpose.parse_spec(data)
    dpia = draft_dpia(data)
    assert f"version {data['version']}" in dpia.splitlines()[2]
    assert first_column(section(dpia, "Fields refused for every recipient")) == list(spec.excluded_fields)
    for name, why in spec.excluded_fields.items():
        assert f"| `{name}` | {why} |" in dpia
    for rid, rec in spec.recipients.items():
        agreement = draft_data_sharing_agreement(data, rid)
        assert shared_fields(agreement) == list(rec.fields)
        assert f"these {len(rec.fields)} fields and no others" in agreement
        assert f"by {day(spec.delete_by)} at the latest" in agreement
        assert f"review this agreement by {day(spec.review_date)}" in agreement
        assert refused_for(dpia, rec.name) == [n for n in spec.fields
                                               if n not in rec.fields and n not in spec.excluded_fields]


@settings(max_examples=40, deadline=None)
@given(small_specs(), st.data())
def test_removing_any_field_removes_it_from_that_agreement_only(data, pick):
    rec = pick.draw(st.sampled_from([r for r in data["recipients"] if len(r["fields"]) > 1]
                                    or [None]))
    if rec is None:
        return
    name = pick.draw(st.sampled_from(sorted(rec["fields"])))
    changed = copy.deepcopy(data)
    del entry(changed, rec["id"])["fields"][name]
    assert shared_fields(draft_data_sharing_agreement(changed, rec["id"])) == [
        n for n in rec["fields"] if n != name]
    for other in data["recipients"]:
        if other["id"] != rec["id"]:
            assert (draft_data_sharing_agreement(changed, other["id"])
                    == draft_data_sharing_agreement(data, other["id"]))
