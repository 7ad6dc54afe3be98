"""Bad input values for the library functions: pseudonymisation, disclosure control, change feeds and UPRNs.

One section per entry point, one test per finding of issue 11 (findings 5 and 6). Each test failed before its fix.
A new entry point gets its own section: blank-like values, weak parameters, values that look right but are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import addresses, changes, disclosure
from playbook import pseudonymisation as ps

SECRET = "teaching-only-secret-0123456789abcdef"  # for tests only
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u2003\u3000\u200b\ufeff"
BLANKS = st.one_of(st.none(), st.just(np.nan), st.just(pd.NA), st.text(alphabet=WHITESPACE, max_size=6))

# --- pseudonymisation ------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.lists(BLANKS, min_size=1, max_size=8))
def test_blank_identifiers_get_no_pseudonym_and_never_match(blanks):
    assert ps.keyed_pseudonyms(pd.Series(blanks, dtype="object"), SECRET).isna().all()
    assert ps.plain_sha256(pd.Series(blanks, dtype="object")).isna().all()
    ours = pd.DataFrame({"key": pd.Series(blanks, dtype="object")})
    theirs = pd.DataFrame({"ref": range(len(blanks)), "key": pd.Series(blanks, dtype="object")})
    assert ps.match_for_partner(ours, theirs, ["key"], "ref", SECRET).empty


@pytest.mark.parametrize("weak", [" " * 32, "\t \n\r" * 8, b"\x00" * 32, "a" * 64, "ab" * 32, "0123" * 16,
                                  SECRET + "\n", " " + SECRET])
def test_weak_secrets_are_refused_without_showing_them(weak):
    with pytest.raises(ps.SecretKeyError) as error:
        ps.keyed_pseudonyms(pd.Series(["9990000018"]), weak)
    shown = str(error.value) + repr(error.value)
    assert repr(weak) not in shown and (not weak.strip() or str(weak.strip()) not in shown)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=ps.MIN_SECRET_DISTINCT - 1),
       st.integers(32, 80), st.randoms())
def test_random_secrets_with_few_distinct_characters_are_refused(alphabet, length, rnd):
    secret = "".join(rnd.choice(alphabet) for _ in range(length))
    with pytest.raises(ps.SecretKeyError) as error:
        ps.check_secret(secret)
    assert secret not in str(error.value)


def test_fresh_secrets_are_always_accepted():
    for _ in range(500):
        ps.check_secret(ps.new_secret())


# --- disclosure ------------------------------------------------------------------------------------------------


def _release(value):
    return pd.DataFrame({"people": [value]}, index=["E1"]).astype("Int64")


@pytest.mark.parametrize("before, after, change", [(103, 100, -3), (100, 103, 3)])
def test_differencing_catches_a_small_change_either_way(before, after, change):
    found = disclosure.differencing_exposures(_release(before), _release(after), threshold=10).iloc[0]
    assert found["change_low"] == found["change_high"] == change
    assert found["exposed"]


def test_totals_that_never_fall_start_the_range_at_zero_and_refuse_a_fall():
    found = disclosure.differencing_exposures(_release(50), _release(50), base=5, can_fall=False).iloc[0]
    assert (found["change_low"], found["change_high"]) == (0, 4)
    with pytest.raises(disclosure.DisclosureError, match="fell from 103 to 100"):
        disclosure.differencing_exposures(_release(103), _release(100), can_fall=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500), st.sampled_from([1, 3, 5, 10]))
def test_differencing_range_always_holds_the_true_change(a, b, base):
    earlier, later = (_release(int(disclosure.round_to_base([v], base)[0])) for v in (a, b))
    found = disclosure.differencing_exposures(earlier, later, threshold=10, base=base).iloc[0]
    assert found["change_low"] <= b - a <= found["change_high"]
    if base == 1:
        assert found["exposed"] == (0 < abs(b - a) < 10)


@pytest.mark.parametrize("kwargs", [dict(base=5), dict(threshold=0), dict(base=0), dict(threshold=2.5)])
def test_differencing_refuses_values_or_parameters_that_do_not_fit(kwargs):
    with pytest.raises(disclosure.DisclosureError):  # 52 and 53 cannot be counts rounded to 5
        disclosure.differencing_exposures(_release(52), _release(53), **kwargs)
    with pytest.raises(disclosure.DisclosureError, match="whole number"):
        disclosure.differencing_exposures(_release(52), pd.DataFrame({"people": [52.5]}, index=["E1"]))


@pytest.mark.parametrize("kwargs", [dict(low=7, high=1), dict(low=-1), dict(high=2.5), dict(low="1"),
                                    dict(base=0), dict(base=True), dict(high=None)])
def test_nhs_digital_refuses_inconsistent_parameters(kwargs):
    with pytest.raises(disclosure.DisclosureError):
        disclosure.nhs_digital(pd.DataFrame({"w": [3, 20]}, index=["a", "b"]), **kwargs)


# --- changes ---------------------------------------------------------------------------------------------------

KEYS = ["9990000018", "9990000026", "9990000034"]


def _version(keys, postcodes):
    return pd.DataFrame({"nhs_number": keys, "postcode": postcodes}, dtype="string")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=" \t\u00a0", max_size=3), st.text(alphabet=" \t\u00a0", max_size=3)),
                min_size=6, max_size=6))
def test_surrounding_whitespace_is_not_a_change(pads):
    old = _version(KEYS, ["M1 1AE", "B33 8TH", None])
    values = KEYS + ["M1 1AE", "B33 8TH", ""]
    padded = [left + v + right for v, (left, right) in zip(values, pads)]
    found = changes.diff(old, _version(padded[:3], padded[3:]))
    assert found.summary()["records"].sum() == 0


@pytest.mark.parametrize("bad", [None, "", "   ", "1234567890", "9990000019", "999000001", "not a number"])
def test_a_blank_or_invalid_nhs_number_goes_to_the_exceptions(bad):
    old = _version(KEYS[:2], ["M1 1AE", "B33 8TH"])
    new = _version(KEYS[:2] + [bad], ["M1 1AE", "B33 8TH", "SW1A 1AA"])
    found = changes.diff(old, new)
    assert found.additions.empty and found.removals.empty and found.amendments.empty
    # The one exceptions layout: the reason names the version the row is in.
    assert found.exceptions[["row", "column"]].values.tolist() == [[2, "nhs_number"]]
    assert found.exceptions["reason"].iloc[0].startswith("new version: ")
    assert "nhs_number" in found.exceptions["reason"].iloc[0]
    assert found.summary().set_index("change").loc["exception", "records"] == 1


# --- addresses -------------------------------------------------------------------------------------------------

REGISTER = pd.DataFrame({"address_line_1": ["12 High Street", "14 High Street"], "postcode": ["AB1 2CD"] * 2})
RECORDS = pd.DataFrame({"address_line_1": ["12 High Street", "14 High Street"], "postcode": ["AB1 2CD"] * 2})


@pytest.mark.parametrize("uprns", [[999000000001.0, 5.0], [999000000001, 5], ["999000000001.0", " 5 "],
                                   pd.array([999000000001, 5], dtype="Int64")])
def test_uprns_read_as_numbers_come_back_as_whole_number_text(uprns):
    out = addresses.match_uprns(RECORDS, REGISTER.assign(uprn=uprns))
    assert out["uprn"].tolist() == ["999000000001", "5"]


@pytest.mark.parametrize("bad", [12.5, 1e13, np.nan, -1, 0, "abc", "1e5", "9990000000011", None])
def test_a_uprn_that_is_not_a_whole_number_of_up_to_12_digits_goes_to_the_exceptions(bad):
    register = REGISTER.assign(uprn=pd.Series([bad, "999000000002"], dtype="object"))
    out = addresses.match_uprns(RECORDS, register)
    assert pd.isna(out["uprn"].iloc[0]) and pd.isna(out["uprn_method"].iloc[0])
    assert out["uprn_reason"].iloc[0] == addresses.REASONS["bad_uprn"]
    assert out["uprn"].iloc[1] == "999000000002"
    assert addresses.match_rate(out)["records"].sum() == len(out)
