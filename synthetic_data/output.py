"""Write the tables to a folder, all or nothing.

Everything is written into a temporary folder beside the target and moved into place only when every table has
passed its safety checks and been written, so a failure never leaves a half-written folder. An existing target
is replaced only if every file in it is one this generator wrote (its ``manifest.json`` lists the tables), so a
file a person added is never deleted. Temporary folders are named ``.<target>.synthetic_data-<process id>-…``, so
a later run can recognise and remove those a killed run left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faker
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from .config import Config
from .generator import build_world, iter_tables
from .schema import SCHEMA, TABLES
from .stream import BLOCK_PEOPLE, Plan, iter_blocks

FORMATS = ("csv", "parquet")
MANIFEST = "manifest.json"
GENERATOR_NAME = "synthetic_data"
CHUNK_SIZE = 1_000_000
"""Rows per Parquet row group in streamed output: large enough for fast reading, small enough for memory."""
TABLE_THREADS = 2
"""Threads that build and check a block's tables while the next block is drawn (see ``stream.iter_blocks``)."""


class OutputError(Exception):
    """The output folder cannot be used; the message says why and what to do."""


def _needs_quotes(table: pa.Table) -> bool:
    """Whether any text value holds a comma, quote or line break, so the CSV must quote its text."""
    for column in table.columns:
        if pa.types.is_string(column.type) and pc.any(pc.match_substring_regex(column, r'[,"\r\n]')).as_py():
            return True
    return False


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV with text unquoted unless some value in the file needs quotes (keeps the teaching data small)."""
    style = "needed" if _needs_quotes(table) else "none"
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style=style))


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "csv":
        write_csv(table, path)
    else:
        pq.write_table(table, path, compression="snappy")


def shorten(value, limit: int = 80) -> str:
    """A value for an error message, its start cut to ``limit`` characters (the end of a path says most)."""
    text = str(value)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _written_before(folder: Path) -> set[str]:
    """The file names this generator's manifest in ``folder`` says it wrote; empty without such a manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if (
        not isinstance(manifest, dict)
        or manifest.get("generator") != GENERATOR_NAME
        or manifest.get("format") not in FORMATS
        or not isinstance(manifest.get("rows"), dict)
    ):
        return set()
    return {MANIFEST} | {f"{name}.{manifest['format']}" for name in manifest["rows"] if name in TABLES}


def _not_ours(folder: Path) -> str | None:
    """The name of the first entry in ``folder`` that this generator did not write, or None."""
    ours = _written_before(folder)
    for entry in sorted(folder.iterdir()):
        if entry.name not in ours or entry.is_symlink() or not entry.is_file():
            return entry.name
    return None


def _temporary_prefix(out: Path) -> str:
    return f".{out.name}.{GENERATOR_NAME}-{os.getpid()}-"


