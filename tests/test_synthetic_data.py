"""Tests for the synthetic data generator: schema, identifier safety, determinism, error rates, ground truth,
the command line and the committed teaching data. National scale is never generated here (see benchmarks/)."""

from __future__ import annotations

import dataclasses
import filecmp
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synthetic_data
from synthetic_data import safety
from synthetic_data.__main__ import main
from synthetic_data.config import TEACHING, Config
from synthetic_data.generator import generate
from synthetic_data.schema import PANDAS_TYPES, SCHEMA, TABLES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def teaching() -> dict[str, pa.Table]:
    return generate(TEACHING)


def frames(tables):
    return {name: t.to_pandas() for name, t in tables.items()}


# ----------------------------------------------------------------------------- schema


def test_every_table_has_exactly_the_schema_columns_and_types(teaching):
    assert tuple(teaching) == TABLES
    for name, data in teaching.items():
        assert data.schema.equals(SCHEMA[name].arrow_schema()), name


@pytest.mark.parametrize("name", TABLES)
def test_load_gives_schema_columns_with_pandas_types(name):
    frame = synthetic_data.load(name)
    assert list(frame.columns) == SCHEMA[name].column_names
    for column in SCHEMA[name].columns:
        assert str(frame[column.name].dtype) == PANDAS_TYPES[column.dtype], (name, column.name)


def test_load_keeps_identifiers_as_text():
    spl = synthetic_data.load("spl")
    assert spl["nhs_number"].str.fullmatch(r"999\d{7}").all()
    assert synthetic_data.load("addresses")["uprn"].str.len().eq(12).all()


def test_load_rejects_an_unknown_table_by_name():
    with pytest.raises(ValueError, match="unknown table 'patients'"):
        synthetic_data.load("patients")


# ----------------------------------------------------------------------------- identifier safety


def test_identifiers_are_safe_on_every_row_of_the_teaching_data(teaching):
    safety.check_tables(teaching)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.integers(min_value=1, max_value=400), seed=st.integers(min_value=0, max_value=2**31))
def test_identifiers_are_safe_at_any_small_size_and_seed(people, seed):
    tables = generate(Config(seed=seed, spl_people=people))
    safety.check_tables(tables)
    assert tables["spl"].num_rows == people


def test_mistyped_nhs_numbers_start_999_fail_the_check_digit_and_are_marked(teaching):
    reg = teaching["registrations"].to_pandas()
    truth = teaching["truth"].to_pandas()
    marked = truth[(truth.source_table == "registrations") & truth.nhs_number_mistyped].source_id.astype(int)
    typed = reg.set_index("registration_id").loc[marked, "nhs_number"].str.replace(" ", "")
    assert len(typed) > 0
    assert typed.str.fullmatch(r"999\d{7}").all()
    assert not safety.nhs_numbers_valid(pa.array(typed.tolist())).any()


@pytest.mark.parametrize("bad_value, column", [
    ("9434765919", "nhs_number"),  # a valid number outside the test range
    ("9990000001", "nhs_number"),  # test range, wrong check digit, not marked
    ("07700 901000", "mobile"),    # just outside the drama range
    ("someone@gmail.com", "email"),
    ("100023336956", "uprn"),      # a real UPRN
])
def test_safety_check_refuses_real_looking_identifiers(teaching, bad_value, column):
    people = teaching["people"]
    position = people.schema.get_field_index(column)
    values = people.column(column).to_pylist()
    values[5] = bad_value
    bad = people.set_column(position, column, pa.array(values, pa.string()))
    with pytest.raises(safety.UnsafeDataError, match=f"people.{column} row 5"):
        safety.check_table("people", bad)


def test_nhs_check_digit_matches_the_published_algorithm():
    # 943 476 5919 is the NHS Digital documentation example; 999 numbers are checked the same way.
    assert safety.nhs_numbers_valid(pa.array(["9434765919", "9434765918"])).tolist() == [True, False]


# ----------------------------------------------------------------------------- determinism


def _write(tmp_path, name, *args):
    out = tmp_path / name
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    return out


