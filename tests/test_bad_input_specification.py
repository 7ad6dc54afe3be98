"""Bad input for purpose specifications and the extracts made from them (issue 11, findings 1, 3, 4 and 6).

One section per entry point: loading a specification (``load_builtin``, ``parse_spec``, ``load_spec``), then the
row scope that :func:`playbook.minimisation.make_extract` applies. One test per finding; each failed before its
fix. A new entry point gets its own section: names that walk out of a folder, duplicated or hostile YAML, values
far too long for a message, and values that look blank or look like a date but are not.
"""

from __future__ import annotations

import datetime as dt
import time
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from playbook import minimisation as m
from playbook import purpose
from playbook.purpose import SpecError, parse_spec

SHIELDING = (resources.files("playbook") / "specs" / "shielding.yaml").read_text(encoding="utf-8")
SPEC = purpose.load_builtin("shielding")
DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)


def problems_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(text, source="hostile.yaml")
    return info.value.problems


# --- load_builtin: names (finding 1) --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../specs/shielding", "specs/../shielding", "./shielding", "answers/shielding",
                                  "shielding.yaml", "SHIELDING", "", "..", "shielding\x00", "/etc/passwd"])
def test_load_builtin_refuses_any_name_that_is_not_a_builtin(name):
    for load in (purpose.load_builtin, purpose.builtin_mapping):
        with pytest.raises(FileNotFoundError, match="available: blank, shielding"):
            load(name)


