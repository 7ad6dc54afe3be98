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
    base["date_of_death"] = [None] * n  # everyone alive unless a test says otherwise
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
    with pytest.raises(m.ExtractError, match=r"'police' is not a recipient.* names: dwp_contact_centre"):
        m.make_extract(SPEC, "police", records())


def test_missing_column_is_named():
    with pytest.raises(m.ExtractError, match=r"no column 'email', needed for recipient 'supermarkets'") as info:
        m.make_extract(SPEC, "supermarkets", records().drop(columns="email"))
    assert "The specification says where each comes from: email from spl.email." in str(info.value)
    with pytest.raises(m.ExtractError, match=r"date_of_death from spl.date_of_death"):
        m.make_extract(SPEC, "dwp_contact_centre", records().drop(columns="date_of_death"))
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
                  "true; date_of_death is blank). Ask the source to correct it."}]
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


def test_people_with_a_date_of_death_are_outside_every_recipients_scope():
    died = [None, pd.Timestamp("2020-04-20"), "", "2020-05-02", pd.NaT, "  "]
    data = records(6, date_of_death=pd.Series(died, dtype=object))
    for rid, rec in SPEC.recipients.items():
        extract = m.make_extract(SPEC, rid, data, partition="E09000001" if rec.partition_by else None)
        assert not {1, 3} & set(extract.data.index), rid
        assert len(extract.exceptions) == 0, "a date of death, or none, is always a definite answer"
        assert extract.balanced
    wholesaler = m.make_extract(SPEC, "food_wholesaler", data)
    assert list(wholesaler.data.index) == [0, 2, 4, 5]
    assert wholesaler.counts()["rows"].to_dict() == {"in": 6, "sent": 4, "outside the scope": 2, "exceptions": 0}


def test_a_death_outweighs_an_unclear_answer():
    data = records(2, consented_to_supermarket_share=pd.Series(["maybe", "maybe"], dtype=object),
                   date_of_death=[pd.Timestamp("2020-04-20"), None])
    extract = m.make_extract(SPEC, "supermarkets", data)
    assert extract.rows_out_of_scope == 1 and extract.exceptions["row"].tolist() == [1]


def test_blank_reads_missing_values_and_empty_text():
    import numpy as np

    mixed = pd.Series([None, "", " ", "x", np.nan, pd.NaT, pd.Timestamp("2020-01-01"), pd.NA], dtype=object)
    assert m.blank(mixed).tolist() == [True, True, True, False, True, True, False, True]
    assert m.blank(pd.Series(["", " ", "2020-01-01", None], dtype="string")).tolist() == [True, True, False, True]
    assert m.blank(pd.to_datetime(pd.Series(["2020-01-01", None]))).tolist() == [False, True]


def test_yes_no_answers_are_read_but_never_guessed():
    values = pd.Series([True, False, None, "yes", "No", " y ", "N", "true", "0", "1", "maybe", "", 7], dtype=object)
    assert m.as_yes_no(values).tolist() == [True, False, pd.NA, True, False, True, False, True, False, True,
                                            pd.NA, pd.NA, pd.NA]


DEATHS = [None, "", " ", pd.NaT, pd.NA, pd.Timestamp("2020-04-20"), "2020-05-02", "unknown"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPEC.recipients)),
       st.lists(st.tuples(st.sampled_from(ANSWERS), st.sampled_from(ANSWERS), st.sampled_from(ANSWERS),
                          st.sampled_from(["E09000001", "E09000002", None]), st.sampled_from(DEATHS)),
                min_size=0, max_size=40))
