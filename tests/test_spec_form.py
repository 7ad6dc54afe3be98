"""Tests for playbook.spec_form (the no-code route to a purpose specification), its form in playbook.widgets, and
the blank specification in playbook/specs/blank.yaml."""

from __future__ import annotations

import copy
import datetime as dt
import re
from importlib import resources

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import purpose, spec_form
from playbook.purpose import SpecError, parse_spec
from playbook.spec_form import FormError, apply_form, check, form_values, write_from_form

SHIELDING = purpose.builtin_mapping("shielding")
SPEC = purpose.load_builtin("shielding")
BLANK_TEXT = (resources.files("playbook") / "specs" / "blank.yaml").read_text(encoding="utf-8")

#: Every format the form offers: Markdown and Word.
FORMATS = ("md", "docx")


def shielding() -> dict:
    return copy.deepcopy(SHIELDING)


def tick(rid: str, name: str, justification: str = "") -> dict:
    return {"recipients": {rid: {"fields": {name: {"ticked": True, "justification": justification}}}}}


def untick(rid: str, name: str) -> dict:
    return {"recipients": {rid: {"fields": {name: {"ticked": False}}}}}


# ------------------------------------------------------------------------------------------------------------
# form_values and apply_form
# ------------------------------------------------------------------------------------------------------------

def test_form_values_show_the_specification():
    values = form_values(SHIELDING)
    assert set(values) == set(spec_form.LABELS)
    assert values["start_date"] == dt.date(2020, 3, 23) and values["delete_by"] == dt.date(2020, 12, 31)
    assert values["controller_name"] == "Government Digital Service"
    assert values["controller_type"] == values["source_type"] == "public_authority"
    assert values["special_category"] is True and values["confidential_patient_information"] is True
    assert (values["article6"], values["article9"]) == ("e", "i")
    assert (values["schedule1_part"], values["schedule1_paragraph"]) == (1, 3)
    assert values["duty_of_confidentiality"] == "copi_notice"
    assert values["appropriate_policy_document"] == ""
    assert list(values["recipients"]) == list(SPEC.recipients)
    dwp = values["recipients"]["dwp_contact_centre"]
    assert list(dwp["fields"]) == list(SPEC.fields), "every catalogue field is offered, in catalogue order"
    assert dwp["fields"]["phone"] == {"ticked": True, "justification": "Make the call."}
    assert dwp["fields"]["email"] == {"ticked": False, "justification": ""}
    assert dwp["uses"] == {"food_and_medicine_support": False, "wellbeing_contact": True,
                           "priority_delivery_slots": False}


def test_every_choice_the_form_shows_is_one_it_offers():
    values = form_values(SHIELDING)
    for key, options in spec_form.CHOICES.items():
        assert values[key] in [v for _, v in options], key
    assert [v for _, v in spec_form.CHOICES["article6"]][1:] == list(purpose.ARTICLE6_BASES)
    assert [v for _, v in spec_form.CHOICES["duty_of_confidentiality"]][1:] == list(purpose.CONFIDENTIALITY_ROUTES)


def test_round_trip_without_changes_gives_the_same_specification():
    again = apply_form(SHIELDING, form_values(SHIELDING))
    assert parse_spec(again) == SPEC
    assert list(parse_spec(again).recipients["local_authorities"].fields) == list(
        SPEC.recipients["local_authorities"].fields), "fields keep their order, so drafts list them the same way"


def test_apply_form_never_changes_its_input():
    start = shielding()
    before = copy.deepcopy(start)
    values = form_values(start)
    values["title"] = "Changed"
    values["recipients"]["supermarkets"]["fields"]["phone"] = {"ticked": True, "justification": "Call about slots."}
    values["recipients"]["supermarkets"]["uses"]["wellbeing_contact"] = True
    values["article9"] = None
    changed = apply_form(start, values)
    assert start == before
    assert changed["title"] == "Changed" and "article9" not in changed["lawful_basis"]


def test_ticking_a_field_with_a_justification_gives_it_to_the_recipient():
    changed = parse_spec(apply_form(SHIELDING, tick("supermarkets", "phone", "  Call about delivery slots. ")))
    fields = changed.recipients["supermarkets"].fields
    assert fields["phone"] == "Call about delivery slots."
    assert list(fields)[-1] == "phone" and len(fields) == len(SPEC.recipients["supermarkets"].fields) + 1
    assert purpose.check_field(changed, "supermarkets", "phone").allowed
    assert not purpose.check_field(SPEC, "supermarkets", "phone").allowed


def test_unticking_a_field_takes_it_away():
    changed = parse_spec(apply_form(SHIELDING, untick("dwp_contact_centre", "postcode")))
    assert "postcode" not in changed.recipients["dwp_contact_centre"].fields
    assert changed.recipients["local_authorities"] == SPEC.recipients["local_authorities"]