def test_load_builtin_never_reads_a_file_outside_the_package(tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(SHIELDING, encoding="utf-8")
    for load in (purpose.load_builtin, purpose.builtin_mapping):
        with pytest.raises(FileNotFoundError, match="no built-in specification"):
            load(str(outside.with_suffix("")))
        relative = "../" * 12 + str(outside.with_suffix("")).lstrip("/")
        with pytest.raises(FileNotFoundError, match="no built-in specification"):
            load(relative)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_load_builtin_names_only_the_builtins_and_keeps_the_message_short(name):
    if name in ("blank", "shielding"):
        return
    with pytest.raises(FileNotFoundError) as info:
        purpose.load_builtin(name)
    assert len(str(info.value)) < 200


# --- duplicate keys (finding 3) -------------------------------------------------------------------------------


def _with_line_after(text: str, anchor: str, added: str) -> str:
    """The specification with ``added`` inserted on the line after the first line containing ``anchor``."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if anchor in line)
    return "\n".join(lines[:at + 1] + added.splitlines() + lines[at + 1:]) + "\n"


def test_a_second_row_scope_for_a_recipient_is_refused_naming_key_line_and_place():
    # A reviewer reads the first block (registrants who consented); before the fix the second one ran.
    text = _with_line_after(SHIELDING, "email: Match the person to an online customer account",
                            "    row_scope:\n      - column: registered\n        equals: true\n")
    (problem,) = problems_of(text)
    lines = text.splitlines()
    first = lines.index("    row_scope:", lines.index("  - id: supermarkets")) + 1
    second = lines.index("    row_scope:", first) + 1
    assert f"line {second}: duplicate key 'row_scope'" in problem and f"first on line {first}" in problem
    assert "recipients[2] ('supermarkets')" in problem


def test_a_second_fields_block_and_a_duplicated_field_are_refused():
    text = _with_line_after(SHIELDING, "email: Match the person to an online customer account",
                            "    fields:\n      nhs_number: Because.\n")
    assert any("duplicate key 'fields'" in p and "'supermarkets'" in p for p in problems_of(text))
    text = _with_line_after(SHIELDING, "email: Match the person to an online customer account",
                            "      email: Anything at all.\n")
    (problem,) = problems_of(text)
    assert "duplicate key 'email'" in problem and "fields" in problem and "first on line" in problem


def test_a_duplicate_top_level_key_is_refused():
    text = SHIELDING + "purpose: Anything the sender likes.\n"
    (problem,) = problems_of(text)
    assert f"line {len(text.splitlines())}: duplicate key 'purpose' in the top level" in problem


@settings(max_examples=50, deadline=None)
@given(KEY, st.integers(min_value=0, max_value=3))
def test_any_duplicated_key_at_any_level_is_refused(key, depth):
    assume(key != "other")
    indent = "  " * depth
    nest = "".join(f"{'  ' * i}level{i}:\n" for i in range(depth))
    text = f"{nest}{indent}{key}: 1\n{indent}other: 2\n{indent}{key}: 3\n"
    (problem,) = problems_of(text)
    assert f"line {depth + 3}: duplicate key {key!r}" in problem
    assert f"first on line {depth + 1}" in problem


def test_python_object_tags_are_still_refused():
    (problem,) = problems_of("id: !!python/object/apply:os.system ['echo hi']\n")
    assert problem.startswith("not valid YAML")


# --- alias bombs and long values (finding 4) ------------------------------------------------------------------


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 "lol lol lol lol lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nid: *a{levels}\n"


def test_an_alias_bomb_is_refused_quickly_with_a_short_message():
    text = billion_laughs()
    started = time.perf_counter()
    with pytest.raises(SpecError) as info:
        parse_spec(text, source="bomb.yaml")
    assert time.perf_counter() - started < 2
    assert len(str(info.value)) < 1000
    assert "alias" in str(info.value) and "line 2" in str(info.value)


def test_long_values_in_messages_are_cut_to_80_characters():
    long = "x" * 100_000
    text = SHIELDING.replace("article6: e", f"article6: {long}").replace("role: controller", f"role: {long}", 1)
    text += "y" * 1000 + ": 1\n"  # YAML allows keys up to 1024 characters
    problems = problems_of(text)
    assert len(problems) == 3
    assert all(len(p) < 600 for p in problems), [len(p) for p in problems]
    assert all("…" in p for p in problems)


def test_a_file_of_many_small_problems_gives_a_bounded_message():
    text = "".join(f"k{i}: 1\n" for i in range(2000))  # 11 KB
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert len(info.value.problems) > 2000, "every problem is still listed in .problems"
    assert len(str(info.value)) < 50_000


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=81, max_size=5000), st.sampled_from(["title", "article6", "role", "key", "field"]))
def test_every_problem_line_stays_short_whatever_the_value(value, where):
    data = yaml.safe_load(SHIELDING)
    if where == "title":
        data["title"] = [value]
    elif where == "article6":
        data["lawful_basis"]["article6"] = value
    elif where == "role":
        data["controllers"][0]["role"] = value
    elif where == "key":
        data[value] = 1
    else:
        data["recipients"][0]["fields"][value] = "Because."
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    for problem in info.value.problems:
        assert len(problem) < 600


def test_deep_nesting_and_bad_bytes_are_clear_errors(tmp_path):
    assert problems_of("id: " + "[" * 100_000)[0].startswith("not valid YAML")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match="(?s)latin1.yaml.*not UTF-8 text"):
        purpose.load_spec(path)


# --- the row scope: null markers and values that are not dates (finding 6, date_of_death) ---------------------

NULL_MARKERS = ["NULL", "null", "None", "NaN", "nan", "N/A", "n/a", "NA", "<NA>", "NaT", " NULL ", "", "\u200b"]


def records(date_of_death, **columns) -> pd.DataFrame:
    """Registered, consenting people in one council, with the dates of death given."""
    n = len(date_of_death)
    base = {name: [f"{name}-{i}" for i in range(n)] for name in SPEC.fields}
    base.update(registered=[True] * n, needs_food_support=[True] * n, consented_to_supermarket_share=[True] * n,
                local_authority_code=["E09000001"] * n, date_of_death=pd.Series(date_of_death, dtype=object))
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize("marker", NULL_MARKERS)
def test_a_null_marker_in_date_of_death_is_not_a_death(marker):
    assert purpose.is_blank(marker)
    for rid, rec in SPEC.recipients.items():
        extract = m.make_extract(SPEC, rid, records([marker, "2020-04-20"]),
                                 partition="E09000001" if rec.partition_by else None)
        assert list(extract.data.index) == [0], rid  # alive, so called; the person who died is not
        assert extract.rows_out_of_scope == 1 and extract.exceptions.empty
        assert rec.in_scope(records([marker]).iloc[0].to_dict()) is True


@pytest.mark.parametrize("value", ["unknown", "died", "20/04/2020", "2020-13-45", 0, 20200420, "yes", True])
def test_a_date_of_death_that_is_neither_blank_nor_a_date_is_an_exception(value):
    extract = m.make_extract(SPEC, "dwp_contact_centre", records([None, value, pd.Timestamp("2020-04-20")]))
    assert list(extract.data.index) == [0] and extract.rows_out_of_scope == 1
    (row,) = extract.exceptions.to_dict("records")
    assert row["row"] == 1 and row["column"] == "date_of_death" and row["value"] == str(value)
    assert row["reason"].startswith(f"date_of_death is {value!r}: neither blank nor a date")
    rule = SPEC.recipients["dwp_contact_centre"].row_scope[0]
    assert rule.matches({"date_of_death": value}) is None  # neither in nor out, for one record too


def test_a_long_bad_date_is_cut_in_the_reason():
    extract = m.make_extract(SPEC, "dwp_contact_centre", records(["x" * 10_000]))
    assert len(extract.exceptions.loc[0, "reason"]) < 400 and "…" in extract.exceptions.loc[0, "reason"]


def test_a_null_marker_as_the_council_code_is_an_exception_not_silently_dropped():
    data = records([None, None, None], local_authority_code=["E09000001", "NULL", " "])
    extract = m.make_extract(SPEC, "local_authorities", data, partition="E09000001")
    assert list(extract.data.index) == [0]
    assert extract.exceptions["row"].tolist() == [1, 2]


VALUES = st.one_of(st.sampled_from(NULL_MARKERS), st.none(), st.just(np.nan), st.just(pd.NA), st.just(pd.NaT),
                   st.sampled_from(["yes", "No", " y ", "TRUE", "0", "1", "maybe", "E09000001", "E09000002",
                                    "2020-04-20", "2020-04-20 10:00", "20/04/2020", "unknown"]),
                   st.booleans(), st.integers(-2, 2), st.floats(allow_nan=True), DATES.map(pd.Timestamp), DATES,
                   st.text(max_size=4))
RULES = [rule for rec in SPEC.recipients.values() for rule in rec.row_scope] + [
    purpose.RowFilter("local_authority_code", "in", ("E09000001", "E09000002")),
    purpose.RowFilter("local_authority_code", "not_equals", "E09000001"),
    purpose.RowFilter("registered", "in", (True,)),
    purpose.RowFilter("registered", "not_equals", False),
    purpose.RowFilter("email", "is_blank", False),
    purpose.RowFilter("date_of_death", "is_blank", False),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=12), st.sampled_from(RULES))
def test_one_record_and_the_whole_table_give_the_same_answer(values, rule):
    table = pd.DataFrame({rule.column: pd.Series(values, dtype=object)})
    whole = m._condition(table, rule)
    for i, value in enumerate(values):
        expected = whole.iloc[i]
        one = rule.matches({rule.column: value})
        assert one is (None if pd.isna(expected) else bool(expected)), (rule, value, expected, one)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(NULL_MARKERS), st.none(), DATES.map(pd.Timestamp)), max_size=12))
def test_typed_date_and_text_columns_agree_with_one_record(values):
    rule = purpose.RowFilter("date_of_death", "is_blank", True)
    dates = pd.to_datetime(pd.Series([v if isinstance(v, pd.Timestamp) else None for v in values], dtype=object))
    text = pd.Series([None if v is None else str(v) for v in values], dtype="string")
    for column in (dates, text):
        whole = m._condition(pd.DataFrame({"date_of_death": column}), rule)
        one = [rule.matches({"date_of_death": v}) for v in column.astype(object)]
        assert whole.astype(object).where(whole.notna(), None).tolist() == one


def test_an_unknown_partition_value_is_refused_not_an_empty_extract():
    """Issue 11, finding 6: a mistyped council code gave an empty extract that looked like 'nobody'."""
    from playbook import minimisation
    from playbook.minimisation import ExtractError

    spec = purpose.load_builtin("shielding")
    recipient = next(r for r in spec.recipients.values() if r.partition_by)
    import synthetic_data
    records = minimisation.service_records(synthetic_data.load("spl"), synthetic_data.load("registrations"), spec)
    records = records.assign(**{name: pd.NA for name in recipient.fields if name not in records.columns})
    real = str(records[recipient.partition_by].dropna().iloc[0])
    assert len(minimisation.make_extract(spec, recipient.id, records, partition=real).data) > 0
    with pytest.raises(ExtractError, match="no record has .*E99999999"):
        minimisation.make_extract(spec, recipient.id, records, partition="E99999999")
    empty = minimisation.make_extract(spec, recipient.id, records, partition="E99999999", allow_empty_partition=True)
    assert len(empty.data) == 0 and empty.balanced