def test_every_row_is_sent_out_of_scope_or_an_exception_exactly_once(recipient, rows):
    n = len(rows)
    data = records(n, registered=pd.Series([r[0] for r in rows], dtype=object),
                   consented_to_supermarket_share=pd.Series([r[1] for r in rows], dtype=object),
                   needs_food_support=pd.Series([r[2] for r in rows], dtype=object),
                   local_authority_code=pd.Series([r[3] for r in rows], dtype=object),
                   date_of_death=pd.Series([r[4] for r in rows], dtype=object))
    rec = SPEC.recipients[recipient]
    extract = m.make_extract(SPEC, recipient, data, partition="E09000001" if rec.partition_by else None,
                             allow_empty_partition=True)  # the generated rows may hold no row for this council
    assert extract.balanced
    assert extract.rows_in == n
    sent, odd = set(extract.data.index), set(extract.exceptions["row"])
    assert not sent & odd
    assert len(odd) == len(extract.exceptions), "one exceptions row per row"
    assert set(extract.data.columns) <= set(rec.fields), "an unjustified field was sent"
    assert extract.rows_in == extract.rows_out + extract.rows_out_of_scope + len(extract.exceptions)
    died = {i for i in range(n) if purpose.is_date(data.loc[i, "date_of_death"])}
    unclear = {i for i in range(n) if not purpose.is_blank(data.loc[i, "date_of_death"])} - died
    assert not died & sent, "an extract holds a person with a date of death"
    assert not unclear & sent, "an extract holds a person whose date of death is neither blank nor a date"
    assert not died & odd, "a person with a date of death is outside the scope, not an exception"
    for i in sent:  # every row sent meets every condition of the scope
        for rule in rec.row_scope:
            if rule.operator == "is_blank":
                assert purpose.is_blank(data.loc[i, rule.column]) == rule.value
                continue
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
    assert extract.rows_out == int((service["registered"] & service["consented_to_supermarket_share"]
                                    & service["date_of_death"].isna()).sum())
    died = service["date_of_death"].notna()
    assert died.any(), "the teaching data has people with a date of death"
    assert not set(service.index[died]) & set(extract.data.index)


def test_service_records_names_a_missing_column():
    with pytest.raises(m.ExtractError, match="table registrations has no column 'needs_food'"):
        m.service_records(synthetic_data.load("spl"), synthetic_data.load("registrations").drop(columns="needs_food"))


SPL = synthetic_data.load("spl").head(300)
REGS = synthetic_data.load("registrations")


def test_service_records_renames_each_column_as_the_specification_says():
    service = m.service_records(SPL, REGS)
    for field, (column,) in [(f, c) for f, c in purpose.source_columns(SPEC, "spl").items() if len(c) == 1]:
        assert service[field].equals(SPL[column].rename(field)), field
    assert service["phone"].equals(SPL["mobile"].fillna(SPL["landline"]).rename("phone"))
    assert not {"given_name", "family_name", "la_code", "mobile", "landline"} & set(service.columns)
    assert {"spl_row_id", "release"} <= set(service.columns), "columns with no field keep their names"


def test_service_records_follows_a_changed_specification():
    data = purpose.builtin_mapping()
    data["fields"]["phone"]["source"] = ["spl.landline", "spl.mobile"]  # prefer the landline
    data["fields"]["first_name"]["source"] = "spl.family_name"
    data["fields"]["last_name"]["source"] = "spl.given_name"
    service = m.service_records(SPL, REGS, purpose.parse_spec(data))
    assert service["phone"].equals(SPL["landline"].fillna(SPL["mobile"]).rename("phone"))
    assert service["first_name"].equals(SPL["family_name"].rename("first_name"))


def test_service_records_refuses_a_column_named_as_the_source_of_two_fields():
    data = purpose.builtin_mapping()
    data["fields"]["last_name"]["source"] = "spl.given_name"
    with pytest.raises(m.ExtractError, match="column 'given_name' of table spl is the source of more than one"):
        m.service_records(SPL, REGS, purpose.parse_spec(data))


def test_service_records_names_a_source_the_list_does_not_have():
    data = purpose.builtin_mapping()
    data["fields"]["email"]["source"] = "spl.email_address"
    with pytest.raises(m.ExtractError, match="table spl has no column 'email_address', which the specification"):
        m.service_records(SPL, REGS, purpose.parse_spec(data))


def test_registered_comes_from_the_join_on_nhs_number():
    regs = REGS[REGS["nhs_number"].isin(SPL["nhs_number"].head(5))]
    service = m.service_records(SPL, regs)
    assert service["registered"].tolist() == [n in set(regs["nhs_number"]) for n in SPL["nhs_number"]]
    assert service.loc[~service["registered"], "needs_food_support"].isna().all()


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