def test_a_field_ticked_without_a_justification_stays_unjustified():
    changed = apply_form(SHIELDING, tick("supermarkets", "phone", "   "))
    rec = next(r for r in changed["recipients"] if r["id"] == "supermarkets")
    assert rec["fields"]["phone"] == "", "the form never writes a justification a person did not"
    assert "recipient 'supermarkets': field 'phone' has no justification" in check(changed)


def test_uses_keep_their_order_and_new_ones_follow():
    values = {"recipients": {"local_authorities": {"uses": {"wellbeing_contact": False,
                                                            "priority_delivery_slots": True}}}}
    changed = parse_spec(apply_form(SHIELDING, values))
    assert changed.recipients["local_authorities"].uses == ("food_and_medicine_support", "priority_delivery_slots")


def test_lawful_basis_changes_reach_the_validator():
    values = {"article9": "g", "schedule1_part": 2, "schedule1_paragraph": 6}
    assert check(apply_form(SHIELDING, values)) == [
        "lawful_basis: Schedule 1 Part 2 paragraph 6 needs an appropriate policy document: name it in "
        "appropriate_policy_document"]
    values["appropriate_policy_document"] = "GDS appropriate policy document, version 2"
    assert check(apply_form(SHIELDING, values)) == []
    no_schedule = apply_form(SHIELDING, {"article9": "i", "schedule1_part": None, "schedule1_paragraph": None})
    assert "schedule1" not in no_schedule["lawful_basis"]
    assert any("also needs a DPA 2018 Schedule 1 condition" in p for p in check(no_schedule))
    half = apply_form(SHIELDING, {"schedule1_paragraph": None})
    assert "lawful_basis.schedule1: missing 'paragraph'" in check(half), "half an answer is named, not dropped"


def test_choices_left_unanswered_are_refused_not_guessed():
    values = {"special_category": None, "article6": None, "controller_type": None, "start_date": None}
    problems = check(apply_form(SHIELDING, values))
    for expected in ("data: missing 'special_category'", "lawful_basis: missing 'article6'",
                     "controllers[0]: missing 'organisation_type'", "top level: missing 'start_date'"):
        assert expected in problems


def test_controller_and_source_are_written_where_the_specification_keeps_them():
    changed = apply_form(SHIELDING, {"controller_name": "Cabinet Office", "controller_type": "public_authority",
                                     "source_name": "NHS England", "source_type": "public_authority"})
    spec = parse_spec(changed)
    assert spec.controllers[0].name == "Cabinet Office" and spec.controllers[0].role == "controller"
    assert spec.source.name == "NHS England" and spec.source.role == "source"


@pytest.mark.parametrize("values, named", [
    ({"titel": "x"}, "titel"),
    ({"title": "x", "owner": "y", "colour": "z"}, "colour, owner"),
    ({"recipients": {"police": {"uses": {}}}}, "police"),
    ({"recipients": {"supermarkets": {"row_scope": []}}}, "row_scope"),
    ({"recipients": {"supermarkets": {"fields": {"phone": {"ticked": True, "why": "x"}}}}}, "why"),
])
def test_unknown_form_keys_are_refused_by_name(values, named):
    with pytest.raises(FormError, match=f"unknown keys? {named}"):
        apply_form(SHIELDING, values)


def test_badly_shaped_form_values_are_refused():
    with pytest.raises(FormError, match="ticked: expected true or false"):
        apply_form(SHIELDING, {"recipients": {"supermarkets": {"fields": {"phone": {"ticked": "yes"}}}}})
    with pytest.raises(FormError, match="uses: expected a mapping"):
        apply_form(SHIELDING, {"recipients": {"supermarkets": {"uses": ["wellbeing_contact"]}}})


# ------------------------------------------------------------------------------------------------------------
# check and write_from_form
# ------------------------------------------------------------------------------------------------------------

def test_check_lists_the_validators_problems_and_is_empty_when_valid():
    assert check(SHIELDING) == []
    broken = shielding()
    broken["end_date"] = dt.date(2020, 1, 1)
    with pytest.raises(SpecError) as info:
        parse_spec(broken)
    assert check(broken) == info.value.problems


@pytest.mark.parametrize("key", ["article6", "article9"])
@pytest.mark.parametrize("value", [["e"], {"e": None}])
def test_check_reports_a_list_or_mapping_where_a_letter_belongs(key, value):
    broken = shielding()
    broken["lawful_basis"][key] = value  # for example "article6: [e]", an easy slip in YAML
    problems = check(broken)
    assert problems and any(key.replace("article", "Article ") in p or key in p for p in problems)


# Values that stand in for anything a person might type, or leave, in a specification.
ODD_VALUES = st.one_of(st.none(), st.text(max_size=5), st.integers(-3, 30), st.booleans(), st.just([]),
                       st.just({}), st.just(["x"]), st.just({"x": None}), st.dates())


