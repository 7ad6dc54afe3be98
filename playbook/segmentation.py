"""Split a national list into one extract per local authority, with an exceptions table for the rest.

Two promises make a split safe to send: every input record lands in exactly one place (an authority's extract
or the exceptions table, with a reason), and no extract holds a resident of another authority.
:func:`segment` keeps both; :func:`check_segmentation` proves them for any result; :func:`write_extracts`
writes the files so that a reader never sees a half-written folder, and never outside the folder it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import outbox
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
OWN_FILES = ("exceptions", "manifest")


@dataclass
class Segmented:
    """The result of :func:`segment`: extracts by authority code, and the records that could not be placed."""

    extracts: dict[str, pd.DataFrame]
    exceptions: pd.DataFrame  # the input columns plus ``reason``
    la_column: str

    def counts(self) -> pd.DataFrame:
        """Records per authority (sorted by code), with the exceptions as a final row: the totals to reconcile."""
        rows = [(code, len(frame)) for code, frame in sorted(self.extracts.items())]
        rows.append(("exceptions", len(self.exceptions)))
        return pd.DataFrame(rows, columns=["extract", "records"])


def segment(
    records: pd.DataFrame,
    la_codes: Iterable[str],
    *,
    la_column: str = "la_code",
    postcode_column: str | None = "postcode",
    key: str | None = None,
) -> Segmented:
    """One extract per known local authority code, plus exceptions with a reason for each record not placed.

    ``la_codes`` is the list of authorities that may receive data. A record goes to exceptions if its code is
    missing or unknown, if ``postcode_column`` is given and its postcode is not a valid UK postcode, or if
    ``key`` is given and the identifier appears more than once, or if its code cannot name a file safely (see
    :mod:`playbook.safe_names`) or differs from another code only in case (one file on Windows and macOS). A
    record with several problems lists them all. Authorities with no residents in the list get no extract.
    """
    needed = [c for c in (la_column, postcode_column, key) if c]
    missing = [c for c in needed if c not in records.columns]
    if missing:
        raise KeyError(f"the list has no column {', '.join(missing)}; its columns are {', '.join(records.columns)}")
    known = pd.Index(pd.Series(list(la_codes), dtype="string").dropna().str.strip().unique())
    if known.empty:
        raise ValueError("no local authority codes given: pass the codes of the authorities that may receive data")
    if "reason" in records.columns:
        raise ValueError("the list already has a column called 'reason'; rename it before segmenting")

    code = records[la_column].astype("string").str.strip().replace("", pd.NA)
    problems = [
        (code.isna(), REASONS["missing_la_code"]),
        (code.notna() & ~code.isin(known).fillna(False), REASONS["unknown_la_code"]),
    ]
    unsafe, clashing = _unusable_codes(known)
    problems += [
        (code.isin(unsafe).fillna(False), REASONS["unsafe_la_code"]),
        (code.isin(clashing).fillna(False), REASONS["clashing_la_code"]),
    ]
    if postcode_column:
        problems.append((standardise_postcode(records[postcode_column]).isna(), REASONS["malformed_postcode"]))
    if key:
        problems.append((records[key].duplicated(keep=False), REASONS["duplicate_key"]))

    flags = [(flag.fillna(True).to_numpy(dtype=bool), text) for flag, text in problems]
    bad = np.logical_or.reduce([flag for flag, _ in flags])
    reason = pd.Series("", index=records.index[bad], dtype="string")  # built for the few bad rows only
    for flag, text in flags:
        reason = reason.mask(flag[bad], reason + "; " + text)

    exceptions = records[bad].copy()
    exceptions["reason"] = reason.str.removeprefix("; ").to_numpy()
    # One reordering of the good rows by authority, then a slice per authority: at national scale this is
    # several times faster than filtering and grouping, which each copy every column.
    labels, names = pd.factorize(code.mask(bad), sort=True)
    positions = np.flatnonzero(labels >= 0)
    positions = positions[np.argsort(labels[positions], kind="stable")]
    ordered = records.take(positions)
    bounds = np.searchsorted(labels[positions], np.arange(len(names) + 1))
    extracts = {str(name): ordered.iloc[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}
    return Segmented(extracts, exceptions, la_column)


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
    """Raise AssertionError unless every record is in exactly one output and each extract is one authority's.

    Works on row labels, so give the list a unique index (the default RangeIndex is fine).
    """
    if not records.index.is_unique:
        raise ValueError("the list's index has repeated labels; reset it (records.reset_index(drop=True))")
    placed = [frame.index for frame in result.extracts.values()] + [result.exceptions.index]
    total = sum(len(i) for i in placed)
    assert total == len(records), f"{len(records)} records in but {total} out"
    everything = placed[0].append(placed[1:]) if len(placed) > 1 else placed[0]
    assert everything.is_unique, "some records appear in more than one output"
    assert set(everything) == set(records.index), "some records are missing from every output"
    for code, frame in result.extracts.items():
        other = frame[frame[result.la_column].astype("string").str.strip() != code]
        assert other.empty, f"extract {code} holds {len(other)} residents of another authority"
    assert result.exceptions["reason"].fillna("").ne("").all(), "an exception has no reason"


#: The tag in the names of the temporary folders a delivery's write makes beside its destination.
TAG = "delivery"
run_has_ended = outbox.run_has_ended  # the linker's scratch folders use the same rule


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

    The manifest lists each file with its record count and SHA-256 checksum, so the receiving team can check
    that what arrived is complete and unaltered. Every file name is checked by :mod:`playbook.safe_names` before
    anything is written (:func:`segment` already sends records with an unusable code to the exceptions).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    stems: dict[str, str] = {}
    for code in sorted(result.extracts, key=str):
        stems[code] = safe_file_stem(code, "local authority code", reserved=[*OWN_FILES, *stems.values()])
    tables = {stems[code]: frame for code, frame in result.extracts.items()}
    tables = {stem: tables[stem] for stem in sorted(tables)} | {"exceptions": result.exceptions}
    rows = outbox.write_delivery(
        folder,
        {stem: pa.Table.from_pandas(frame, preserve_index=False) for stem, frame in tables.items()},
        fmt=fmt,
        tag=TAG,
        replace=overwrite,
    )
    return pd.DataFrame(rows)
