"""Checks that every identifier in every row is provably not real. The generator runs them before writing and
refuses to write a table that fails; the tests run the same checks.

The ranges:

- NHS numbers: 999 000 0000 to 999 999 9999, reserved for testing and never issued, with a valid modulus-11 check
  digit. Only registrations may hold numbers whose check digit fails, and only where ``truth`` marks them as
  deliberately mistyped; those still start 999.
- Phone numbers: Ofcom's drama ranges 07700 900000 to 900999, 01632 960000 to 960999 and 020 7946 0000 to 0999,
  in any of the formats the tables use.
- Email addresses: domains example.com, example.org and example.net only (RFC 2606).
- UPRNs: 12 digits from 999 000 000 000 to 999 999 999 999 (see ``UPRN_FIRST``).
"""

from __future__ import annotations

from typing import NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import SCHEMA

NHS_PATTERN = r"^999[0-9]{7}$"
PHONE_PATTERN = r"^(0|\+44)(7700900|1632960|2079460)[0-9]{3}$"
EMAIL_PATTERN = r"^[a-z0-9][a-z0-9._-]*@example\.(com|org|net)$"
UPRN_FIRST = 999_000_000_000
UPRN_LAST = 999_999_999_999
UPRN_PATTERN = r"^999[0-9]{9}$"
NHS_WEIGHTS = np.arange(10, 1, -1)


class UnsafeDataError(ValueError):
    """A value that could be a real identifier, or a table that does not match its schema."""


def nhs_check_digit(first_nine: np.ndarray) -> np.ndarray:
    """Modulus-11 check digit for rows of nine digits; 10 means no valid number has these nine digits."""
    remainder = (first_nine @ NHS_WEIGHTS) % 11
    check = 11 - remainder
    return np.where(check == 11, 0, check)


def _digit_matrix(values: pa.Array, width: int) -> np.ndarray:
    """Digits of strings already known to be exactly ``width`` ASCII digits, as an (n, width) array."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    values = values.cast(pa.large_string())
    if len(values) == 0:
        return np.zeros((0, width), dtype=np.int64)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(-1, width).astype(np.int64) - ord("0")


def nhs_numbers_valid(values: pa.Array) -> np.ndarray:
    """Whether each 10-digit string has a correct check digit."""
    digits = _digit_matrix(values, 10)
    return nhs_check_digit(digits[:, :9]) == digits[:, 9]


def normalise_nhs_number(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.replace_substring(values, " ", "")


def normalise_phone(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Without spaces, so every format the tables use can be checked against the ranges. Anything else odd
    (brackets, letters) fails the check rather than being cleaned away."""
    return pc.replace_substring(values, " ", "")


def _fail(table: str, column: str, values: pa.Array | pa.ChunkedArray, bad: np.ndarray, why: str) -> NoReturn:
    row = int(np.flatnonzero(bad)[0])
    raise UnsafeDataError(
        f"{table}.{column} row {row}: {values[row].as_py()!r} {why} ({int(bad.sum())} rows fail); "
        "the generator refuses to write it"
    )


def _check_pattern(
    table: str,
    column: str,
    values: pa.Array | pa.ChunkedArray,
    normalised: pa.Array | pa.ChunkedArray,
    pattern: str,
    why: str,
) -> None:
    ok = pc.match_substring_regex(normalised, pattern)
    bad = ~np.asarray(pc.fill_null(pc.or_(ok, pc.is_null(values)), True))
    if bad.any():
        _fail(table, column, values, bad, why)


def check_schema(name: str, data: pa.Table) -> None:
    """The table has exactly the schema's columns, in order, with the schema's types."""
    expected = SCHEMA[name].arrow_schema()
    if not data.schema.equals(expected):
        raise UnsafeDataError(f"{name}: columns {data.schema} do not match the schema {expected}")


def check_table(name: str, data: pa.Table, nhs_mistyped: np.ndarray | None = None) -> None:
    """Check every identifier column of one table. ``nhs_mistyped`` marks registration rows whose NHS number was
    mistyped on purpose; only those may fail the check digit."""
    check_schema(name, data)
    for column in SCHEMA[name].columns:
        values = data.column(column.name)
        if column.kind == "nhs_number":
            normalised = normalise_nhs_number(values)
            _check_pattern(name, column.name, values, normalised, NHS_PATTERN, "is not 10 digits starting 999")
            present = ~np.asarray(pc.is_null(values))
            valid = np.ones(len(values), dtype=bool)
            valid[present] = nhs_numbers_valid(pc.drop_null(normalised))
            allowed = np.zeros(len(values), dtype=bool) if nhs_mistyped is None else np.asarray(nhs_mistyped)
            if (~valid & ~allowed).any():
                _fail(
                    name, column.name, values, ~valid & ~allowed, "has a wrong check digit and is not marked mistyped"
                )
        elif column.kind == "phone":
            _check_pattern(
                name, column.name, values, normalise_phone(values), PHONE_PATTERN, "is not in an Ofcom drama range"
            )
        elif column.kind == "email":
            _check_pattern(name, column.name, values, values, EMAIL_PATTERN, "is not at example.com, .org or .net")
        elif column.kind == "uprn":
            _check_pattern(name, column.name, values, values, UPRN_PATTERN, "is not in the synthetic UPRN range")


def registration_mistyped_mask(registrations: pa.Table, truth: pa.Table) -> np.ndarray:
    """Which registration rows ``truth`` marks as having a deliberately mistyped NHS number."""
    rows = pc.and_(pc.equal(truth.column("source_table"), "registrations"), truth.column("nhs_number_mistyped"))
    marked = pc.filter(truth.column("source_id"), rows).cast(pa.int64())
    return np.asarray(pc.is_in(registrations.column("registration_id"), value_set=marked.combine_chunks()))


def check_tables(tables: dict[str, pa.Table]) -> None:
    """Check a whole set of tables, using ``truth`` (which must be present with registrations) for the mistyped
    NHS numbers."""
    for name, data in tables.items():
        mask = None
        if name == "registrations":
            if "truth" not in tables:
                raise UnsafeDataError("registrations can only be checked together with truth")
            mask = registration_mistyped_mask(data, tables["truth"])
        check_table(name, data, mask)
