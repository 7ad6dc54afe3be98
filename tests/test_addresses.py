"""UPRN matching: exact first, then postcode and house number; unmatched rows kept with a reason."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.addresses import EXACT, HOUSE_NUMBER, REASONS, house_number, match_rate, match_uprns

REGISTER = pd.DataFrame({
    "uprn": ["999000000001", "999000000002", "999000000003", "999000000004", "999000000005"],
    "address_line_1": ["12 High Street", "14 High Street", "Flat 3 20 Mill Lane", "Flat 4 20 Mill Lane",
                       "1 Oak Road"],
    "postcode": ["AB1 2CD", "AB1 2CD", "EF3 4GH", "EF3 4GH", "AB1 2CD"],
    "la_code": ["E06000001", "E06000001", "E08000025", "E08000025", "E06000001"],
})


def test_each_outcome_is_labelled():
    records = pd.DataFrame({
        "address_line_1": ["12 high st", "14, High Street, Townsville", "20 Mill Lane", "12 High St", "5 Nowhere",
                           "1 Oak Road", None],
        "postcode": ["ab12cd", "AB1 2CD", "EF3 4GH", "ZZ1 1ZZ", "AB1 2CD", "not a postcode", "AB1 2CD"],
    })
    out = match_uprns(records, REGISTER)
    assert out["uprn"].tolist()[:2] == ["999000000001", "999000000002"]
    assert out["uprn_method"].tolist()[:2] == [EXACT, HOUSE_NUMBER]
    assert out["uprn_la_code"].iloc[0] == "E06000001"
    assert out["uprn_reason"].tolist()[2:] == [REASONS["ambiguous"], REASONS["postcode_unknown"],
                                               REASONS["no_match"], REASONS["bad_postcode"], REASONS["no_match"]]
    assert out["uprn"].iloc[2:].isna().all()


def test_order_and_columns_of_the_list_are_kept():
    records = pd.DataFrame({"id": [3, 1, 2], "address_line_1": ["1 Oak Road", "x", "12 High Street"],
                            "postcode": ["AB1 2CD"] * 3}, index=[10, 20, 30])
    out = match_uprns(records, REGISTER)
    assert out.index.tolist() == [10, 20, 30] and out["id"].tolist() == [3, 1, 2]
    assert out["uprn"].tolist()[0] == "999000000005"


def test_duplicated_register_entries_are_never_guessed():
    register = pd.concat([REGISTER, REGISTER.iloc[[0]].assign(uprn="999000000099")], ignore_index=True)
    out = match_uprns(pd.DataFrame({"address_line_1": ["12 High Street"], "postcode": ["AB1 2CD"]}), register)
    assert pd.isna(out["uprn"].iloc[0]) and out["uprn_reason"].iloc[0] == REASONS["ambiguous"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["12 High Street", "12 HIGH ST", "14 high street", "Flat 3 20 Mill Lane",
                                           "99 Nowhere", "", "20"]),
                          st.sampled_from(["AB1 2CD", "ab12cd", "EF3 4GH", "ZZ1 1ZZ", "", "?"])), max_size=30))
def test_every_row_is_kept_and_has_a_uprn_or_a_reason(rows):
    records = pd.DataFrame(rows, columns=["address_line_1", "postcode"], dtype="object")
    out = match_uprns(records, REGISTER)
    assert len(out) == len(records)
    assert (out["uprn"].notna() ^ out["uprn_reason"].notna()).all()
    assert (out["uprn"].notna() == out["uprn_method"].notna()).all()
    assert set(out["uprn"].dropna()) <= set(REGISTER["uprn"])
    rate = match_rate(out)
    assert rate["records"].sum() == len(records)


def test_house_number_skips_the_flat():
    lines = pd.Series(["12A HIGH STREET", "FLAT 3 20 MILL LANE", "ROSE COTTAGE", None])
    out = house_number(lines)
    assert out.iloc[0] == "12A" and out.iloc[1] == "20" and out.iloc[2:].isna().all()


def test_match_rate_reports_percentages():
    records = pd.DataFrame({"address_line_1": ["12 High Street", "nowhere"], "postcode": ["AB1 2CD", "AB1 2CD"]})
    rate = match_rate(match_uprns(records, REGISTER)).set_index("outcome")
    assert rate.loc[EXACT, "percent"] == 50.0
    assert rate.loc[HOUSE_NUMBER, "records"] == 0


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="address register has no column uprn"):
        match_uprns(pd.DataFrame({"address_line_1": [], "postcode": []}), REGISTER.drop(columns="uprn"))
    with pytest.raises(KeyError, match="list has no column postcode"):
        match_uprns(pd.DataFrame({"address_line_1": []}), REGISTER)