def _paths(value, here=()):
    yield here
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*here, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _paths(inner, (*here, i))


SHIELDING_PATHS = [p for p in _paths(SHIELDING) if p]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SHIELDING_PATHS), ODD_VALUES), min_size=1, max_size=3))
def test_check_reports_any_broken_specification_without_raising(edits):
    broken = shielding()
    for path, value in edits:
        target = broken
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced this part
    problems = check(broken)
    assert isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)
    form_values(broken)  # the form can show whatever it was given


def test_write_from_form_writes_the_changed_specification(tmp_path):
    folder = tmp_path / "drafts"
    paths = write_from_form(SHIELDING, tick("supermarkets", "phone", "Call about delivery slots."), folder,
                            formats=FORMATS)
    names = sorted(p.name for p in paths)
    assert "dpia.md" in names and "agreement-supermarkets.md" in names
    assert "dpia.docx" in names and "agreement-supermarkets.docx" in names
    assert all(p.parent == folder and p.is_file() for p in paths)
    agreement = (folder / "agreement-supermarkets.md").read_text(encoding="utf-8")
    assert "Call about delivery slots." in agreement and "`phone`" in agreement


def test_write_from_form_refuses_a_specification_with_problems_and_writes_nothing(tmp_path):
    folder = tmp_path / "drafts"
    with pytest.raises(SpecError) as info:
        write_from_form(SHIELDING, tick("supermarkets", "phone"), folder, formats=FORMATS)
    assert "recipient 'supermarkets': field 'phone' has no justification" in info.value.problems
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("formats, folder, message", [
    ((), "drafts", "choose at least one"),
    (("pdf",), "drafts", "unknown key pdf"),
    (("md",), " ", "give the name of a new folder"),
])
def test_write_from_form_refuses_bad_choices(tmp_path, monkeypatch, formats, folder, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormError, match=message):
        write_from_form(SHIELDING, {}, folder, formats=formats)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------------------
# The blank specification
# ------------------------------------------------------------------------------------------------------------

def test_the_blank_specification_is_refused_with_its_placeholders_named():
    with pytest.raises(SpecError) as info:
        parse_spec(BLANK_TEXT, source="blank.yaml")
    problems = info.value.problems
    for expected in ("top level: 'start_date' must be a date written YYYY-MM-DD, got 'TO COMPLETE:",
                     "data: 'special_category' must be true or false, got 'TO COMPLETE: true or false'",
                     "lawful_basis: unknown Article 6 basis 'TO COMPLETE:",
                     "lawful_basis: 'duty_of_confidentiality' is 'TO COMPLETE:",
                     "controllers[0]: 'role' is 'TO COMPLETE:"):
        assert any(p.startswith(expected) for p in problems), expected
    assert sum("TO COMPLETE" in p for p in problems) >= 10


def test_check_names_every_placeholder_left_in_the_blank():
    problems = check(yaml.safe_load(BLANK_TEXT))
    for where, placeholder in spec_form.placeholders(yaml.safe_load(BLANK_TEXT)):
        assert any(placeholder in p for p in problems), where
    for where in ("title:", "purpose:", "lawful_basis.legal_power:", "recipients[0].name:"):
        assert any(p.startswith(where) for p in problems), "text placeholders pass the validator but not check"


def test_a_placeholder_left_in_text_stops_the_drafts(tmp_path):
    with pytest.raises(SpecError, match="title: replace the placeholder 'TO COMPLETE: the title'"):
        write_from_form(SHIELDING, {"title": "TO COMPLETE: the title"}, tmp_path / "drafts", formats=("md",))
    assert list(tmp_path.iterdir()) == []


