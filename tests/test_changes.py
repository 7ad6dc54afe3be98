"""Change-only updates: apply(old, diff(old, new)) == new, with every removal explained."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.changes import NO_REASON, ListVersionError, apply, diff
from playbook.pseudonymisation import valid_nhs_numbers

VALID = [f"{n:010d}" for n in valid_nhs_numbers(999_000_001, 999_000_020)[:12]]  # keys must be valid NHS numbers
KEYS = st.sampled_from(VALID)
ROW = st.fixed_dictionaries({
    "postcode": st.one_of(st.none(), st.sampled_from(["SW1A 1AA", "M1 1AE", "B33 8TH"])),
    "la_code": st.sampled_from(["E06000001", "E08000025"]),
    "phone": st.one_of(st.none(), st.sampled_from(["07700 900123", "01632 960001"])),
    "age": st.one_of(st.none(), st.integers(0, 110)),
})
VERSION = st.dictionaries(KEYS, ROW, max_size=12)


def to_frame(version: dict) -> pd.DataFrame:
    rows = [{"nhs_number": k, **v} for k, v in version.items()]
    frame = pd.DataFrame(rows, columns=["nhs_number", "postcode", "la_code", "phone", "age"])
    return frame.astype({"nhs_number": "string", "postcode": "string", "la_code": "string", "phone": "string",
                         "age": "Int64"})


def sorted_by_key(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("nhs_number").reset_index(drop=True)


@settings(max_examples=100, deadline=None)
@given(VERSION, VERSION)
def test_applying_the_diff_to_the_old_list_gives_the_new_list(old, new):
    old, new = to_frame(old), to_frame(new)
    pd.testing.assert_frame_equal(apply(old, diff(old, new)), sorted_by_key(new))


@settings(max_examples=50, deadline=None)
@given(VERSION, VERSION)
def test_changes_are_a_partition_and_name_what_changed(old, new):
    changes = diff(to_frame(old), to_frame(new))
    assert set(changes.additions["nhs_number"]) == new.keys() - old.keys()
    assert set(changes.removals["nhs_number"]) == old.keys() - new.keys()
    for _, row in changes.amendments.iterrows():
        fields = row["changed_fields"].split("; ")
        before, after = old[row["nhs_number"]], new[row["nhs_number"]]
        assert fields and sorted(fields) == sorted(f for f in before if before[f] != after[f])
    unchanged = [k for k in old.keys() & new.keys() if old[k] == new[k]]
    assert not set(unchanged) & set(changes.amendments["nhs_number"])


def test_identical_lists_give_no_changes():
    old = to_frame({VALID[0]: {"postcode": None, "la_code": "E06000001", "phone": None, "age": None}})
    changes = diff(old, old.copy())
    assert changes.summary()["records"].sum() == 0


def test_removals_carry_the_reason_from_the_feeds():
    row = {"postcode": "M1 1AE", "la_code": "E08000025", "phone": None, "age": 80}
    old = to_frame({VALID[i]: row for i in range(4)})
    new = old[old["nhs_number"] == VALID[0]]
    changes = diff(old, new, reasons={"died": [VALID[1]], "opted out": [VALID[2], VALID[1]]})
    got = dict(zip(changes.removals["nhs_number"], changes.removals["reason"]))
    assert got == {VALID[1]: "died", VALID[2]: "opted out", VALID[3]: NO_REASON}
    assert set(changes.summary()["reason"]) == {"", "died", "opted out", NO_REASON}


def test_versions_with_different_columns_are_refused_with_the_column_names():
    old = to_frame({})
    new = old.rename(columns={"phone": "mobile"}).drop(columns="age")
    with pytest.raises(ListVersionError, match=r"only in the old version: phone, age; only in the new version: mobile"):
        diff(old, new)


@pytest.mark.parametrize("bad", [[VALID[0], VALID[0]], [VALID[0], " " + VALID[0]]])
def test_repeated_keys_are_refused(bad):  # blank keys now go to the exceptions: see test_bad_input_values.py
    old = to_frame({})
    new = pd.DataFrame({"nhs_number": bad, "postcode": None, "la_code": "E1", "phone": None, "age": None})
    new = new.astype(old.dtypes.to_dict())
    with pytest.raises(ListVersionError, match="nhs_number"):
        diff(old, new)


def test_a_changed_column_type_is_refused():
    old = to_frame({})
    with pytest.raises(ListVersionError, match="age"):
        diff(old, old.astype({"age": "float64"}))


def test_changes_cannot_be_applied_twice_or_to_the_wrong_list():
    row = {"postcode": "M1 1AE", "la_code": "E08000025", "phone": None, "age": 80}
    old = to_frame({VALID[0]: row})
    new = to_frame({VALID[0]: row, VALID[1]: row})
    changes = diff(old, new)
    with pytest.raises(ListVersionError, match="already in the list"):
        apply(new, changes)
    gone = diff(new, old)
    with pytest.raises(ListVersionError, match="not in the list"):
        apply(old, gone)


def test_changes_write_atomically(tmp_path):
    row = {"postcode": "M1 1AE", "la_code": "E08000025", "phone": None, "age": 80}
    changes = diff(to_frame({VALID[0]: row}), to_frame({VALID[1]: row}))
    assert changes.write(tmp_path / "day2") == ["additions.csv", "amendments.csv", "exceptions.csv", "removals.csv"]
    manifest = pd.read_csv(tmp_path / "day2" / "manifest.csv")  # one writer: every delivery has a manifest
    assert sorted(manifest["file"]) == ["additions.csv", "amendments.csv", "exceptions.csv", "removals.csv"]
    assert pd.read_csv(tmp_path / "day2" / "removals.csv")["reason"].tolist() == [NO_REASON]
