"""Tests for playbook.purpose: the shielding specification, every validation rule, and enforcement."""

from __future__ import annotations

import copy
import datetime as dt
from importlib import resources

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import purpose
from playbook.purpose import SpecError, check_field, check_request, parse_spec

RAW = yaml.safe_load((resources.files("playbook") / "specs" / "shielding.yaml").read_text(encoding="utf-8"))
SPEC = purpose.load_builtin("shielding")


def raw() -> dict:
    """A fresh, editable copy of the shielding specification as loaded from YAML."""
    return copy.deepcopy(RAW)


def recipient(data: dict, rid: str) -> dict:
    return next(r for r in data["recipients"] if r["id"] == rid)


def problems_of(data) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(data, source="test.yaml")
    return info.value.problems


# ------------------------------------------------------------------------------------------------------------
# The worked shielding specification
# ------------------------------------------------------------------------------------------------------------


def test_shielding_spec_loads_with_its_four_recipients():
    assert sorted(SPEC.recipients) == ["dwp_contact_centre", "food_wholesaler", "local_authorities", "supermarkets"]
    assert SPEC.controllers[0].name == "Government Digital Service"
    assert SPEC.source.name == "NHS Digital"
    assert SPEC.start_date == dt.date(2020, 3, 23)


def test_shielding_spec_records_copi_as_the_confidentiality_route():
    basis = SPEC.lawful_basis
    assert (basis.article6, basis.article9, basis.schedule1) == ("e", "i", (1, 3))
    assert basis.duty_of_confidentiality == "copi_notice"
    assert "Article 6(1)(e) public task" in basis.describe()
    assert "Schedule 1 Part 1 paragraph 3" in basis.describe()


def test_clinical_group_is_refused_for_every_recipient():
    table = purpose.field_table(SPEC, fields=["clinical_group"])
    assert list(table["decision"]) == ["refused"] * len(SPEC.recipients)
    assert all("Excluded for every recipient" in r for r in table["reason"])


def test_supermarkets_only_get_registrants_who_consented():
    rec = SPEC.recipient("supermarkets")
    alive = {"date_of_death": None}
    assert rec.in_scope({"registered": True, "consented_to_supermarket_share": True, **alive})
    assert not rec.in_scope({"registered": True, "consented_to_supermarket_share": False, **alive})
    assert not rec.in_scope({"registered": False, "consented_to_supermarket_share": True, **alive})
    assert not rec.in_scope({"registered": True, "consented_to_supermarket_share": True,
                             "date_of_death": dt.date(2020, 4, 20)})
    assert rec.describe_rows() == ("registered equals true; consented_to_supermarket_share equals true; "
                                   "date_of_death is blank")


def test_local_authorities_are_split_by_local_authority():
    rec = SPEC.recipient("local_authorities")
    assert rec.partition_by == "local_authority_code"
    assert rec.in_scope({"date_of_death": None})  # the only row filter is the deaths one: the split does the rest
    assert "split by local_authority_code" in rec.describe_rows()


@pytest.mark.parametrize("rid", sorted(SPEC.recipients))
def test_every_recipient_that_delivers_or_calls_excludes_people_who_have_died(rid):
    rule = next(r for r in SPEC.recipient(rid).row_scope if r.column == "date_of_death")
    assert (rule.operator, rule.value) == ("is_blank", True)
    assert "died" in rule.reason
    assert not SPEC.recipient(rid).in_scope({"registered": True, "consented_to_supermarket_share": True,
                                             "needs_food_support": True, "date_of_death": dt.date(2020, 5, 1)})
    assert "date_of_death" not in SPEC.recipient(rid).fields  # used to choose rows, never sent


def test_sex_is_refused_for_its_real_reason():
    for rid in SPEC.recipients:
        d = check_field(SPEC, rid, "sex")
        assert not d.allowed
        assert d.reason.startswith("Excluded for every recipient: No recipient needs it")
        assert "not in the field catalogue" not in d.reason


