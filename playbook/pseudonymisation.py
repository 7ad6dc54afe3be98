"""Keyed pseudonyms for sharing and matching, and a demonstration of why a plain hash is not one.

A pseudonym lets two organisations match records without handing each other the identifier itself. It only
protects people if nobody outside the agreement can recompute it. A plain SHA-256 of an NHS number fails that
test: there are only about 909 million valid NHS numbers, so anyone can hash them all and read the numbers back
(:func:`reverse_plain_hashes`). A keyed hash (HMAC-SHA256, RFC 2104) mixes in a secret, so only holders of the
secret can make or check pseudonyms (:func:`keyed_pseudonyms`).

A keyed hash does not protect anyone from the holders of the secret. Match keys such as initial, surname, postcode
and house number have few possible values, so a key holder can key every candidate and read pseudonyms back
(:func:`reverse_keyed_pseudonyms`). So a partner that only needs to know which of its own customers are on a list
must never hold the secret: it sends its match keys to the key holder, which keys both sides, matches, and returns
only the partner's own references that matched (:func:`match_for_partner`).

The secret is never printed, logged or put into an error message by this module.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.identifiers import nhs_check_digits

MIN_SECRET_BYTES = 32  # RFC 2104 advises keys no shorter than the hash output: 32 bytes for SHA-256
MIN_SECRET_DISTINCT = 10  # distinct bytes: a fresh hex secret has about 16; "abab…" or "0000…" is no secret
BLANK = r"[\s\u200b-\u200d\u2060\ufeff]*"  # whitespace and zero-width characters: a blank identifier


class SecretKeyError(ValueError):
    """The secret key is missing or too weak. The message never contains the key."""


def new_secret() -> str:
    """A fresh random secret (64 hex characters, 32 bytes) to store in a secrets manager, never with the data."""
    return secrets.token_hex(MIN_SECRET_BYTES)


def check_secret(secret: str | bytes | None) -> bytes:
    """The secret as bytes, or :class:`SecretKeyError` if it is missing or weak. The message never shows it.

    Refusing weak keys matters: a key someone can guess is no better than no key at all. Weak means shorter than
    32 bytes, fewer than 10 distinct bytes (``"0000…"``, ``"abab…"``, all spaces) or whitespace at either end,
    usually a stray newline from a file, which would silently give the other party different pseudonyms.
    """
    if secret is None or (isinstance(secret, (str, bytes)) and len(secret) == 0):
        raise SecretKeyError(
            "no secret key given: keyed pseudonyms need a secret agreed between the parties and held apart from "
            "the data. Create one with playbook.pseudonymisation.new_secret() and pass it in, or set it in an "
            "environment variable and use secret_from_env()."
        )
    if not isinstance(secret, (str, bytes)):
        raise SecretKeyError(f"the secret key must be text or bytes, not {type(secret).__name__}")
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    fix = "Create one with playbook.pseudonymisation.new_secret()."
    if len(key) < MIN_SECRET_BYTES:
        raise SecretKeyError(
            f"the secret key is too short ({len(key)} bytes; at least {MIN_SECRET_BYTES} needed). A short key can "
            f"be guessed. {fix}"
        )
    if len(set(key)) < MIN_SECRET_DISTINCT:
        raise SecretKeyError(
            f"the secret key is too simple ({len(set(key))} distinct bytes; at least {MIN_SECRET_DISTINCT} needed): "
            f"a repeated pattern can be guessed. {fix}"
        )
    if key != key.strip():
        raise SecretKeyError(
            "the secret key starts or ends with whitespace (often a newline read from a file): strip it, so that "
            "both parties key with the same secret."
        )
    return key


def secret_from_env(name: str = "PLAYBOOK_PSEUDONYM_KEY") -> bytes:
    """Read the secret from an environment variable, so it never appears in code, notebooks or logs."""
    value = os.environ.get(name)
    if not value:
        raise SecretKeyError(f"environment variable {name} is not set: set it to the agreed secret key")
    return check_secret(value)


def _as_text(values: pd.Series | Iterable) -> pd.Series:
    """The values as text, with blanks (missing, empty, or only whitespace or zero-width characters) missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="object")
    text = series.astype("string")
    return text.mask(text.str.fullmatch(BLANK).fillna(False).astype(bool))


