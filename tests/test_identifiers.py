"""Validation and standardising of the identifiers linkage depends on."""
import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import identifiers as ids


def with_check_digit(first_nine: str) -> str | None:
    check = ids.nhs_number_check_digit(first_nine)
    return None if check is None else first_nine + str(check)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@settings(deadline=None)  # pandas on a shared machine: time varies, results do not
@given(nine_digits)
def test_every_generated_nhs_number_is_valid_and_every_single_digit_change_is_not(first_nine):
    number = with_check_digit(first_nine)
    if number is None:  # remainder 10: no valid number starts with these nine digits
        assert not any(ids.is_valid_nhs_number(first_nine + d) for d in "0123456789")
        return
    assert ids.is_valid_nhs_number(number)
    changed = [number[:i] + d + number[i + 1:] for i in range(10) for d in "0123456789" if d != number[i]]
    assert not ids.valid_nhs_number(pd.Series(changed)).any()


def test_known_nhs_number_and_typed_forms():
    # 943 476 5919 is the example NHS Digital gives in its documentation of the check digit.
    values = pd.Series(["943 476 5919", "943-476-5919", "9434765919", "9434765918", "94347659", "abc", None, ""])
    assert ids.valid_nhs_number(values).tolist() == [True, True, True, False, False, False, False, False]
    assert ids.standardise_nhs_number(values).tolist()[:4] == ["9434765919"] * 3 + [pd.NA]


def test_nhs_check_digit_rejects_wrong_length():
    with pytest.raises(ValueError, match="nine digits"):
        ids.nhs_number_check_digit("12345")


def test_names_standardise_case_punctuation_accents_and_titles():
    names = pd.Series(["o'neil", "O-NEIL", " O  Neil ", "Zoë", "Mr John", "", None])
    assert ids.standardise_name(names).tolist() == ["O NEIL", "O NEIL", "O NEIL", "ZOE", "JOHN", pd.NA, pd.NA]


def test_postcodes_get_one_space_and_bad_ones_become_missing_but_stay_in():
    codes = pd.Series(["sw1a1aa", "SW1A 1AA", " m1 1ae ", "LS1", "not a postcode", None], index=[5, 6, 7, 8, 9, 10])
    out = ids.standardise_postcode(codes)
    assert out.index.tolist() == codes.index.tolist()
    assert out.tolist() == ["SW1A 1AA", "SW1A 1AA", "M1 1AE", pd.NA, pd.NA, pd.NA]
    assert ids.unusable(codes, out).tolist() == [False, False, False, True, True, False]


def test_addresses_lose_punctuation_and_spell_out_abbreviations():
    out = ids.standardise_address(pd.Series(["12, High St.", "flat 3 4 acacia ave", "12 HIGH STREET"]))
    assert out.tolist() == ["12 HIGH STREET", "FLAT 3 4 ACACIA AVENUE", "12 HIGH STREET"]


def test_dates_read_uk_forms_and_flag_what_they_cannot_read():
    raw = pd.Series(["1950-03-12", "12/03/1950", "12-03-1950", "19500312", "31/02/1950", None])
    out = ids.parse_dates(raw, where="test")
    assert out.iloc[:4].tolist() == [pd.Timestamp("1950-03-12")] * 4
    assert ids.unusable(raw, out).tolist() == [False] * 4 + [True, False]


def test_dates_already_dates_pass_through():
    raw = pd.Series([dt.date(1950, 3, 12), None], dtype="object")
    assert ids.parse_dates(raw).iloc[0] == pd.Timestamp("1950-03-12")


def test_a_column_that_is_not_dates_gets_an_error_naming_it():
    with pytest.raises(ids.StandardisingError, match="spl.csv: column 'dob'.*could read only 0 of 2"):
        ids.parse_dates(pd.Series(["soon", "later"]), where="spl.csv: column 'dob'")


def test_sex_and_identifier():
    assert ids.standardise_sex(pd.Series(["female", "M", "x", None])).tolist() == ["F", "M", pd.NA, pd.NA]
    assert ids.standardise_identifier(pd.Series(["ab-12 3", " "])).tolist() == ["AB123", pd.NA]


def test_age_counts_birthdays():
    dob = pd.Series(pd.to_datetime(["1950-03-23", "1950-03-24", None]))
    assert ids.age_in_years(dob, "2020-03-23").tolist() == [70, 69, pd.NA]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
def test_standardisers_never_drop_or_reorder_rows(values):
    raw = pd.Series(values, dtype="object", index=range(100, 100 + len(values)))
    for standardise in (ids.standardise_name, ids.standardise_postcode, ids.standardise_address,
                        ids.standardise_identifier, ids.standardise_nhs_number):
        out = standardise(raw)
        assert out.index.tolist() == raw.index.tolist()


def test_age_bands_start_where_told_and_the_last_is_open():
    ages = pd.Series([5, 29, 30, 69, 70, 95, None, -1, 250], dtype="Int64", index=list("abcdefghi"))
    bands = ids.band_ages(ages, (0, 30, 50, 70, 80))
    assert bands.tolist() == ["0-29", "0-29", "30-49", "50-69", "70-79", "80+", pd.NA, pd.NA, "80+"]
    assert bands.index.tolist() == list("abcdefghi")
    with pytest.raises(ValueError, match="increasing order"):
        ids.band_ages(ages, (0, 50, 30))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2021, 12, 31)) | st.none(), max_size=30),
       st.sampled_from([(10, 90), (5, 85), (20, 80), (1, 3)]))
def test_banding_ages_and_minimisations_bands_by_width_agree(births, width_and_top):
    """The one definition of an age band gives minimisation's bands by width (when the top is a multiple of it)."""
    from playbook import minimisation

    width, top = width_and_top
    dob = pd.Series(pd.to_datetime(births), dtype="datetime64[ns]")
    by_width = minimisation.age_band(dob, "2020-04-01", width=width, top=top)
    by_starts = ids.band_ages(ids.age_in_years(dob, "2020-04-01"), [*range(0, top, width), top])
    assert by_width.tolist() == by_starts.tolist()