def _running(pid: int) -> bool:
    """Whether a process still runs. Only POSIX can be asked safely: on Windows ``os.kill`` ends the process."""
    if pid == os.getpid() or os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Remove the temporary folders killed runs left beside ``out``; put back an output a kill left moved aside."""
    stale = re.compile(rf"\.{re.escape(out.name)}\.{GENERATOR_NAME}-(\d+)-.*\.(partial|old)")
    for entry in sorted(out.parent.iterdir()):
        match = stale.fullmatch(entry.name)
        if not match or entry.is_symlink() or not entry.is_dir() or _running(int(match[1])):
            continue
        aside = entry / out.name
        if match[2] == "old" and aside.is_dir() and not out.exists():
            os.replace(aside, out)
        shutil.rmtree(entry, ignore_errors=True)


def _check_target(out: Path) -> None:
    """Refuse a target that cannot or must not be replaced, after tidying what killed runs left beside it."""
    if not out.parent.is_dir():
        problem = "is a file, not a folder" if out.parent.exists() else "does not exist"
        raise OutputError(f"cannot write to {shorten(out)}: the folder {shorten(out.parent)} {problem}")
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"cannot write to {shorten(out)}: no permission to write in {shorten(out.parent)}")
    _remove_stale(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write to {shorten(out)}: it is a file, not a folder; choose a folder")
    foreign = _not_ours(out) if out.exists() else None
    if foreign is not None:
        raise OutputError(
            f"refusing to replace {shorten(out)}: it holds {shorten(foreign)!r}, which "
            f"{GENERATOR_NAME} did not write; move it out of the folder or choose another folder"
        )


def _manifest(config: Config, fmt: str, rows: dict[str, int], **extra) -> str:
    content = {
        "generator": GENERATOR_NAME,
        "faker": faker.VERSION,
        "format": fmt,
        "seed": config.seed,
        "spl_people": config.spl_people,
        "rows": rows,
        **extra,
    }
    return json.dumps(content, indent=2, sort_keys=True) + "\n"


def _move_into_place(tmp: Path, out: Path) -> None:
    """Swap the new folder in; if stopped between the two renames, put the previous output back."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=_temporary_prefix(out), suffix=".old", dir=out.parent))
    try:
        os.replace(out, old / out.name)
        os.replace(tmp, out)
    except BaseException:
        if not out.exists() and (old / out.name).exists():
            os.replace(old / out.name, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _replacing(out) -> Iterator[Path]:
    """A temporary folder beside ``out`` that takes its place only if the body finishes, and is removed if not."""
    out = Path(os.path.abspath(out))
    try:
        _check_target(out)
        tmp = Path(tempfile.mkdtemp(prefix=_temporary_prefix(out), suffix=".partial", dir=out.parent))
    except OSError as error:
        raise OutputError(f"cannot write to {shorten(out)}: {error.strerror or error}") from error
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the result is ordinary data
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_tables(config: Config, out, fmt: str = "csv", names=TABLES, progress: bool = True) -> dict[str, int]:
    """Generate, check and write the named tables to folder ``out``; return their row counts."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}: choose csv or parquet")
    rows = {}
    with _replacing(out) as tmp:
        with tqdm(
            total=len(names) + 1, desc="synthetic data", unit="step", file=sys.stderr, disable=not progress
        ) as bar:
            bar.set_postfix_str("drawing people")
            world = build_world(config, names)
            bar.update()
            # Write each table in a second thread while the next is built: both mostly run outside the GIL.
            with ThreadPoolExecutor(max_workers=1) as writer:
                pending = None
                for name, table in iter_tables(config, names, world):
                    if pending:
                        pending.result()
                        bar.update()
                    bar.set_postfix_str(name)
                    pending = writer.submit(write_table, table, tmp / f"{name}.{fmt}", fmt)
                    rows[name] = table.num_rows
                    del table
                if pending:
                    pending.result()
                    bar.update()
        (tmp / MANIFEST).write_text(_manifest(config, fmt, rows), encoding="utf-8")
    return rows


class RowGroups:
    """One table's Parquet file, written in row groups of exactly ``chunk_size`` rows (the last may be shorter)
    however many rows each block brings, so the chunk size decides how the file is cut, never what it holds."""

    def __init__(self, path: Path, schema: pa.Schema, chunk_size: int):
        self.writer = pq.ParquetWriter(path, schema, compression="snappy")
        self.chunk_size, self.waiting, self.rows = chunk_size, 0, 0
        self.pending: list[pa.Table] = []

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.waiting += table.num_rows
        self.rows += table.num_rows
        while self.waiting >= self.chunk_size:
            self._write(self.chunk_size)

    def _write(self, n: int) -> None:
        waiting = pa.concat_tables(self.pending)  # no copy: the new table points at the blocks' buffers
        self.writer.write_table(waiting.slice(0, n), row_group_size=n)
        rest = waiting.slice(n)
        self.pending, self.waiting = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        if self.waiting:
            self._write(self.waiting)
        self.writer.close()


def write_streamed(
    config: Config,
    out,
    names=TABLES,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = True,
    block_people: int = BLOCK_PEOPLE,
) -> dict[str, int]:
    """Generate the named tables block by block (see ``stream``) and write each to one Parquet file in row
    groups of ``chunk_size`` rows, holding only a block and the rows of one row group per table at a time.
    The same folder rules as ``write_tables``: all or nothing, and only over this generator's own output."""
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a whole number of at least 1, not {chunk_size!r}")
    plan = Plan(config, block_people)  # refuses impossible sizes before any folder is touched
    with _replacing(out) as tmp:
        files = {name: RowGroups(tmp / f"{name}.parquet", SCHEMA[name].arrow_schema(), chunk_size) for name in names}
        try:
            # Write one block in another thread while the next ones are drawn: all mostly run outside the GIL.
            with (
                tqdm(
                    total=plan.n_blocks, desc="synthetic data", unit="block", file=sys.stderr, disable=not progress
                ) as bar,
                ThreadPoolExecutor(max_workers=1) as writer,
            ):
                pending = None
                for tables in iter_blocks(config, names, block_people, threads=TABLE_THREADS):
                    if pending:
                        pending.result()
                        bar.update()
                    pending = writer.submit(_add_block, files, tables)
                    del tables
                if pending:
                    pending.result()
                    bar.update()
            for file in files.values():
                file.close()
        except BaseException:
            for file in files.values():  # let go of the files so the temporary folder can be removed
                with contextlib.suppress(Exception):
                    file.writer.close()
            raise
        rows = {name: file.rows for name, file in files.items()}
        manifest = _manifest(config, "parquet", rows, streamed_in_blocks_of=block_people)
        (tmp / MANIFEST).write_text(manifest, encoding="utf-8")
    return rows


def _add_block(files: dict[str, RowGroups], tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        files[name].add(table)