def test_every_field_says_where_it_comes_from_and_the_column_exists():
    from synthetic_data.schema import SCHEMA

    for name, definition in SPEC.fields.items():
        assert definition.source, f"field {name!r} has no source"
        for source in definition.source:
            table, column = source.split(".")
            assert column in SCHEMA[table].column_names, f"field {name!r}: {source} is not a column"
    assert SPEC.fields["first_name"].source == ("spl.given_name",)
    assert SPEC.fields["phone"].source == ("spl.mobile", "spl.landline")


def test_source_columns_reads_one_table_in_the_order_asked():
    assert purpose.source_columns(SPEC, "registrations") == {
        "registered": ("nhs_number",), "needs_food_support": ("needs_food",),
        "consented_to_supermarket_share": ("consent_share_supermarkets",)}
    wanted = list(SPEC.recipient("dwp_contact_centre").fields)
    assert purpose.source_columns(SPEC, "spl", wanted) == {
        "first_name": ("given_name",), "last_name": ("family_name",), "date_of_birth": ("date_of_birth",),
        "postcode": ("postcode",), "phone": ("mobile", "landline")}
    assert "uprn" not in purpose.source_columns(SPEC, "spl")  # it comes from the address register
    assert purpose.source_columns(SPEC, "spl", ["shoe_size"]) == {}


def test_a_source_may_be_left_out():
    data = raw()
    del data["fields"]["email"]["source"]
    spec = parse_spec(data)
    assert spec.fields["email"].source == ()
    assert "email" not in purpose.source_columns(spec, "spl")


def test_catalogue_table_shows_source_and_recipients():
    table = purpose.catalogue_table(SPEC).set_index("field")
    assert table.loc["phone", "source"] == "spl.mobile or spl.landline"
    assert table.loc["date_of_death", "recipients"] == "-"
    assert table.loc["email", "recipients"] == "supermarkets"
    assert list(table.index) == sorted(SPEC.fields)


def test_unknown_recipient_lookup_names_the_known_ones():
    with pytest.raises(KeyError, match="'police' is not a recipient.* names: dwp_contact_centre"):
        SPEC.recipient("police")


def test_tables_are_sorted_and_complete():
    table = purpose.field_table(SPEC)
    assert len(table) == len(SPEC.fields) * len(SPEC.recipients)
    assert list(table["recipient"]) == sorted(table["recipient"])
    matrix = purpose.field_matrix(SPEC)
    assert matrix.loc["email", "supermarkets"] == "yes"
    assert matrix.loc["clinical_group"].tolist() == ["-"] * 4
    assert list(purpose.recipients_table(SPEC)["recipient"]) == sorted(SPEC.recipients)


# ------------------------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------------------------


def test_load_spec_from_a_file(tmp_path):
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(RAW), encoding="utf-8")
    assert purpose.load_spec(path) == SPEC


def test_load_spec_error_names_the_file(tmp_path):
    data = raw()
    del data["purpose"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SpecError, match="broken.yaml has 1 problem:"):
        purpose.load_spec(path)


def test_load_builtin_unknown_name_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match="available: blank, shielding"):
        purpose.load_builtin("nope")


def test_invalid_yaml_is_reported():
    assert problems_of("purpose: [unclosed")[0].startswith("not valid YAML")


def test_top_level_must_be_a_mapping():
    assert "top level" in problems_of("- a list")[0]


def test_dates_may_be_written_as_text():
    data = raw()
    data["start_date"] = "2020-03-23"
    assert parse_spec(data).start_date == dt.date(2020, 3, 23)


# ------------------------------------------------------------------------------------------------------------
# Every validation rule, with the message that names the place
# ------------------------------------------------------------------------------------------------------------


def _drop_justification(d):
    recipient(d, "supermarkets")["fields"]["email"] = ""


def _unjustified_null(d):
    recipient(d, "supermarkets")["fields"]["email"] = None


def _special_without_article9(d):
    del d["lawful_basis"]["article9"]
    del d["lawful_basis"]["schedule1"]


def _special_field_without_article9(d):
    _special_without_article9(d)
    d["data"]["special_category"] = False
    d["data"]["confidential_patient_information"] = False
    d["lawful_basis"]["duty_of_confidentiality"] = "not_applicable"
    del d["excluded_fields"]["clinical_group"]
    recipient(d, "local_authorities")["fields"]["clinical_group"] = "Prioritise visits."