def test_same_seed_gives_identical_bytes_and_different_seed_differs(tmp_path):
    a = _write(tmp_path, "a", "--people", "300", "--seed", "7")
    b = _write(tmp_path, "b", "--people", "300", "--seed", "7")
    c = _write(tmp_path, "c", "--people", "300", "--seed", "8")
    files = sorted(p.name for p in a.iterdir())
    assert filecmp.cmpfiles(a, b, files, shallow=False)[0] == files
    assert (a / "spl.csv").read_bytes() != (c / "spl.csv").read_bytes()


def test_parquet_output_has_the_schema(tmp_path):
    import pyarrow.parquet as pq

    out = _write(tmp_path, "p", "--people", "50", "--format", "parquet", "--tables", "spl,truth")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "spl.parquet", "truth.parquet"]
    assert pq.read_table(out / "spl.parquet").schema.equals(SCHEMA["spl"].arrow_schema())


def test_committed_teaching_data_regenerates_byte_for_byte(tmp_path):
    out = tmp_path / "teaching"
    assert main(["--teaching", "--out", str(out), "--quiet"]) == 0
    committed = synthetic_data.TEACHING_DIR
    names = sorted(p.name for p in committed.iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in out.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(committed, out, names, shallow=False)
    assert (mismatch, errors) == ([], []), "run: python -m synthetic_data --teaching"


def test_committed_data_is_under_5_mb():
    assert sum(p.stat().st_size for p in synthetic_data.TEACHING_DIR.iterdir()) < 5_000_000


def test_data_dictionary_page_is_up_to_date():
    from synthetic_data.dictionary import render

    page = ROOT / "chapters" / "data-dictionary.md"
    assert page.read_text(encoding="utf-8") == render(), "run: python -m synthetic_data.dictionary " + str(page)


# ----------------------------------------------------------------------------- error rates


def _near(observed, expected, tolerance):
    assert abs(observed - expected) <= tolerance, (observed, expected)


def test_spl_waves_follow_the_nao_figures(teaching):
    spl = teaching["spl"].to_pandas()
    shares = spl.source.value_counts(normalize=True)
    _near(shares["hospital_data"], 870 / 2190, 0.02)
    _near(shares["gp_records"], 420 / 2190, 0.02)
    assert set(spl.release) == {"SPL1", "SPL2", "SPL3", "SPL4+5"}
    assert (spl.groupby("release").date_added.nunique() == 1).all()


def test_spl_phone_numbers_are_unusable_for_about_17_percent(teaching):
    t = frames(teaching)
    spl = t["spl"].merge(t["truth"][t["truth"].source_table == "spl"][["spl_row_id", "person_id"]], on="spl_row_id")
    people = t["people"].set_index("person_id")
    true_landline = people.landline.reindex(spl.person_id).to_numpy()
    true_mobile = people.mobile.reindex(spl.person_id).to_numpy()
    usable = (spl.landline.to_numpy() == true_landline) | (spl.mobile.to_numpy() == true_mobile)
    _near(1 - usable.mean(), TEACHING.spl_phone_unusable_rate, 0.015)


def test_registration_error_rates_match_the_configuration(teaching):
    t = frames(teaching)
    reg, truth = t["registrations"], t["truth"]
    _near(reg.nhs_number.isna().mean(), TEACHING.reg_nhs_number_missing_rate, 0.03)
    reg_truth = truth[truth.source_table == "registrations"]
    second = reg_truth.corruptions.fillna("").str.contains("second_registration")
    _near(second.sum() / (~second).sum(), TEACHING.duplicate_registration_rate, 0.01)
    assert reg_truth[second].person_id.isin(reg_truth[~second].person_id).all()
    provided = reg.nhs_number.notna().sum()
    _near(reg_truth.nhs_number_mistyped.sum() / provided, TEACHING.reg_nhs_number_mistyped_rate, 0.015)


def test_registrations_include_people_not_on_the_list(teaching):
    truth = teaching["truth"].to_pandas()
    reg = truth[truth.source_table == "registrations"]
    assert reg.spl_row_id.isna().any() and reg.spl_row_id.notna().any()


# ----------------------------------------------------------------------------- ground truth


def test_every_spl_row_maps_to_exactly_one_person_on_the_list(teaching):
    t = frames(teaching)
    spl_truth = t["truth"][t["truth"].source_table == "spl"]
    assert sorted(spl_truth.spl_row_id) == sorted(t["spl"].spl_row_id)
    assert spl_truth.person_id.is_unique
    on_spl = set(t["people"][t["people"].on_spl].person_id)
    assert set(spl_truth.person_id) == on_spl
    merged = t["spl"].merge(spl_truth, on="spl_row_id").merge(t["people"], on="person_id", suffixes=("", "_true"))
    assert (merged.nhs_number == merged.nhs_number_true).all()
    assert (merged.date_of_birth == merged.date_of_birth_true).all()


def test_every_registration_of_a_person_on_the_list_points_at_their_spl_row(teaching):
    truth = teaching["truth"].to_pandas()
    spl_row_of = truth[truth.source_table == "spl"].set_index("person_id").spl_row_id
    reg = truth[truth.source_table == "registrations"]
    on_list = reg.person_id.isin(spl_row_of.index)
    assert (reg[on_list].spl_row_id.to_numpy() == spl_row_of.loc[reg[on_list].person_id].to_numpy()).all()
    assert reg[~on_list].spl_row_id.isna().all()


def test_customers_person_ids_exist_and_some_are_nobody(teaching):
    t = frames(teaching)
    cust = t["truth"][t["truth"].source_table == "supermarket_customers"]
    assert sorted(cust.source_id) == sorted(t["supermarket_customers"].customer_id)
    linked = cust.person_id.dropna()
    assert linked.isin(t["people"].person_id).all() and linked.is_unique
    assert cust.person_id.isna().any()


def test_consenting_registrants_are_more_often_customers(teaching):
    t = frames(teaching)
    truth = t["truth"]
    reg = t["registrations"].merge(
        truth[truth.source_table == "registrations"].assign(registration_id=lambda d: d.source_id.astype(int)),
        on="registration_id")
    customers = set(truth[truth.source_table == "supermarket_customers"].person_id.dropna())
    rate = reg.assign(customer=reg.person_id.isin(customers)).groupby("consent_share_supermarkets").customer.mean()
    assert rate[True] > rate[False]


def test_every_uprn_in_truth_and_people_is_in_the_address_register(teaching):
    t = frames(teaching)
    register = set(t["addresses"].uprn)
    assert set(t["truth"].uprn) <= register
    assert set(t["people"].uprn) <= register
    assert set(t["people"].previous_uprn.dropna()) <= register
    assert t["addresses"].uprn.is_unique
    assert set(t["addresses"].la_code) <= set(t["local_authorities"].la_code)


# ----------------------------------------------------------------------------- command line errors


def _cli(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "synthetic_data", *args], capture_output=True, text=True,
                          cwd=cwd, env=env)


