"""Extracts follow the purpose specification: justified fields only, rows in scope only, every row accounted for."""
import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import synthetic_data
from playbook import minimisation as m
from playbook import purpose

SPEC = purpose.load_builtin("shielding")
CATALOGUE = sorted(SPEC.fields)
ANSWERS = [True, False, None, "yes", "no", "Y", "n", "TRUE", "maybe", "", "unsure", 1, 0]


def records(n=6, **columns):
    """A small service table with every catalogue field, the specification's names as columns."""
    base = {name: [f"{name}-{i}" for i in range(n)] for name in CATALOGUE}
    base["registered"] = [True] * n
    base["needs_food_support"] = [True] * n
    base["consented_to_supermarket_share"] = [True] * n
    base["local_authority_code"] = ["E09000001", "E09000002"] * (n // 2) + ["E09000001"] * (n % 2)
    base.update(columns)
    return pd.DataFrame(base)


# --- fields -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("recipient", sorted(SPEC.recipients))
def test_each_recipient_gets_exactly_its_justified_fields(recipient):
    partition = "E09000001" if SPEC.recipients[recipient].partition_by else None
    extract = m.make_extract(SPEC, recipient, records(), partition=partition)
    assert list(extract.data.columns) == list(SPEC.recipients[recipient].fields)
    assert set(extract.fields) == set(SPEC.recipients[recipient].fields)
    assert all(extract.fields.values()), "every field sent carries its justification"
    assert "clinical_group" not in extract.data.columns


def test_a_field_outside_the_purpose_is_refused_with_the_reason():
    with pytest.raises(m.FieldRefused) as refused:
        m.make_extract(SPEC, "supermarkets", records(), fields=["first_name", "clinical_group", "nhs_number",
                                                                 "shoe_size"])
    message = str(refused.value)
    assert "refused 3 field(s) for recipient 'supermarkets'" in message
    assert "clinical_group: Excluded for every recipient" in message
    assert "nhs_number: It is justified for local_authorities, but not" in message
    assert "'shoe_size' is not in the field catalogue" in message
    assert [d.item for d in refused.value.decisions] == ["clinical_group", "nhs_number", "shoe_size"]


def test_asking_for_fewer_fields_gives_fewer_fields():
    extract = m.make_extract(SPEC, "supermarkets", records(), fields=["postcode", "first_name", "postcode"])
    assert list(extract.data.columns) == ["postcode", "first_name"]


def test_after_the_purpose_ends_nothing_is_sent():
    with pytest.raises(m.FieldRefused, match="The purpose ended on 2020-08-31"):
        m.make_extract(SPEC, "dwp_contact_centre", records(), on=dt.date(2021, 1, 1))
    assert m.make_extract(SPEC, "dwp_contact_centre", records(), on=dt.date(2020, 4, 1)).rows_out == 6


def test_withheld_lists_every_column_not_sent_and_why():
    table = m.withheld(SPEC, "dwp_contact_centre", records().columns)
    assert "phone" not in set(table["field"])
    reasons = table.set_index("field")["reason"]
    assert reasons["clinical_group"].startswith("Excluded for every recipient")
    assert len(table) == len(CATALOGUE) - len(SPEC.recipients["dwp_contact_centre"].fields)


# --- bad input --------------------------------------------------------------------------------------------------


def test_unknown_recipient_is_named():
    with pytest.raises(m.ExtractError, match=r"unknown recipient 'police'.*names dwp_contact_centre"):
        m.make_extract(SPEC, "police", records())


def test_missing_column_is_named():
    with pytest.raises(m.ExtractError, match=r"no column 'email', needed for recipient 'supermarkets'"):
        m.make_extract(SPEC, "supermarkets", records().drop(columns="email"))
    with pytest.raises(m.ExtractError, match=r"no column 'consented_to_supermarket_share'"):
        m.make_extract(SPEC, "supermarkets", records().drop(columns="consented_to_supermarket_share"))


def test_split_recipients_need_an_organisation_and_others_refuse_one():
    with pytest.raises(m.ExtractError, match="split by local_authority_code: name the organisation"):
        m.make_extract(SPEC, "local_authorities", records())
    with pytest.raises(m.ExtractError, match="not split by organisation"):
        m.make_extract(SPEC, "supermarkets", records(), partition="E09000001")


# --- rows -------------------------------------------------------------------------------------------------------


def test_supermarkets_receive_only_registrants_who_consented():
    data = records(6, registered=[True, True, False, True, False, True],
                   consented_to_supermarket_share=[True, False, True, "maybe", None, "yes"])
    extract = m.make_extract(SPEC, "supermarkets", data)
    assert list(extract.data.index) == [0, 5]
    assert extract.rows_out_of_scope == 3  # said no, or did not register (whatever their consent says)
    assert extract.exceptions.to_dict("records") == [{
        "row": 3, "column": "consented_to_supermarket_share", "value": "maybe",
        "reason": "consented_to_supermarket_share is 'maybe': neither yes nor no, so the row cannot be placed "
                  "inside or outside the scope (registered equals true; consented_to_supermarket_share equals "
                  "true). Ask the source to correct it."}]
    assert extract.counts()["rows"].to_dict() == {"in": 6, "sent": 2, "outside the scope": 3, "exceptions": 1}


def test_each_council_gets_only_its_own_residents_and_blanks_are_exceptions():
    data = records(5, local_authority_code=["E09000001", "E09000002", None, "E09000001", "E09000003"],
                   uprn=[f"99900000000{i}" for i in range(5)])
    extract = m.make_extract(SPEC, "local_authorities", data, partition="E09000001")
    assert set(extract.data["local_authority_code"]) == {"E09000001"}
    assert list(extract.data.index) == [0, 3]
    assert extract.exceptions["row"].tolist() == [2]
    assert "cannot be sent to any organisation" in extract.exceptions.loc[0, "reason"]
    assert extract.balanced


def test_yes_no_answers_are_read_but_never_guessed():
    values = pd.Series([True, False, None, "yes", "No", " y ", "N", "true", "0", "1", "maybe", "", 7], dtype=object)
    assert m.as_yes_no(values).tolist() == [True, False, pd.NA, True, False, True, False, True, False, True,
                                            pd.NA, pd.NA, pd.NA]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPEC.recipients)),
       st.lists(st.tuples(st.sampled_from(ANSWERS), st.sampled_from(ANSWERS), st.sampled_from(ANSWERS),
                          st.sampled_from(["E09000001", "E09000002", None])), min_size=0, max_size=40))