def _end_before_start(d):
    d["end_date"] = dt.date(2020, 3, 1)


def _unknown_article6(d):
    d["lawful_basis"]["article6"] = "g"


def _unknown_article9(d):
    d["lawful_basis"]["article9"] = "k"


def _no_schedule1(d):
    del d["lawful_basis"]["schedule1"]


def _wrong_schedule1(d):
    d["lawful_basis"]["schedule1"] = {"part": 2, "paragraph": 6}


def _schedule1_not_needed(d):
    d["lawful_basis"]["article9"] = "c"


def _part2_without_apd(d):
    d["lawful_basis"]["article9"] = "g"
    d["lawful_basis"]["schedule1"] = {"part": 2, "paragraph": 6}


def _legitimate_interests(d):
    d["lawful_basis"]["article6"] = "f"


def _recognised_legitimate_interest(d):
    d["lawful_basis"]["article6"] = "ea"


def _cpi_without_route(d):
    d["lawful_basis"]["duty_of_confidentiality"] = "not_applicable"


def _review_after_end(d):
    d["review_date"] = dt.date(2021, 1, 1)


def _delete_before_start(d):
    d["retention"]["delete_by"] = dt.date(2020, 1, 1)


def _field_not_in_catalogue(d):
    recipient(d, "supermarkets")["fields"]["loyalty_card"] = "Match accounts."


def _excluded_field_granted(d):
    recipient(d, "supermarkets")["fields"]["clinical_group"] = "Choose the right food."


def _excluded_unknown(d):
    d["excluded_fields"]["shoe_size"] = "Not needed."


def _excluded_without_reason(d):
    d["excluded_fields"]["gp_practice_code"] = ""


def _use_both_ways(d):
    d["uses"]["prohibited"]["wellbeing_contact"] = "No."


def _prohibited_without_reason(d):
    d["uses"]["prohibited"]["marketing"] = ""


def _no_permitted_uses(d):
    d["uses"]["permitted"] = {}


def _recipient_without_fields(d):
    recipient(d, "supermarkets")["fields"] = {}


def _recipient_without_uses(d):
    recipient(d, "supermarkets")["uses"] = []


def _recipient_unknown_use(d):
    recipient(d, "supermarkets")["uses"] = ["profiling"]


def _row_scope_unknown_column(d):
    recipient(d, "supermarkets")["row_scope"][0]["column"] = "vip"


def _partition_unknown_column(d):
    recipient(d, "local_authorities")["partition_by"] = "council"


def _partition_not_received(d):
    del recipient(d, "local_authorities")["fields"]["local_authority_code"]


def _duplicate_recipient(d):
    d["recipients"].append(copy.deepcopy(recipient(d, "supermarkets")))


def _no_controllers(d):
    d["controllers"] = []


def _no_recipients(d):
    d["recipients"] = []


def _unknown_top_key(d):
    d["purpose_statement"] = "typo"


def _unknown_recipient_key(d):
    recipient(d, "supermarkets")["field"] = {}


def _unknown_basis_key(d):
    d["lawful_basis"]["article_6"] = "e"


def _unknown_field_key(d):
    d["fields"]["email"]["sensitive"] = True


def _unknown_schedule1_key(d):
    d["lawful_basis"]["schedule1"]["para"] = 3


def _missing_purpose(d):
    del d["purpose"]


def _empty_public_benefit(d):
    d["public_benefit"] = "  "


def _text_not_string(d):
    d["title"] = 42


def _bad_date(d):
    d["end_date"] = "when it is over"


def _bad_bool(d):
    d["data"]["special_category"] = "yes"


def _bad_role(d):
    recipient(d, "supermarkets")["role"] = "partner"


def _bad_org_type(d):
    d["controllers"][0]["organisation_type"] = "department"


def _bad_route(d):
    d["lawful_basis"]["duty_of_confidentiality"] = "section_999"


def _schedule1_text(d):
    d["lawful_basis"]["schedule1"] = {"part": "one", "paragraph": 3}