@pytest.mark.parametrize("args, message", [
    (["--people", "0", "--out", "x"], "--people must be between 1"),
    (["--people", "-5", "--out", "x"], "--people must be between 1"),
    (["--people", "lots", "--out", "x"], "--people must be a whole number"),
    (["--tables", "spl,patients", "--out", "x"], "unknown table patients"),
    (["--colour", "red"], "unrecognized arguments"),
    (["--people", "10"], "--out is required"),
])
def test_bad_arguments_give_one_line_and_fail(args, message):
    result = _cli(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unwritable_folder_gives_one_line_and_leaves_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    result = _cli("--people", "10", "--out", str(missing), "--quiet")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["--people", "10", "--out", str(tmp_path), "--quiet"]) == 2
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_a_failed_run_leaves_nothing_half_written(tmp_path, monkeypatch):
    from synthetic_data import output

    def broken(table, path, fmt):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "write_table", broken)
    assert main(["--people", "10", "--out", str(tmp_path / "out"), "--quiet"]) == 1
    assert list(tmp_path.iterdir()) == []


def test_rerun_replaces_its_own_output(tmp_path):
    out = _write(tmp_path, "o", "--people", "20")
    _write(tmp_path, "o", "--people", "30", "--tables", "spl")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "spl.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_config_rejects_impossible_rates():
    with pytest.raises(ValueError, match="spl_death_rate"):
        dataclasses.replace(TEACHING, spl_death_rate=1.5)


def test_the_generator_imports_nothing_from_playbook():
    """Decision record 0003: the synthetic data stands alone, so it can be given away without the course code."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "synthetic_data"
    offenders = [path.name for path in package.rglob("*.py")
                 if re.search(r"^\s*(from|import)\s+playbook\b", path.read_text(encoding="utf-8"), flags=re.M)]
    assert not offenders, f"synthetic_data imports playbook in {offenders}: see docs/decisions/0003"