def test_every_row_is_sent_out_of_scope_or_an_exception_exactly_once(recipient, rows):
    n = len(rows)
    data = records(n, registered=pd.Series([r[0] for r in rows], dtype=object),
                   consented_to_supermarket_share=pd.Series([r[1] for r in rows], dtype=object),
                   needs_food_support=pd.Series([r[2] for r in rows], dtype=object),
                   local_authority_code=pd.Series([r[3] for r in rows], dtype=object))
    rec = SPEC.recipients[recipient]
    extract = m.make_extract(SPEC, recipient, data, partition="E09000001" if rec.partition_by else None)
    assert extract.balanced
    assert extract.rows_in == n
    sent, odd = set(extract.data.index), set(extract.exceptions["row"])
    assert not sent & odd
    assert len(odd) == len(extract.exceptions), "one exceptions row per row"
    assert set(extract.data.columns) <= set(rec.fields), "an unjustified field was sent"
    for i in sent:  # every row sent meets every condition of the scope
        for rule in rec.row_scope:
            assert m.as_yes_no(pd.Series([data.loc[i, rule.column]], dtype=object)).iloc[0] == True  # noqa: E712
        if rec.partition_by:
            assert data.loc[i, rec.partition_by] == "E09000001"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPEC.recipients)),
       st.lists(st.sampled_from(CATALOGUE + ["shoe_size", "religion"]), min_size=1, max_size=6))
def test_an_extract_never_holds_an_unjustified_field(recipient, asked):
    rec = SPEC.recipients[recipient]
    data = records(4, uprn=["u"] * 4)
    try:
        extract = m.make_extract(SPEC, recipient, data, fields=asked,
                                 partition="E09000001" if rec.partition_by else None)
    except m.FieldRefused as refused:
        assert {d.item for d in refused.decisions} == {f for f in asked if f not in rec.fields}
        return
    assert set(asked) <= set(rec.fields)
    assert list(extract.data.columns) == list(dict.fromkeys(asked))


# --- the teaching data ------------------------------------------------------------------------------------------


def test_service_records_from_the_teaching_data():
    spl, regs = synthetic_data.load("spl"), synthetic_data.load("registrations")
    service = m.service_records(spl, regs)
    assert len(service) == len(spl)
    assert {"first_name", "last_name", "local_authority_code", "phone", "registered"} <= set(service.columns)
    typed = set(regs["nhs_number"].str.replace(" ", "").dropna())
    assert service["registered"].sum() == spl["nhs_number"].isin(typed).sum()
    assert service.loc[~service["registered"], "consented_to_supermarket_share"].isna().all()
    extract = m.make_extract(SPEC, "supermarkets", service)
    assert extract.balanced and len(extract.exceptions) == 0
    assert extract.rows_out == int((service["registered"] & service["consented_to_supermarket_share"]).sum())


def test_service_records_names_a_missing_column():
    with pytest.raises(m.ExtractError, match="table registrations has no column 'needs_food'"):
        m.service_records(synthetic_data.load("spl"), synthetic_data.load("registrations").drop(columns="needs_food"))


# --- generalisers -----------------------------------------------------------------------------------------------


def test_age_bands_on_and_around_birthdays():
    dob = pd.Series(pd.to_datetime(["1950-04-01", "1950-04-02", "1925-01-01", "2015-06-30", None]))
    assert m.age_band(dob, "2020-04-01").tolist() == ["70-79", "60-69", "90+", "0-9", pd.NA]
    assert m.age_band(dob, "2020-04-01", width=5, top=85).tolist() == ["70-74", "65-69", "85+", "0-4", pd.NA]
    with pytest.raises(m.ExtractError, match="width"):
        m.age_band(dob, "2020-04-01", width=0)


def test_postcode_district_and_sector():
    codes = pd.Series(["SW1A 1AA", "sw1a1aa", "M1 2AE", "not a postcode", None])
    assert m.postcode_district(codes).tolist() == ["SW1A", "SW1A", "M1", pd.NA, pd.NA]
    assert m.postcode_sector(codes).tolist() == ["SW1A 1", "SW1A 1", "M1 2", pd.NA, pd.NA]