def _fields_as_list(d):
    d["fields"] = ["nhs_number"]


def _field_body_not_mapping(d):
    d["fields"]["email"] = "Email address."


def _recipient_fields_as_list(d):
    recipient(d, "supermarkets")["fields"] = ["email"]


def _uses_not_list(d):
    recipient(d, "supermarkets")["uses"] = "priority_delivery_slots"


def _row_scope_not_list(d):
    recipient(d, "supermarkets")["row_scope"] = {"column": "registered", "equals": True}


def _row_filter_not_mapping(d):
    recipient(d, "supermarkets")["row_scope"] = ["registered"]


def _row_filter_two_operators(d):
    recipient(d, "supermarkets")["row_scope"][0]["not_equals"] = False


def _row_filter_unknown_operator(d):
    recipient(d, "supermarkets")["row_scope"][0] = {"column": "registered", "is": True}


def _row_filter_no_column(d):
    recipient(d, "supermarkets")["row_scope"][0] = {"equals": True}


def _row_filter_in_not_list(d):
    recipient(d, "supermarkets")["row_scope"][0] = {"column": "registered", "in": True}


def _source_not_table_column(d):
    d["fields"]["first_name"]["source"] = "given_name"


def _source_empty_list(d):
    d["fields"]["phone"]["source"] = []


def _source_not_text(d):
    d["fields"]["phone"]["source"] = {"spl": "mobile"}


def _source_listed_twice(d):
    d["fields"]["phone"]["source"] = ["spl.mobile", "spl.mobile"]


def _source_bad_in_list(d):
    d["fields"]["phone"]["source"] = ["spl.mobile", "landline"]


def _is_blank_not_bool(d):
    recipient(d, "supermarkets")["row_scope"][2] = {"column": "date_of_death", "is_blank": "yes"}


def _is_blank_and_equals(d):
    recipient(d, "supermarkets")["row_scope"][2]["equals"] = None


def _row_filter_empty_reason(d):
    recipient(d, "supermarkets")["row_scope"][2]["reason"] = " "


def _row_filter_reason_not_text(d):
    recipient(d, "supermarkets")["row_scope"][2]["reason"] = ["people who died"]


def _is_blank_unknown_column(d):
    recipient(d, "food_wholesaler")["row_scope"][2]["column"] = "died_on"


def _partition_not_text(d):
    recipient(d, "local_authorities")["partition_by"] = ["local_authority_code"]


def _controllers_not_list(d):
    d["controllers"] = {"name": "GDS"}


def _recipients_not_list(d):
    d["recipients"] = {"id": "x"}


def _recipient_not_mapping(d):
    d["recipients"].append("police")


def _mapping_expected(d):
    d["excluded_fields"] = ["clinical_group"]


