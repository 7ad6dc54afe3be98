"""Keyed pseudonyms refuse weak secrets and never leak them; plain hashes of NHS numbers are reversible."""

from __future__ import annotations

import hashlib
import hmac
import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import pseudonymisation as ps
from playbook.identifiers import valid_nhs_number

SECRET = "teaching-only-secret-0123456789abcdef"  # 37 bytes: for tests only


@pytest.mark.parametrize("bad", [None, "", b"", "short-key", b"x" * 31, 12345])
def test_missing_short_or_odd_secrets_are_refused(bad):
    with pytest.raises(ps.SecretKeyError):
        ps.keyed_pseudonyms(pd.Series(["9990000018"]), bad)


def test_the_secret_never_appears_in_errors_or_logs(caplog):
    weak = "my-weak-but-private-key"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ps.SecretKeyError) as error:
        ps.check_secret(weak)
    assert weak not in str(error.value) and weak not in repr(error.value)
    ps.keyed_pseudonyms(pd.Series(["9990000018"]), SECRET)
    assert SECRET not in caplog.text and weak not in caplog.text


def test_keyed_pseudonym_is_standard_hmac_sha256_and_missing_stays_missing():
    out = ps.keyed_pseudonyms(pd.Series(["9990000018", None]), SECRET)
    assert out.iloc[0] == hmac.new(SECRET.encode(), b"9990000018", hashlib.sha256).hexdigest()
    assert pd.isna(out.iloc[1])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20))
def test_same_value_same_pseudonym_and_another_key_gives_another(values):
    series = pd.Series(values, dtype="string")
    first = ps.keyed_pseudonyms(series, SECRET)
    assert first.tolist() == ps.keyed_pseudonyms(series, SECRET.encode()).tolist()
    assert (first.groupby(series.to_numpy()).nunique() == 1).all()
    other = ps.keyed_pseudonyms(series, SECRET + "x")
    assert not (first == other).any()


def test_secret_from_the_environment(monkeypatch):
    monkeypatch.delenv("PLAYBOOK_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ps.SecretKeyError, match="PLAYBOOK_PSEUDONYM_KEY"):
        ps.secret_from_env()
    monkeypatch.setenv("PLAYBOOK_PSEUDONYM_KEY", SECRET)
    assert ps.secret_from_env() == SECRET.encode()
    assert len(ps.new_secret()) == 64


def test_pseudonymise_columns_keeps_only_what_is_asked():
    frame = pd.DataFrame({"id": [1], "email": ["a@example.com"], "name": ["Ann"]})
    out = ps.pseudonymise_columns(frame, ["email"], SECRET, keep=["id"])
    assert list(out.columns) == ["id", "email"] and len(out["email"].iloc[0]) == 64
    with pytest.raises(KeyError, match="phone"):
        ps.pseudonymise_columns(frame, ["phone"], SECRET)


def test_valid_numbers_agree_with_the_identifiers_module():
    numbers = ps.valid_nhs_numbers(999_000_000, 999_000_200)
    as_text = [f"{n:010d}" for n in numbers]
    every = pd.Series([f"{s}{d}" for s in range(999_000_000, 999_000_200) for d in range(10)])
    assert every[valid_nhs_number(every)].tolist() == as_text


def test_the_whole_test_range_is_about_ten_elevenths_of_a_million():
    assert ps.valid_nhs_numbers().size == 909_091  # run once here; the benchmark times it


def test_plain_hashes_are_reversed_exactly_and_keyed_ones_are_not():
    numbers = ps.valid_nhs_numbers(999_100_000, 999_110_000)
    table = ps.build_hash_table(numbers)
    targets = pd.Series([f"{n:010d}" for n in numbers[::37]] + ["9991234560"], dtype="string")
    recovered = ps.reverse_plain_hashes(ps.plain_sha256(targets), table)
    assert recovered.iloc[:-1].tolist() == targets.iloc[:-1].tolist()
    assert pd.isna(recovered.iloc[-1])  # outside the hashed range
    keyed = ps.reverse_plain_hashes(ps.keyed_pseudonyms(targets, SECRET), table)
    assert keyed.isna().all()


def test_reversal_ignores_junk_and_missing():
    table = ps.build_hash_table(np.array([9990000018], dtype=np.int64))
    out = ps.reverse_plain_hashes(pd.Series(["not a hash", None, ps.plain_sha256(["9990000018"]).iloc[0]]), table)
    assert out.isna().tolist() == [True, True, False]


def test_extrapolation_scales_to_the_full_space():
    figures = ps.extrapolate_to_full_space(seconds=1.0, numbers_hashed=1_000_000)
    assert figures["full_space_seconds"] == pytest.approx(909.09, rel=1e-3)
    with pytest.raises(ValueError):
        ps.extrapolate_to_full_space(0, 10)
