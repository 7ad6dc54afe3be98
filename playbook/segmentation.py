"""Split a national list into one extract per local authority, with an exceptions table for the rest.

The split comes through the one door (:mod:`playbook.delivery`): the purpose specification says which column it
splits by (the recipient's ``partition_by``), which columns each council receives and which rows. Two promises
make a split safe to send: every input record lands in exactly one place (an authority's extract, the exceptions
table with a reason, or outside the recipient's row scope), and no extract holds a resident of another authority.
:func:`segment` keeps both; :func:`check_segmentation` proves them for any result; :func:`write_extracts`
writes the files so that a reader never sees a half-written folder, and never outside the folder it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

import outbox
from playbook import delivery, minimisation, purpose
from playbook.identifiers import standardise_postcode
from playbook.safe_names import UnsafeNameError, safe_file_stem

REASONS = {
    "missing_la_code": "no local authority code",
    "unknown_la_code": "local authority code not in the list of authorities",
    "malformed_postcode": "postcode missing or not a valid UK postcode",
    "duplicate_key": "identifier appears more than once in the list",
    "unsafe_la_code": "local authority code cannot be used as a file name",
    "clashing_la_code": "local authority code differs from another only in upper and lower case, so their files clash",
}
FORMATS = outbox.FORMATS
#: The files :func:`write_extracts` writes itself; no authority's extract may take these names.
OWN_FILES = delivery.OWN_FILES
#: The recipient :func:`segment` splits for unless told otherwise.
COUNCILS = "local_authorities"


@dataclass(frozen=True)
class Segmented(delivery.Delivery):
    """The result of :func:`segment`: a :class:`~playbook.delivery.Delivery` whose tables are the extracts by
    authority code; the records that could not be placed are its exceptions, and ``outside`` holds the labels of
    the rows outside the recipient's row scope (they go nowhere)."""

    la_column: str = "la_code"
    outside: pd.Index = field(default_factory=lambda: pd.Index([]))
    table_names: ClassVar[str] = "local authority code"

    @property
    def extracts(self) -> dict[str, pd.DataFrame]:
        return self.tables

    def counts(self) -> pd.DataFrame:
        """Records per authority (sorted by code), then those outside the scope and the exceptions: the totals
        to reconcile with the records in."""
        rows = [(code, len(frame)) for code, frame in sorted(self.extracts.items())]
        rows.append(("outside the scope", len(self.outside)))
        rows.append(("exceptions", len(self.exceptions)))
        return pd.DataFrame(rows, columns=["extract", "records"])


def _column_for(spec: purpose.PurposeSpec, name: str, records: pd.DataFrame, why: str) -> str:
    """The one column of the list that holds field ``name``, found through the specification; KeyError if none."""
    found = delivery.data_columns(spec, name, records.columns)
    if len(found) != 1:
        source = [s.split(".", 1)[1] for s in spec.fields[name].source] if name in spec.fields else []
        missing = f"{' or '.join(source)} (the source of {name}, {why}), nor one named {name}"
        raise KeyError(
            f"the list has no column {missing if source and name not in source else f'{name} ({why})'}; "
            f"its columns are {', '.join(map(str, records.columns))}"
        )
    return found[0]