RULES = [
    (_drop_justification, "recipient 'supermarkets': field 'email' has no justification"),
    (_unjustified_null, "recipient 'supermarkets': field 'email' has no justification"),
    (_special_without_article9, "the data is special category data but no Article 9 condition is given"),
    (_special_field_without_article9, "fields clinical_group are special category data but no Article 9"),
    (_end_before_start, "end_date 2020-03-01 is before start_date 2020-03-23"),
    (_unknown_article6, "lawful_basis: unknown Article 6 basis 'g'"),
    (_unknown_article9, "lawful_basis: unknown Article 9 condition 'k'"),
    (_no_schedule1, "Article 9(2)(i) also needs a DPA 2018 Schedule 1 condition (section 10): give schedule1 Part 1 "
                    "paragraph 3"),
    (_wrong_schedule1, "Schedule 1 Part 2 paragraph 6 does not complete Article 9(2)(i); use Part 1 paragraph 3"),
    (_schedule1_not_needed, "Article 9(2)(c) does not use a Schedule 1 condition"),
    (_part2_without_apd, "Schedule 1 Part 2 paragraph 6 needs an appropriate policy document"),
    (_legitimate_interests, "Government Digital Service is a public authority and cannot rely on Article 6(1)(f)"),
    (_recognised_legitimate_interest, "cannot rely on Article 6(1)(ea) recognised legitimate interest for its tasks"),
    (_cpi_without_route, "duty_of_confidentiality cannot be not_applicable"),
    (_review_after_end, "review_date 2021-01-01 must fall between start_date and end_date"),
    (_delete_before_start, "retention: delete_by 2020-01-01 is before start_date"),
    (_field_not_in_catalogue, "recipient 'supermarkets': field 'loyalty_card' is not in the field catalogue"),
    (_excluded_field_granted, "recipient 'supermarkets': field 'clinical_group' is excluded for every recipient"),
    (_excluded_unknown, "excluded_fields: 'shoe_size' is not in the field catalogue"),
    (_excluded_without_reason, "excluded_fields: 'gp_practice_code' has no reason"),
    (_use_both_ways, "uses: 'wellbeing_contact' is both permitted and prohibited"),
    (_prohibited_without_reason, "uses.prohibited: 'marketing' has no reason"),
    (_no_permitted_uses, "uses.permitted: name at least one permitted use"),
    (_recipient_without_fields, "recipient 'supermarkets': lists no fields"),
    (_recipient_without_uses, "recipient 'supermarkets': lists no uses"),
    (_recipient_unknown_use, "recipient 'supermarkets': use 'profiling' is not a permitted use"),
    (_row_scope_unknown_column, "recipient 'supermarkets': row_scope column 'vip' is not in the field catalogue"),
    (_partition_unknown_column, "recipient 'local_authorities': partition_by 'council' is not in the field catalogue"),
    (_partition_not_received, "recipient 'local_authorities': partition_by 'local_authority_code' is not a field "
                              "this recipient receives"),
    (_duplicate_recipient, "recipient 'supermarkets': the id is used twice"),
    (_no_controllers, "controllers: name at least one controller"),
    (_no_recipients, "recipients: name at least one recipient"),
    (_unknown_top_key, "top level: unknown key 'purpose_statement' (allowed: "),
    (_unknown_recipient_key, "recipient 'supermarkets': unknown key 'field' (allowed: fields, id, name,"),
    (_unknown_basis_key, "lawful_basis: unknown key 'article_6'"),
    (_unknown_field_key, "field 'email': unknown key 'sensitive' (allowed: description, source, special_category)"),
    (_unknown_schedule1_key, "lawful_basis.schedule1: unknown key 'para' (allowed: paragraph, part)"),
    (_missing_purpose, "top level: missing 'purpose'"),
    (_empty_public_benefit, "top level: 'public_benefit' is empty"),
    (_text_not_string, "top level: 'title' must be text, got int"),
    (_bad_date, "top level: 'end_date' must be a date written YYYY-MM-DD, got 'when it is over'"),
    (_bad_bool, "data: 'special_category' must be true or false, got 'yes'"),
    (_bad_role, "recipient 'supermarkets': 'role' is 'partner'; allowed: controller, joint_controller, processor"),
    (_bad_org_type, "controllers[0]: 'organisation_type' is 'department'; allowed: public_authority"),
    (_bad_route, "lawful_basis: 'duty_of_confidentiality' is 'section_999'; allowed: consent, copi_notice"),
    (_schedule1_text, "lawful_basis.schedule1: 'part' and 'paragraph' must be whole numbers"),
    (_fields_as_list, "fields: expected a mapping of field names, got list"),
    (_field_body_not_mapping, "field 'email': expected a mapping of keys, got str"),
    (_recipient_fields_as_list, "recipient 'supermarkets': expected a mapping of field names to justifications"),
    (_uses_not_list, "recipient 'supermarkets': 'uses' must be a list of use names"),
    (_row_scope_not_list, "recipient 'supermarkets': 'row_scope' must be a list of conditions"),
    (_row_filter_not_mapping, "recipient 'supermarkets': row_scope[0]: expected a mapping"),
    (_row_filter_two_operators, "recipient 'supermarkets': row_scope[0]: give exactly one of equals, not_equals, in"),
    (_row_filter_unknown_operator, "recipient 'supermarkets': row_scope[0]: unknown key 'is' (allowed: column, "
                                   "equals, not_equals, in, is_blank, reason)"),
    (_row_filter_no_column, "recipient 'supermarkets': row_scope[0]: missing 'column'"),
    (_row_filter_in_not_list, "recipient 'supermarkets': row_scope[0]: 'in' needs a list of values"),
    (_partition_not_text, "recipient 'local_authorities': 'partition_by' must be a field name"),
    (_source_not_table_column, "field 'first_name': source 'given_name' must be written table.column, for example "
                               "spl.given_name"),
    (_source_empty_list, "field 'phone': 'source' must be table.column, for example spl.given_name, or a list"),
    (_source_not_text, "field 'phone': 'source' must be table.column"),
    (_source_listed_twice, "field 'phone': source 'spl.mobile' is listed twice"),
    (_source_bad_in_list, "field 'phone': source 'landline' must be written table.column"),
    (_is_blank_not_bool, "recipient 'supermarkets': row_scope[2]: 'is_blank' must be true (keep rows where the "
                         "column is blank) or false (keep rows where it holds a value), got 'yes'"),
    (_is_blank_and_equals, "recipient 'supermarkets': row_scope[2]: give exactly one of equals, not_equals, in, "
                           "is_blank"),
    (_row_filter_empty_reason, "recipient 'supermarkets': row_scope[2]: 'reason' must be text that says why"),
    (_row_filter_reason_not_text, "recipient 'supermarkets': row_scope[2]: 'reason' must be text"),
    (_is_blank_unknown_column, "recipient 'food_wholesaler': row_scope column 'died_on' is not in the field "
                               "catalogue"),
    (_controllers_not_list, "controllers: expected a list"),
    (_recipients_not_list, "recipients: expected a list"),
    (_recipient_not_mapping, "recipients[4]: expected a mapping of keys, got str"),
    (_mapping_expected, "excluded_fields: expected a mapping of field names to reasons, got list"),
]