def keyed_pseudonyms(values: pd.Series | Iterable, secret: str | bytes | None) -> pd.Series:
    """HMAC-SHA256 of each value with the secret, as 64 hex characters; blank values stay missing.

    Standardise values first (for example with ``playbook.identifiers``) so both parties hash the same text.
    A blank (missing, empty or only whitespace) must not become a hash, or every blank would match every other.
    """
    key = check_secret(secret)
    text = _as_text(values)
    present = text.notna().to_numpy()
    out = np.full(len(text), None, dtype=object)
    digest = hmac.digest
    out[present] = [digest(key, v.encode("utf-8"), "sha256").hex() for v in text[present]]
    return pd.Series(out, index=text.index, name=text.name, dtype="string")


def plain_sha256(values: pd.Series | Iterable) -> pd.Series:
    """Unkeyed SHA-256 of each value as hex: shown only to demonstrate why it gives no protection."""
    text = _as_text(values)
    present = text.notna().to_numpy()
    out = np.full(len(text), None, dtype=object)
    out[present] = [hashlib.sha256(v.encode("utf-8")).hexdigest() for v in text[present]]
    return pd.Series(out, index=text.index, name=text.name, dtype="string")


def pseudonymise_columns(
    frame: pd.DataFrame, columns: Iterable[str], secret: str | bytes | None, *, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """A new frame with ``keep`` columns as they are and each of ``columns`` replaced by its keyed pseudonym."""
    columns, keep = list(columns), list(keep)
    missing = [c for c in columns + keep if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the data: {', '.join(missing)}; it has {', '.join(frame.columns)}")
    key = check_secret(secret)
    out = frame[keep].copy()
    for column in columns:
        out[column] = keyed_pseudonyms(frame[column], key)
    return out


# --- Who holds the secret -----------------------------------------------------------------------------------


def reverse_keyed_pseudonyms(
    pseudonyms: pd.Series, candidates: pd.Series | Iterable, secret: str | bytes | None
) -> pd.Series:
    """The candidate value behind each keyed pseudonym, where the candidates include it; otherwise missing.

    This is the dictionary attack of :func:`reverse_plain_hashes`, open to anyone who holds the secret: key every
    candidate once, then look each pseudonym up. It shows why a partner must not hold the secret when the values
    behind the pseudonyms (names, addresses, email addresses) can be listed. Without the secret it cannot run.
    """
    key = check_secret(secret)
    values = _as_text(candidates).dropna().drop_duplicates()
    table = pd.Series(values.to_numpy(), index=keyed_pseudonyms(values, key).to_numpy(), dtype="string")
    text = pseudonyms.astype("string")
    found = text.map(table)
    return pd.Series(found.to_numpy(), index=pseudonyms.index, name=pseudonyms.name, dtype="string")


def match_for_partner(
    ours: pd.DataFrame, theirs: pd.DataFrame, keys: Sequence[str], reference: str, secret: str | bytes | None
) -> pd.DataFrame:
    """Run by the key holder alone: the partner's own references whose match keys equal one of ours.

    ``ours`` holds the key holder's standardised match keys; ``theirs`` holds the partner's reference column and
    the same standardised keys. The key holder keys both sides with its secret, which never leaves it, and joins
    on each key in turn. A missing key never matches. The result has one column, ``reference``, with each matched
    reference once, sorted: it holds nothing from ``ours``, so the partner learns which of its own records matched
    and nothing about anyone else's. Delete ``theirs`` once the match is done.
    """
    keys = list(keys)
    if not keys:
        raise ValueError("give at least one match key")
    wanted = (("ours", ours, keys), ("theirs", theirs, keys + [reference]))
    missing = [f"{side}.{column}" for side, frame, columns in wanted for column in columns if column not in frame]
    if missing:
        raise KeyError(f"columns not in the data: {', '.join(missing)}")
    refs = theirs[reference]
    if refs.isna().any() or refs.duplicated().any():
        raise ValueError(f"every row of the partner's data needs its own {reference}: found blanks or repeats")
    key = check_secret(secret)
    matched: set = set()
    for column in keys:
        ours_keyed = set(keyed_pseudonyms(ours[column], key).dropna())
        theirs_keyed = keyed_pseudonyms(theirs[column], key)
        matched.update(refs[theirs_keyed.isin(ours_keyed).fillna(False).to_numpy(dtype=bool)].tolist())
    return pd.DataFrame({reference: sorted(matched)}, dtype=refs.dtype)


# --- Why a plain hash fails ---------------------------------------------------------------------------------


def valid_nhs_numbers(first: int = 999_000_000, stop: int = 1_000_000_000) -> np.ndarray:
    """Every valid ten-digit NHS number whose first nine digits lie in ``[first, stop)``, as int64, ascending.

    The default is the whole 999 test range: a million nine-digit stems, about 909,000 valid numbers.
    """
    if not 0 <= first < stop <= 1_000_000_000:
        raise ValueError("first and stop must satisfy 0 <= first < stop <= 1,000,000,000 (nine-digit stems)")
    stems = np.arange(first, stop, dtype=np.int64)
    digits = (stems[:, None] // (10 ** np.arange(8, -1, -1, dtype=np.int64))) % 10
    check = nhs_check_digits(digits)
    keep = check != 10
    return stems[keep] * 10 + check[keep]


def hash_number_space(numbers: np.ndarray) -> np.ndarray:
    """SHA-256 digests of each number written as ten digits, as an (n, 32) uint8 array.

    This is the attacker's whole job: one tight hashlib loop over the candidate numbers.
    """
    texts = numbers.astype("S10").tolist()
    sha256 = hashlib.sha256
    joined = b"".join([sha256(t).digest() for t in texts])
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, 32)


@dataclass(frozen=True)
class HashTable:
    """A lookup from plain SHA-256 digest back to the NHS number, sorted on the first 8 bytes of each digest."""

    prefixes: np.ndarray  # uint64, sorted
    numbers: np.ndarray  # int64, in the same order

    @property
    def size(self) -> int:
        return len(self.numbers)


def build_hash_table(numbers: np.ndarray | None = None) -> HashTable:
    """Hash every candidate number once; afterwards reversing any plain hash is a binary search."""
    numbers = valid_nhs_numbers() if numbers is None else np.asarray(numbers, dtype=np.int64)
    digests = hash_number_space(numbers)
    prefixes = digests[:, :8].copy().view(">u8").ravel().astype(np.uint64)
    order = np.argsort(prefixes, kind="stable")
    return HashTable(prefixes[order], numbers[order])


def reverse_plain_hashes(hashes: pd.Series, table: HashTable) -> pd.Series:
    """The NHS number behind each plain SHA-256 hex digest, where the table holds it; otherwise missing.

    Each candidate found through the 8-byte prefix is confirmed against the full digest, so a result is never
    a false match.
    """
    text = hashes.astype("string")
    ok = text.str.fullmatch(r"[0-9a-f]{64}").fillna(False).astype(bool).to_numpy()
    result = pd.Series(pd.NA, index=hashes.index, dtype="string", name="nhs_number")
    if not ok.any() or table.size == 0:
        return result
    wanted = text[ok].tolist()
    prefixes = np.array([int(h[:16], 16) for h in wanted], dtype=np.uint64)
    pos = np.searchsorted(table.prefixes, prefixes)
    pos_clipped = np.minimum(pos, table.size - 1)
    hit = table.prefixes[pos_clipped] == prefixes
    found = []
    for h, p, is_hit in zip(wanted, pos_clipped, hit, strict=True):
        number = None
        while is_hit and p < table.size and table.prefixes[p] == int(h[:16], 16):
            candidate = f"{table.numbers[p]:010d}"
            if hashlib.sha256(candidate.encode()).hexdigest() == h:
                number = candidate
                break
            p += 1
        found.append(number)
    result[ok] = pd.array(found, dtype="string")
    return result


def extrapolate_to_full_space(seconds: float, numbers_hashed: int) -> dict[str, float]:
    """Scale a measured time for hashing part of the space to every valid ten-digit NHS number.

    The full space has 10**9 nine-digit stems; about 10 in 11 have a valid check digit.
    """
    if seconds <= 0 or numbers_hashed <= 0:
        raise ValueError("need a positive time and a positive count of numbers hashed")
    full = 10**9 * 10 / 11
    rate = numbers_hashed / seconds
    return {
        "numbers_per_second": rate,
        "full_space_numbers": full,
        "full_space_seconds": full / rate,
        "full_space_minutes_on_one_core": full / rate / 60,
    }