def segment(
    records: pd.DataFrame,
    la_codes: Iterable[str],
    *,
    spec: purpose.PurposeSpec | None = None,
    recipient: str = COUNCILS,
    fields: Sequence[str] | None = None,
    postcode_column: str | None = "postcode",
    key: str | None = None,
) -> Segmented:
    """One extract per known local authority code, plus exceptions with a reason for each record not placed.

    The purpose specification (default: the built-in shielding one) decides, for ``recipient``: the column the
    list is split by (its ``partition_by`` field, found in the list under its own name or its ``source``, so
    ``local_authority_code`` is read from ``la_code``), the columns each extract holds (those that hold a field
    the recipient receives; ``fields`` asks for fewer), and the rows (its ``row_scope``: a resident who has died is
    outside the scope and goes nowhere). A recipient the specification does not name, or does not split, and a
    field it does not receive, are refused with the reason (:class:`~playbook.delivery.DeliveryRefused`).

    ``la_codes`` is the list of authorities that may receive data. A record goes to exceptions if its row scope
    cannot be tested, its code is missing or unknown, if ``postcode_column`` is given and its postcode is not a
    valid UK postcode, or if ``key`` is given and the identifier appears more than once, or if its code cannot
    name a file safely (see :mod:`playbook.safe_names`) or differs from another code only in case (one file on
    Windows and macOS). A record with several problems lists them all. Authorities with no residents in the list
    get no extract.
    """
    spec = spec or purpose.load_builtin("shielding")
    rec = delivery.recipient(spec, recipient, split=True)
    assert rec.partition_by is not None  # recipient(split=True) refuses a recipient without one
    # Every extract carries the field it is split by, so each council can check that its rows are its own.
    wanted = list(rec.fields) if fields is None else list(dict.fromkeys([*fields, rec.partition_by]))
    delivery.check_fields(spec, recipient, wanted)
    la_column = _column_for(spec, rec.partition_by, records, f"the field {recipient} is split by")
    scope_columns = {
        rule.column: _column_for(spec, rule.column, records, f"needed for the row scope of {recipient}")
        for rule in rec.row_scope
    }
    needed = [c for c in (postcode_column, key) if c]
    missing = [c for c in needed if c not in records.columns]
    if missing:
        raise KeyError(f"the list has no column {', '.join(missing)}; its columns are {', '.join(records.columns)}")
    if fields is not None:
        absent = [name for name in wanted if not delivery.data_columns(spec, name, records.columns)]
        if absent:
            raise KeyError(f"the list has no column for {', '.join(absent)}, asked for {recipient}")
    sent = [c for name in wanted for c in delivery.data_columns(spec, name, records.columns)]
    sent = [c for c in records.columns if c in set(sent)]  # in the list's own order
    known = pd.Index(pd.Series(list(la_codes), dtype="string").dropna().str.strip().unique())
    if known.empty:
        raise ValueError("no local authority codes given: pass the codes of the authorities that may receive data")

    scope = rec.describe_rows()
    outside = np.zeros(len(records), dtype=bool)
    problems = []  # (flag, column, reason): a row with any flag goes to the exceptions
    for rule in rec.row_scope:
        column = scope_columns[rule.column]
        state = minimisation.scope_condition(records, replace(rule, column=column))
        outside |= state.eq(False).fillna(False).to_numpy(dtype=bool)
        problems.append((state.isna(), column, minimisation.cannot_place(rule, scope)))
    code = records[la_column].astype("string").str.strip().replace("", pd.NA)
    problems += [
        (code.isna(), la_column, REASONS["missing_la_code"]),
        (code.notna() & ~code.isin(known).fillna(False), la_column, REASONS["unknown_la_code"]),
    ]
    unsafe, clashing = _unusable_codes(known)
    problems += [
        (code.isin(unsafe).fillna(False), la_column, REASONS["unsafe_la_code"]),
        (code.isin(clashing).fillna(False), la_column, REASONS["clashing_la_code"]),
    ]
    if postcode_column:
        problems.append(
            (standardise_postcode(records[postcode_column]).isna(), postcode_column, REASONS["malformed_postcode"])
        )
    if key:
        problems.append((records[key].duplicated(keep=False), key, REASONS["duplicate_key"]))

    flags = [(flag.fillna(True).to_numpy(dtype=bool) & ~outside, column, text) for flag, column, text in problems]
    bad = np.logical_or.reduce([flag for flag, _, _ in flags])
    exceptions = _exceptions(records, bad, flags, key)
    # One reordering of the good rows by authority, then a slice per authority: at national scale this is
    # several times faster than filtering and grouping, which each copy every column.
    labels, names = pd.factorize(code.mask(bad | outside), sort=True)
    positions = np.flatnonzero(labels >= 0)
    positions = positions[np.argsort(labels[positions], kind="stable")]
    ordered = records[sent].take(positions)
    bounds = np.searchsorted(labels[positions], np.arange(len(names) + 1))
    extracts = {str(name): ordered.iloc[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}
    return Segmented(
        recipient=recipient,
        tables=extracts,
        exceptions=exceptions,
        rows_in=len(records),
        rows_out_of_scope=int(outside.sum()),
        scope=scope,
        la_column=la_column,
        outside=records.index[outside],
    )


def _exceptions(
    records: pd.DataFrame, bad: np.ndarray, flags: list[tuple[np.ndarray, str, str]], key: str | None
) -> pd.DataFrame:
    """One exceptions row per record not placed (the one layout), naming every column at fault and every reason."""
    index = records.index[bad]
    columns = pd.Series("", index=index, dtype="string")
    values = pd.Series("", index=index, dtype="string")
    reasons = pd.Series("", index=index, dtype="string")
    for flag, column, text in flags:  # built for the few bad rows only
        hit = flag[bad]
        if not hit.any():
            continue
        shown = records.loc[bad, column].astype("string").fillna("")
        # Name a column once, however many of its problems a record has.
        fresh = hit & ~columns.str.split("; ").map(lambda names, c=column: c in names).to_numpy(dtype=bool)
        columns = columns.mask(fresh, columns + "; " + column)
        values = values.mask(fresh, values + "; " + shown)
        reasons = reasons.mask(hit, reasons + "; " + text)
    return delivery.exceptions_table(
        index,
        columns.str.removeprefix("; "),
        values.str.removeprefix("; ").replace("", pd.NA),  # the value as text, missing where there is none
        reasons.str.removeprefix("; "),
        ids=records.loc[bad, key].tolist() if key else None,
    )


def _unusable_codes(known: pd.Index) -> tuple[list[str], list[str]]:
    """Known codes that cannot name a file, and codes that would share one file where case is ignored."""
    unsafe = []
    for code in known:
        try:
            safe_file_stem(code, "local authority code", reserved=OWN_FILES)
        except UnsafeNameError:
            unsafe.append(code)
    safe = [c for c in known if c not in unsafe]
    folded = pd.Series([c.casefold() for c in safe], dtype="object")
    return unsafe, [c for c, repeated in zip(safe, folded.duplicated(keep=False), strict=True) if repeated]


def check_segmentation(records: pd.DataFrame, result: Segmented) -> None:
    """Raise AssertionError unless every record is in exactly one place (an extract, the exceptions or outside the
    scope) and each extract is one authority's.

    Works on row labels, so give the list a unique index (the default RangeIndex is fine).
    """
    if not records.index.is_unique:
        raise ValueError("the list's index has repeated labels; reset it (records.reset_index(drop=True))")
    placed = [frame.index for frame in result.extracts.values()]
    placed += [pd.Index(result.exceptions["row"]), pd.Index(result.outside)]
    total = sum(len(i) for i in placed)
    assert total == len(records), f"{len(records)} records in but {total} out"
    everything = placed[0].append(placed[1:])
    assert everything.is_unique, "some records appear in more than one output"
    assert set(everything) == set(records.index), "some records are missing from every output"
    for code, frame in result.extracts.items():
        other = frame[frame[result.la_column].astype("string").str.strip() != code]
        assert other.empty, f"extract {code} holds {len(other)} residents of another authority"
    assert result.exceptions["reason"].fillna("").ne("").all(), "an exception has no reason"


#: The tag in the names of the temporary folders a delivery's write makes beside its destination.
TAG = "delivery"


def write_folder_atomically(folder: str | Path, write: Callable[[Path], object], *, overwrite: bool = False) -> Path:
    """Call ``write(tmp)`` to fill a temporary folder beside ``folder``, then move it into place in one step.

    The one writer of the project (:mod:`outbox`): a reader sees the old folder or the complete new one, never a
    partial set of files; an existing folder is replaced only with ``overwrite=True``, and only if it holds
    nothing but the files its ``manifest.csv`` lists.
    """
    return outbox.write_folder(folder, write, tag=TAG, replace=overwrite, owned=outbox.listed_in_manifest, private=True)


def write_extracts(
    result: Segmented, folder: str | Path, *, fmt: str = "parquet", overwrite: bool = False
) -> pd.DataFrame:
    """Write one file per authority, ``exceptions`` and a ``manifest.csv``, all at once; return the manifest.

    :meth:`Delivery.write <playbook.delivery.Delivery.write>`: the manifest lists each file with its record
    count and SHA-256 checksum, so the receiving team can check that what arrived is complete and unaltered.
    Every file name is checked by :mod:`playbook.safe_names` before anything is written (:func:`segment` already
    sends records with an unusable code to the exceptions).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return result.write(folder, fmt=fmt, overwrite=overwrite)