@pytest.mark.parametrize("mutate, message", RULES, ids=[m.__name__.strip("_") for m, _ in RULES])
def test_each_rule_rejects_with_a_message_that_names_the_place(mutate, message):
    data = raw()
    mutate(data)
    problems = problems_of(data)
    assert any(message in p for p in problems), problems


def test_a_fixed_spec_passes_each_rule_again():
    data = raw()
    _part2_without_apd(data)
    data["lawful_basis"]["appropriate_policy_document"] = "GDS appropriate policy document, version 1"
    assert parse_spec(data).lawful_basis.schedule1 == (2, 6)


def test_all_problems_are_collected_into_one_error():
    data = raw()
    _drop_justification(data)
    _end_before_start(data)
    _unknown_article6(data)
    _unknown_top_key(data)
    with pytest.raises(SpecError) as info:
        parse_spec(data, source="shielding-draft.yaml")
    assert len(info.value.problems) == 4
    text = str(info.value)
    assert text.startswith("purpose specification shielding-draft.yaml has 4 problems:")
    assert "field 'email' has no justification" in text and "end_date" in text


def test_appropriate_policy_document_rule():
    assert purpose.needs_appropriate_policy_document((1, 1))
    assert purpose.needs_appropriate_policy_document((2, 18))
    assert not purpose.needs_appropriate_policy_document((1, 3))


# ------------------------------------------------------------------------------------------------------------
# Enforcement: fields
# ------------------------------------------------------------------------------------------------------------


def test_allowed_field_gives_its_justification():
    d = check_field(SPEC, "supermarkets", "email")
    assert d.allowed and d.outcome == "allowed"
    assert d.reason == SPEC.recipients["supermarkets"].fields["email"]
    assert str(d).startswith("ALLOWED: supermarkets / email:")


def test_field_justified_for_others_names_them():
    d = check_field(SPEC, "supermarkets", "phone")
    assert not d.allowed
    assert "justified for dwp_contact_centre, food_wholesaler, local_authorities, but not for Supermarkets" in d.reason


def test_field_justified_for_nobody():
    d = check_field(SPEC, "local_authorities", "consented_to_supermarket_share")
    assert not d.allowed and d.reason.startswith("It is not justified for Local authorities")


