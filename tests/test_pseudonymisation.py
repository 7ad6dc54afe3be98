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
    assert (first.groupby(series.to_numpy()).nunique(dropna=False) == 1).all()  # blanks: all missing
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


# --- Who holds the secret ----------------------------------------------------------------------------------


def test_a_key_holder_reverses_keyed_pseudonyms_of_listed_values():
    candidates = pd.Series([f"{i}|SMITH|AB1 2CD|{n}" for i in "ABC" for n in range(1, 30)], dtype="string")
    targets = pd.Series(["B|SMITH|AB1 2CD|7", "Z|JONES|XY9 9ZZ|1", None], dtype="string")
    pseudonyms = ps.keyed_pseudonyms(targets, SECRET)
    found = ps.reverse_keyed_pseudonyms(pseudonyms, candidates, SECRET)
    assert found.iloc[0] == "B|SMITH|AB1 2CD|7"
    assert found.iloc[1:].isna().all()  # not among the candidates, or missing
    assert ps.reverse_keyed_pseudonyms(pseudonyms, candidates, SECRET + "x").isna().all()  # another key: nothing
    assert ps.reverse_keyed_pseudonyms(pd.Series(["not a pseudonym"]), candidates, SECRET).isna().all()
    with pytest.raises(ps.SecretKeyError):
        ps.reverse_keyed_pseudonyms(pseudonyms, candidates, None)


def _sides():
    ours = pd.DataFrame({"address": ["A|SMITH|AB1 2CD|7", "B|JONES|AB1 2CD|9", None],
                         "email": [None, "b.jones@example.org", "c.khan@example.net"]}, dtype="string")
    theirs = pd.DataFrame({"customer_id": ["C3", "C1", "C2", "C4"],
                           "address": ["A|SMITH|AB1 2CD|7", None, "D|PATEL|ZZ1 1ZZ|1", None],
                           "email": ["a.smith@example.com", "c.khan@example.net", None, None]}, dtype="string")
    return ours, theirs


def test_the_key_holder_returns_only_the_partners_own_matched_references():
    ours, theirs = _sides()
    out = ps.match_for_partner(ours, theirs, ["address", "email"], "customer_id", SECRET)
    assert list(out.columns) == ["customer_id"]
    assert out["customer_id"].tolist() == ["C1", "C3"]  # C3 on address, C1 on email; blanks never match
    assert set(out["customer_id"]) <= set(theirs["customer_id"])
    text = out.to_csv()
    assert not any(value in text for value in ours.stack().dropna().tolist())  # nothing of ours goes back
    assert ps.match_for_partner(ours, theirs, ["email"], "customer_id", SECRET)["customer_id"].tolist() == ["C1"]


def test_matching_for_a_partner_refuses_weak_secrets_missing_columns_and_unclear_references():
    ours, theirs = _sides()
    with pytest.raises(ps.SecretKeyError):
        ps.match_for_partner(ours, theirs, ["address"], "customer_id", "short")
    with pytest.raises(KeyError, match="theirs.phone"):
        ps.match_for_partner(ours.assign(phone="1"), theirs, ["phone"], "customer_id", SECRET)
    with pytest.raises(ValueError, match="customer_id"):
        ps.match_for_partner(ours, theirs.assign(customer_id="C1"), ["address"], "customer_id", SECRET)
    with pytest.raises(ValueError):
        ps.match_for_partner(ours, theirs, [], "customer_id", SECRET)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=1, max_size=8),
       st.lists(st.sampled_from(["a", "b", "e", None]), min_size=1, max_size=8))
def test_matched_references_are_exactly_the_partner_rows_whose_key_we_hold(ours_keys, their_keys):
    ours = pd.DataFrame({"k": pd.Series(ours_keys, dtype="string")})
    theirs = pd.DataFrame({"ref": [f"R{i}" for i in range(len(their_keys))],
                           "k": pd.Series(their_keys, dtype="string")})
    out = ps.match_for_partner(ours, theirs, ["k"], "ref", SECRET)["ref"].tolist()
    held = {k for k in ours_keys if k is not None}
    assert out == sorted(f"R{i}" for i, k in enumerate(their_keys) if k is not None and k in held)
