"""Segmentation: every record lands in exactly one output, and no extract holds another authority's resident."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import outbox
from playbook import segmentation
from playbook.segmentation import REASONS, check_segmentation, segment, write_extracts

KNOWN = ["E06000001", "E08000025", "E09000033"]
CODES = st.one_of(st.sampled_from(KNOWN), st.sampled_from(["E99999999", "", " ", "e09000033"]), st.none())
POSTCODES = st.one_of(st.sampled_from(["SW1A 1AA", "sw1a1aa", "B33 8TH", "M1 1AE"]),
                      st.sampled_from(["", "NOT A CODE", "12345", "SW1A"]), st.none())
ROWS = st.lists(st.tuples(CODES, POSTCODES, st.integers(0, 30)), max_size=60)


def frame(rows) -> pd.DataFrame:
    """A list with the columns the split reads: the row scope (date_of_death, blank: alive) is the specification's."""
    return pd.DataFrame(rows, columns=["la_code", "postcode", "nhs_number"]).astype(
        {"la_code": "object", "postcode": "object", "nhs_number": "int64"}).assign(date_of_death=None)


@settings(max_examples=100, deadline=None)
@given(ROWS, st.booleans())
def test_every_record_in_exactly_one_output_and_no_foreign_residents(rows, use_key):
    records = frame(rows)
    result = segment(records, KNOWN, key="nhs_number" if use_key else None)
    check_segmentation(records, result)  # the invariants, stated once in the library
    placed = sum(len(f) for f in result.extracts.values()) + len(result.exceptions)
    assert placed == len(records)
    for code, extract in result.extracts.items():
        assert code in KNOWN
        assert (extract["la_code"].str.strip() == code).all()


@settings(max_examples=50, deadline=None)
@given(ROWS)
def test_every_exception_has_a_reason_from_the_list(rows):
    result = segment(frame(rows), KNOWN, key="nhs_number")
    for reason in result.exceptions["reason"]:
        parts = reason.split("; ")
        assert parts and all(p in REASONS.values() for p in parts)


def test_each_kind_of_bad_record_gets_its_own_reason():
    records = frame([("E06000001", "SW1A 1AA", 1), (None, "SW1A 1AA", 2), ("E99999999", "SW1A 1AA", 3),
                     ("E06000001", "NOT A CODE", 4), ("E06000001", "B33 8TH", 5), ("E08000025", "M1 1AE", 5)])
    result = segment(records, KNOWN, key="nhs_number")
    reasons = dict(zip(result.exceptions["id"], result.exceptions["reason"]))  # the one layout: id is the key
    assert reasons == {2: REASONS["missing_la_code"], 3: REASONS["unknown_la_code"],
                       4: REASONS["malformed_postcode"], 5: REASONS["duplicate_key"]}
    assert list(result.extracts) == ["E06000001"]


def test_a_record_with_several_problems_lists_them_all():
    result = segment(frame([(None, "", 1)]), KNOWN)
    assert result.exceptions["reason"].iloc[0] == f"{REASONS['missing_la_code']}; {REASONS['malformed_postcode']}"


def test_postcode_check_can_be_switched_off_but_codes_are_always_checked():
    result = segment(frame([("E06000001", "rubbish", 1), ("E1", "rubbish", 2)]), KNOWN, postcode_column=None)
    assert len(result.extracts["E06000001"]) == 1
    assert list(result.exceptions["reason"]) == [REASONS["unknown_la_code"]]


def test_missing_columns_and_empty_authority_list_are_clear_errors():
    with pytest.raises(KeyError, match="no column la_code"):
        segment(pd.DataFrame({"postcode": ["SW1A 1AA"]}), KNOWN)
    with pytest.raises(ValueError, match="no local authority codes"):
        segment(frame([]), [])


def test_check_segmentation_catches_a_leaked_resident():
    records = frame([("E06000001", "SW1A 1AA", 1), ("E08000025", "M1 1AE", 2)])
    result = segment(records, KNOWN)
    result.extracts["E06000001"] = records  # a bug that sends Birmingham's resident to Hartlepool
    with pytest.raises(AssertionError):
        check_segmentation(records, result)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_round_trip_with_a_manifest(tmp_path, fmt):
    records = frame([("E06000001", "SW1A 1AA", 1), ("E08000025", "M1 1AE", 2), (None, "M1 1AE", 3)])
    manifest = write_extracts(segment(records, KNOWN), tmp_path / "out", fmt=fmt)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted([f"E06000001.{fmt}", f"E08000025.{fmt}", f"exceptions.{fmt}", "manifest.csv"])
    assert manifest["records"].sum() == len(records)
    assert pd.read_csv(tmp_path / "out" / "manifest.csv")["sha256"].str.len().eq(64).all()
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    assert read(tmp_path / "out" / f"exceptions.{fmt}")["reason"].tolist() == [REASONS["missing_la_code"]]


def test_writing_is_all_or_nothing(tmp_path, monkeypatch):
    records = frame([("E06000001", "SW1A 1AA", 1), ("E08000025", "M1 1AE", 2)])
    result = segment(records, KNOWN)
    write_extracts(result, tmp_path / "out", fmt="csv")
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    calls = []

    def failing(table, path, fmt):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        path.write_text("partial")

    monkeypatch.setattr(outbox, "write_table", failing)
    with pytest.raises(OSError):
        write_extracts(result, tmp_path / "out", fmt="csv", overwrite=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind
    with pytest.raises(FileExistsError):
        write_extracts(result, tmp_path / "out", fmt="csv")