def test_field_outside_the_catalogue():
    d = check_field(SPEC, "local_authorities", "ethnicity")
    assert not d.allowed and "not in the field catalogue" in d.reason


def test_field_for_an_unknown_recipient():
    d = check_field(SPEC, "police", "postcode")
    assert not d.allowed and "'police' is not a recipient named in the specification" in d.reason


def test_field_outside_the_dates():
    before = check_field(SPEC, "supermarkets", "email", on=dt.date(2020, 3, 1))
    after = check_field(SPEC, "supermarkets", "email", on=dt.date(2021, 1, 1))
    during = check_field(SPEC, "supermarkets", "email", on=dt.date(2020, 5, 1))
    assert not before.allowed and "starts on 2020-03-23" in before.reason
    assert not after.allowed and "ended on 2020-08-31" in after.reason
    assert during.allowed


@settings(max_examples=200, deadline=None)
@given(rid=st.sampled_from(sorted(SPEC.recipients)), name=st.sampled_from(sorted(SPEC.fields)))
def test_a_field_is_allowed_exactly_when_the_spec_justifies_it(rid, name):
    d = check_field(SPEC, rid, name)
    assert d.allowed == (name in SPEC.recipients[rid].fields)
    assert d.reason  # every answer, yes or no, has a reason
    if name in SPEC.excluded_fields:
        assert not d.allowed


@settings(max_examples=100, deadline=None)
@given(name=st.text(min_size=1, max_size=20))
def test_any_unknown_field_is_refused(name):
    if name in SPEC.fields:
        return
    assert not check_field(SPEC, "local_authorities", name).allowed


# ------------------------------------------------------------------------------------------------------------
# Enforcement: requests
# ------------------------------------------------------------------------------------------------------------


def test_police_asking_for_the_list_for_enforcement_is_refused_with_reasons():
    d = check_request(SPEC, "police", "law_enforcement", ["nhs_number", "address_line_1"])
    assert not d.allowed
    assert d.reasons[0].startswith("The use 'law_enforcement' is outside the purpose and is refused:")
    assert "'police' is not a recipient named in the specification" in d.reasons[1]


def test_request_inside_the_purpose_is_allowed():
    d = check_request(SPEC, "supermarkets", "priority_delivery_slots", ["email", "postcode"], on=dt.date(2020, 4, 1))
    assert d.allowed and d.reason.startswith("Inside the purpose:")


def test_request_for_an_unlisted_use():
    d = check_request(SPEC, "local_authorities", "planning_housing")
    assert not d.allowed and "is not one of the permitted uses" in d.reason


def test_request_for_a_use_the_recipient_does_not_have():
    d = check_request(SPEC, "supermarkets", "wellbeing_contact")
    assert not d.allowed and "receives data only for: priority_delivery_slots" in d.reason


def test_request_with_a_field_the_recipient_may_not_have():
    d = check_request(SPEC, "supermarkets", "priority_delivery_slots", ["email", "clinical_group"])
    assert not d.allowed and d.reasons == (f"Field 'clinical_group': {check_field(SPEC, 'supermarkets', 'clinical_group').reason}",)


def test_request_after_the_end_date():
    d = check_request(SPEC, "supermarkets", "priority_delivery_slots", on=dt.date(2020, 9, 1))
    assert not d.allowed and "ended on 2020-08-31" in d.reason


# ------------------------------------------------------------------------------------------------------------
# Row filters
# ------------------------------------------------------------------------------------------------------------


def test_row_filter_operators():
    eq = purpose.RowFilter("registered", "equals", True)
    ne = purpose.RowFilter("registered", "not_equals", True)
    isin = purpose.RowFilter("local_authority_code", "in", ("E09000001", "E09000002"))
    assert eq.matches({"registered": True}) and not eq.matches({"registered": False})
    assert ne.matches({"registered": False}) and not ne.matches({"registered": True})
    assert isin.matches({"local_authority_code": "E09000002"}) and not isin.matches({"local_authority_code": "X"})
    assert not eq.matches({})  # a record without the column is out of scope, never guessed in
    assert isin.describe() == "local_authority_code in E09000001, E09000002"
    assert ne.describe() == "registered not equals true"