def _leaves(value, here=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{here}.{key}" if here else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _leaves(inner, f"{here}[{i}]")
    else:
        yield here, value


def test_every_key_in_the_blank_has_a_comment_and_every_value_is_a_placeholder():
    lines = BLANK_TEXT.splitlines()
    keys = [i for i, line in enumerate(lines) if re.match(r"\s*(- )?[A-Za-z0-9_]+:", line)]
    assert len(keys) > 40
    for i in keys:
        above = lines[i - 1].strip()
        assert above.startswith(("#", "- #")), f"line {i + 1} has no comment above it: {lines[i]}"
    loaded = yaml.safe_load(BLANK_TEXT)
    for where, value in _leaves(loaded):
        if where != "source.role":  # the one value with no choice
            assert isinstance(value, str) and spec_form.PLACEHOLDER.search(value), where
    assert loaded["source"]["role"] == "source"
    # One example recipient, field and use, so the shape is clear.
    assert len(loaded["recipients"]) == len(loaded["fields"]) == len(loaded["uses"]["permitted"]) == 1


# ------------------------------------------------------------------------------------------------------------
# The form is wiring around spec_form
# ------------------------------------------------------------------------------------------------------------

def test_the_form_builds_from_the_shielding_specification_and_checks_it():
    from playbook.widgets import specification_form

    start = shielding()
    view = specification_form(start)
    controls = view.controls
    assert controls["title"].value == SPEC.title
    assert controls["article6"].value == "e" and controls["start_date"].value == dt.date(2020, 3, 23)
    tick_box, why = controls["recipients"]["dwp_contact_centre"]["fields"]["phone"]
    assert tick_box.value is True and why.value == "Make the call."
    controls["check"].click()
    assert spec_form.NO_PROBLEMS in controls["problems"].value

    email, email_why = controls["recipients"]["dwp_contact_centre"]["fields"]["email"]
    email.value = True  # ticked, no justification yet
    controls["check"].click()
    assert "field &#x27;email&#x27; has no justification" in controls["problems"].value
    email_why.value = "Send a call-back time."
    controls["check"].click()
    assert spec_form.NO_PROBLEMS in controls["problems"].value

    controls["recipients"]["dwp_contact_centre"]["uses"]["wellbeing_contact"].value = False
    controls["check"].click()
    assert "recipient &#x27;dwp_contact_centre&#x27;: lists no uses" in controls["problems"].value
    assert start == SHIELDING, "the form never changes the mapping it started from"


def test_the_form_writes_the_drafts_and_lists_them(tmp_path):
    from playbook.widgets import specification_form

    controls = specification_form(shielding()).controls
    controls["folder"].value = str(tmp_path / "drafts")
    for key, box in controls["formats"].items():
        box.value = key in FORMATS
    controls["title"].value = "Shielding support, as changed in the session"
    controls["write"].click()
    written = controls["written"].value
    files = sorted((tmp_path / "drafts").iterdir())
    assert f"Wrote {len(files)} files" in written
    assert all(path.name in written for path in files)
    assert {p.suffix for p in files} == {f".{key}" for key in FORMATS}
    assert "as changed in the session" in (tmp_path / "drafts" / "dpia.md").read_text(encoding="utf-8")

    controls["write"].click()  # the same folder again: refused, nothing overwritten
    assert "Nothing was written" in controls["written"].value and "already exists" in controls["written"].value


def test_the_form_shows_why_it_wrote_nothing(tmp_path):
    from playbook.widgets import specification_form

    controls = specification_form(shielding()).controls
    controls["folder"].value = str(tmp_path / "drafts")
    controls["recipients"]["supermarkets"]["fields"]["phone"][0].value = True
    controls["write"].click()
    assert "Nothing was written" in controls["written"].value
    assert "field &#x27;phone&#x27; has no justification" in controls["written"].value
    for box in controls["formats"].values():
        box.value = False
    controls["write"].click()
    assert "choose at least one" in controls["written"].value
    assert list(tmp_path.iterdir()) == []


def test_the_form_builds_from_the_blank_specification():
    from playbook.widgets import specification_form

    controls = specification_form(purpose.builtin_mapping("blank")).controls
    assert controls["title"].value.startswith("TO COMPLETE:")
    assert controls["start_date"].value is None and controls["article6"].value is None
    controls["check"].click()
    assert "problems to fix" in controls["problems"].value and "TO COMPLETE" in controls["problems"].value


def test_the_form_sections_show_every_value_once_in_order():
    shown = [key for keys in spec_form.SECTIONS.values() for key in keys]
    assert shown == [key for key in spec_form.LABELS if key != "recipients"]
    assert spec_form.SECTIONS["Lawful basis"] == spec_form.LAWFUL_BASIS_FIELDS


def test_every_lawful_basis_answer_is_written_under_lawful_basis():
    values = spec_form.form_values(SHIELDING)
    for key in spec_form.LAWFUL_BASIS_FIELDS:
        written = apply_form({k: v for k, v in SHIELDING.items() if k != "lawful_basis"}, {key: values[key]})
        assert "lawful_basis" in written, f"{key} is a lawful basis answer"


def test_the_form_shows_its_sections_under_their_headings():
    import ipywidgets as w

    from playbook.widgets import specification_form

    view = specification_form(shielding())
    children = list(view.children)
    headings = [c.value for c in children if isinstance(c, w.HTML) and c.value.startswith("<h4>")]
    assert headings[: len(spec_form.SECTIONS)] == [f"<h4>{title}</h4>" for title in spec_form.SECTIONS]
    start = children.index(next(c for c in children if getattr(c, "value", None) == "<h4>Lawful basis</h4>"))
    assert children[start + 1 : start + 1 + len(spec_form.LAWFUL_BASIS_FIELDS)] == [
        view.controls[key] for key in spec_form.LAWFUL_BASIS_FIELDS]
