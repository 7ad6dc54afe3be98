"""Write a delivery: a folder that appears all at once, holding tables, their checksums and a manifest.

Every writer of a folder in the project comes through here (decision 0007): the documents
(:func:`playbook.documents.write_drafts`), the per-council split (:mod:`playbook.segmentation`), the change feed
(:mod:`playbook.changes`) and the synthetic data generator (:mod:`synthetic_data.output`). It imports nothing from
``playbook`` or ``synthetic_data``, so the generator can use it and still stand alone (decision 0003).

The rules, in one place:

- files are written into a temporary folder beside the destination, ``.<name>.<tag>-<process id>-<random>.partial``,
  and renamed into place only when every file is written, so a reader never sees half a delivery;
- on any failure, an interrupt included, the temporary folder is removed and an existing folder is left as it
  was (put back, if the swap had begun: it waits in ``.<name>.<tag>-<process id>-<random>.old``);
- a later run removes what a killed run left (they may hold personal data), and puts back an output a kill left
  moved aside;
- an existing folder is replaced only when the caller allows it and the folder holds nothing but files this
  writer wrote (``owned`` says which); anything else is a person's work and is refused, naming it.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet")
#: The manifest of a delivery: one row per file with its record count and SHA-256 checksum.
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("file", "records", "sha256")
#: Where a process cannot be asked whether it is still running, a temporary folder this old counts as left over.
STALE_AFTER_SECONDS = 24 * 3600


class FolderRefused(FileExistsError):
    """The destination cannot or must not be replaced; the message says why and what to do."""


def shorten(value: object, limit: int = 80) -> str:
    """A path or name for a message, its start cut to ``limit`` characters (the end of a path says most)."""
    text = str(value)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


# ---------------------------------------------------------------------------------------------------------------
# Tables, checksums and the manifest
# ---------------------------------------------------------------------------------------------------------------


def _needs_quotes(table: pa.Table) -> bool:
    """Whether any text value holds a comma, quote or line break, so the CSV must quote its text."""
    for column in table.columns:
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if text and pc.any(pc.match_substring_regex(column, r'[,"\r\n]')).as_py():
            return True
    return False


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV with text unquoted unless some value in the file needs quotes (keeps the files small and readable)."""
    style = "needed" if _needs_quotes(table) else "none"
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style=style))


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """One table as CSV or Parquet (snappy)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        write_csv(table, path)
    else:
        pq.write_table(table, path, compression="snappy")


def sha256(path: Path) -> str:
    """The SHA-256 checksum of a file, so the receiver can check that what arrived is complete and unaltered."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, records: Mapping[str, int]) -> list[dict[str, object]]:
    """Write ``manifest.csv`` listing each file (name -> record count) with its checksum; return its rows."""
    rows: list[dict[str, object]] = [
        {"file": name, "records": int(count), "sha256": sha256(folder / name)} for name, count in records.items()
    ]
    with open(folder / MANIFEST, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def listed_in_manifest(folder: Path) -> set[str]:
    """The files a delivery's ``manifest.csv`` in ``folder`` lists, and the manifest itself; empty without one."""
    try:
        with open(folder / MANIFEST, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, ValueError, csv.Error):
        return set()
    if not rows or rows[0][: len(MANIFEST_COLUMNS)] != list(MANIFEST_COLUMNS):
        return set()  # not one of ours
    return {MANIFEST, *(row[0] for row in rows[1:] if row)}


# ---------------------------------------------------------------------------------------------------------------
# The folder, all at once
# ---------------------------------------------------------------------------------------------------------------


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


def _prefix(folder: Path, tag: str) -> str:
    return f".{folder.name}.{tag}-{os.getpid()}-"


def remove_stale(folder: Path, tag: str) -> None:
    """Remove the temporary folders killed runs left beside ``folder``; put back an output a kill left aside."""
    if not folder.parent.is_dir():
        return
    stale = re.compile(rf"\.{re.escape(folder.name)}\.{re.escape(tag)}-(\d{{1,9}})-.*\.(partial|old)")
    for entry in sorted(folder.parent.iterdir(), key=lambda p: not p.name.endswith(".old")):  # put back first
        match = stale.fullmatch(entry.name)
        if not match or entry.is_symlink() or not entry.is_dir() or not run_has_ended(int(match[1]), entry):
            continue
        aside = entry / folder.name
        if match[2] == "old" and aside.is_dir() and not os.path.lexists(folder):
            os.replace(aside, folder)
        shutil.rmtree(entry, ignore_errors=True)


def _check_replaceable(folder: Path, replace: bool, owned: Callable[[Path], Iterable[str]] | None) -> None:
    if not os.path.lexists(folder):
        return
    if not folder.is_dir() or folder.is_symlink():
        raise FolderRefused(f"{shorten(folder)} exists and is not a folder: choose another destination")
    if not replace:
        raise FolderRefused(f"{shorten(folder)} already exists: choose a new folder (nothing was changed)")
    ours = set(owned(folder)) if owned else set()
    strangers = sorted(p.name for p in folder.iterdir() if p.name not in ours or p.is_symlink() or not p.is_file())
    if strangers:
        shown = ", ".join(repr(shorten(name)) for name in strangers[:5]) + (" and others" if len(strangers) > 5 else "")
        raise FolderRefused(
            f"refusing to replace {shorten(folder)}: it holds {shown}, which this writer did not write; "
            "move it out of the folder or choose another folder (nothing was changed)"
        )


def _move_into_place(tmp: Path, folder: Path, tag: str) -> None:
    """Swap the new folder in; if stopped between the two renames, put the previous output back."""
    if not os.path.lexists(folder):
        os.replace(tmp, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=_prefix(folder, tag), suffix=".old", dir=folder.parent))
    try:
        os.replace(folder, old / folder.name)
        os.replace(tmp, folder)
    except BaseException:
        if not os.path.lexists(folder) and os.path.lexists(old / folder.name):
            os.replace(old / folder.name, folder)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(
    folder: str | os.PathLike,
    *,
    tag: str,
    replace: bool = False,
    owned: Callable[[Path], Iterable[str]] | None = None,
    private: bool = False,
) -> Iterator[Path]:
    """A temporary folder beside ``folder`` that takes its place only if the body finishes, and is removed if not.

    ``tag`` names the writer in its temporary folders. An existing ``folder`` is replaced only with ``replace``,
    and only if every entry in it is a file ``owned(folder)`` names (an empty folder always qualifies). The new
    folder gets the usual permissions, or only the owner's with ``private`` (for personal data).
    """
    folder = Path(os.path.abspath(folder))
    remove_stale(folder, tag)
    _check_replaceable(folder, replace, owned)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(folder, tag), suffix=".partial", dir=folder.parent))
    try:
        yield tmp
        if not private:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; documents and teaching data are not
        _move_into_place(tmp, folder, tag)
    except BaseException:  # KeyboardInterrupt too: never leave personal data in a temporary folder
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_folder(
    folder: str | os.PathLike,
    fill: Callable[[Path], object],
    *,
    tag: str,
    replace: bool = False,
    owned: Callable[[Path], Iterable[str]] | None = None,
    private: bool = False,
) -> Path:
    """Call ``fill(tmp)`` to fill a temporary folder, then move it into place as ``folder`` (see :func:`replacing`)."""
    with replacing(folder, tag=tag, replace=replace, owned=owned, private=private) as tmp:
        fill(tmp)
    return Path(folder)


def write_delivery(
    folder: str | os.PathLike,
    tables: Mapping[str, pa.Table],
    *,
    fmt: str = "csv",
    tag: str = "delivery",
    replace: bool = False,
    private: bool = True,
) -> list[dict[str, object]]:
    """Write each table (file stem -> table) and a ``manifest.csv`` with counts and checksums, all at once.

    The stems must already be safe file names (the caller checks names built from data). An existing delivery is
    replaced, with ``replace``, only if it holds nothing but the files its own manifest lists. Returns the
    manifest's rows.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    rows: list[dict[str, object]] = []

    def fill(tmp: Path) -> None:
        counts = {}
        for stem, table in tables.items():
            name = f"{stem}.{fmt}"
            write_table(table, tmp / name, fmt)
            counts[name] = table.num_rows
        rows.extend(write_manifest(tmp, counts))

    write_folder(folder, fill, tag=tag, replace=replace, owned=listed_in_manifest, private=private)
    return rows