def test_is_blank_operator():
    import math

    import pandas as pd

    dead = purpose.RowFilter("date_of_death", "is_blank", False)
    alive = purpose.RowFilter("date_of_death", "is_blank", True, reason="Do not call people who have died.")
    for value in (None, "", "   ", math.nan, pd.NaT, pd.NA, "NULL", "N/A"):
        assert alive.matches({"date_of_death": value}) and not dead.matches({"date_of_death": value}), value
    for value in (dt.date(2020, 5, 1), pd.Timestamp("2020-05-01"), "2020-05-01"):
        assert dead.matches({"date_of_death": value}) and not alive.matches({"date_of_death": value}), value
    for value in ("unknown", 0):  # neither blank nor a date: cannot be tested either way (an exception)
        assert alive.matches({"date_of_death": value}) is None and dead.matches({"date_of_death": value}) is None
    assert not alive.matches({}) and not dead.matches({})  # no column: out of scope, never guessed in
    assert alive.describe() == "date_of_death is blank"
    assert dead.describe() == "date_of_death is not blank"


def test_is_blank_and_reason_are_read_from_the_file():
    data = raw()
    recipient(data, "dwp_contact_centre")["row_scope"] = [{"column": "date_of_death", "is_blank": False}]
    rule = parse_spec(data).recipient("dwp_contact_centre").row_scope[0]
    assert (rule.column, rule.operator, rule.value, rule.reason) == ("date_of_death", "is_blank", False, "")
    assert SPEC.recipient("food_wholesaler").row_scope[-1].reason.startswith("A food box for someone who has died")


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.none(), st.text(max_size=5), st.dates(), st.integers(), st.floats(allow_nan=True)),
       keep_blank=st.booleans())
def test_is_blank_splits_every_value_one_way_or_the_other(value, keep_blank):
    rule = purpose.RowFilter("date_of_death", "is_blank", keep_blank)
    opposite = purpose.RowFilter("date_of_death", "is_blank", not keep_blank)
    record = {"date_of_death": value}
    if rule.matches(record) is None:  # a date column: a value neither blank nor a date cannot be tested either way
        assert opposite.matches(record) is None and not purpose.is_blank(value) and not purpose.is_date(value)
        return
    assert rule.matches(record) != opposite.matches(record)
    assert rule.matches(record) == (purpose.is_blank(value) == keep_blank)


def test_a_timestamp_is_read_as_its_date():
    data = raw()
    data["start_date"] = dt.datetime(2020, 3, 23, 9, 30)
    assert parse_spec(data).start_date == dt.date(2020, 3, 23)


def test_ordinary_data_needs_no_article9():
    data = raw()
    _special_without_article9(data)
    data["data"].update(special_category=False, confidential_patient_information=False)
    data["lawful_basis"]["duty_of_confidentiality"] = "not_applicable"
    basis = parse_spec(data).lawful_basis
    assert basis.describe() == "Article 6(1)(e) public task; confidentiality: not applicable: no confidential " \
                               "patient information"


def test_an_almost_empty_file_reports_every_missing_part_without_crashing():
    problems = problems_of({"id": "draft"})
    for key in ("title", "purpose", "public_benefit", "start_date", "end_date", "review_date", "retention",
                "controllers", "source", "data", "lawful_basis", "fields", "uses", "recipients"):
        assert f"top level: missing {key!r}" in problems
    assert "uses.permitted: name at least one permitted use" in problems


def test_builtin_mapping_is_a_fresh_editable_copy():
    first = purpose.builtin_mapping()
    first["purpose"] = "changed"
    assert purpose.builtin_mapping() == RAW
    assert parse_spec(purpose.builtin_mapping()) == SPEC


def test_field_picker_shows_the_tested_answer_and_follows_changes():
    from playbook.widgets import field_picker

    view = field_picker(SPEC)
    recipient_box, field_box = view.children[0].children
    answer = view.children[1]
    recipient_box.value, field_box.value = "supermarkets", "clinical_group"
    assert "REFUSED" in answer.value and "Excluded for every recipient" in answer.value
    field_box.value = "email"
    assert "ALLOWED" in answer.value
