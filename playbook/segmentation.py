"""Split a national list into one extract per local authority, with an exceptions table for the rest.

Two promises make a split safe to send: every input record lands in exactly one place (an authority's extract
or the exceptions table, with a reason), and no extract holds a resident of another authority.
:func:`segment` keeps both; :func:`check_segmentation` proves them for any result; :func:`write_extracts`
writes the files so that a reader never sees a half-written folder, and never outside the folder it is given.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from playbook.identifiers import standardise_postcode
from playbook.safe_names import UnsafeNameError, path_inside, safe_file_stem, shorten

REASONS = {
    "missing_la_code": "no local authority code",
    "unknown_la_code": "local authority code not in the list of authorities",
    "malformed_postcode": "postcode missing or not a valid UK postcode",
    "duplicate_key": "identifier appears more than once in the list",
    "unsafe_la_code": "local authority code cannot be used as a file name",
    "clashing_la_code": "local authority code differs from another only in upper and lower case, so their files clash",
}
FORMATS = ("parquet", "csv")
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


def _write_table(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Marks the temporary folders made beside a destination (``.<name>.partial-<process id>-<random>``), so that a
#: later run can recognise and remove what a killed run left: they hold personal data.
TEMP_MARK = ".partial-"
OLD_MARK = ".previous-"
#: Where a process cannot be asked whether it is still running, a temporary folder this old counts as left over.
STALE_AFTER_SECONDS = 24 * 3600


def _temporary(folder: Path, mark: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{folder.name}{mark}{os.getpid()}-", dir=folder.parent))


def run_has_ended(pid: int, path: Path) -> bool:
    """True if the process that made ``path`` has gone, or ``path`` is over a day old (process ids are reused, and
    only POSIX can be asked safely: on Windows ``os.kill`` would end the process)."""
    if pid == os.getpid():
        return False
    if os.name == "posix":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            pass  # it exists but belongs to someone else
    try:
        return time.time() - path.stat().st_mtime > STALE_AFTER_SECONDS
    except FileNotFoundError:  # another run has just removed it
        return False


def _remove_stale(folder: Path) -> None:
    """Clear up after killed runs writing ``folder``: put back a previous output cut off mid-swap, delete the rest."""
    for mark in (OLD_MARK, TEMP_MARK):  # previous outputs first, so one is restored before anything is deleted
        pattern = re.compile(re.escape(f".{folder.name}{mark}") + r"(\d{1,9})-\w+")
        for path in folder.parent.glob(glob.escape(f".{folder.name}{mark}") + "*"):
            found = pattern.fullmatch(path.name)
            if not found or path.is_symlink() or not path.is_dir() or not run_has_ended(int(found[1]), path):
                continue
            if mark == OLD_MARK and (path / "previous").is_dir() and not os.path.lexists(folder):
                os.replace(path / "previous", folder)
            shutil.rmtree(path, ignore_errors=True)


def _listed_in_manifest(folder: Path) -> set[str]:
    try:
        listed = pd.read_csv(folder / "manifest.csv", usecols=["file"], dtype=str)["file"].dropna()
    except (OSError, ValueError):  # no manifest, or not one of ours
        return set()
    return {"manifest.csv", *listed}


def _check_replaceable(folder: Path, new: Path) -> None:
    """Refuse to replace a folder holding anything this writer would not have written: it may be a person's work.

    Ours are the files the new write makes, and those listed in the old folder's ``manifest.csv`` (yesterday's
    delivery may have had another authority's file).
    """
    ours = {p.name for p in new.iterdir()} | _listed_in_manifest(folder)
    strangers = sorted(p.name for p in folder.iterdir() if p.name not in ours)
    if strangers:
        shown = ", ".join(repr(shorten(name)) for name in strangers[:5]) + (" and others" if len(strangers) > 5 else "")
        raise FileExistsError(
            f"{folder} holds {shown}, which this writer did not write, so it will not replace it: "
            "move them out or choose a new folder (nothing was changed)"
        )


def write_folder_atomically(folder: str | Path, write, *, overwrite: bool = False) -> Path:
    """Call ``write(tmp)`` to fill a temporary folder beside ``folder``, then move it into place in one step.

    A reader (or a scheduled upload) sees the old folder or the complete new one (or, for the instant between two
    renames when replacing, no folder), never a partial set of files. If writing fails or is interrupted, the
    temporary folder is removed and any existing folder is untouched (put back, if the swap had begun); a later
    run removes temporary folders that killed runs left behind. An existing folder is replaced only with
    ``overwrite=True``, and only if it holds nothing but files this writer writes.
    """
    folder = Path(folder)
    _remove_stale(folder)
    if os.path.lexists(folder):
        if not folder.is_dir():
            raise FileExistsError(f"{folder} exists and is not a folder: choose another destination")
        if not overwrite:
            raise FileExistsError(f"{folder} already exists: choose a new folder or pass overwrite=True")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(folder, TEMP_MARK)
    old = None
    try:
        write(tmp)
        if os.path.lexists(folder):
            _check_replaceable(folder, tmp)
            old = _temporary(folder, OLD_MARK)
            os.replace(folder, old / "previous")
        os.replace(tmp, folder)
    except BaseException:  # KeyboardInterrupt too: never leave personal data in a temporary folder
        if old is not None and not os.path.lexists(folder) and os.path.lexists(old / "previous"):
            os.replace(old / "previous", folder)
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder


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
    rows = []

    def write(tmp: Path) -> None:
        parts = [(stems[code], frame) for code, frame in result.extracts.items()]
        for stem, frame in sorted(parts, key=lambda part: part[0]) + [("exceptions", result.exceptions)]:
            path = path_inside(tmp, f"{stem}.{fmt}")
            _write_table(pa.Table.from_pandas(frame, preserve_index=False), path, fmt)
            rows.append({"file": path.name, "records": len(frame), "sha256": _sha256(path)})
        pd.DataFrame(rows).to_csv(tmp / "manifest.csv", index=False)

    write_folder_atomically(folder, write, overwrite=overwrite)
    return pd.DataFrame(rows)
