"""Write the tables to a folder, all or nothing.

Everything is written into a temporary folder beside the target and moved into place only when every table has
passed its safety checks and been written, so a failure never leaves a half-written folder. An existing target
is replaced only if every file in it is one this generator wrote (its ``manifest.json`` lists the tables), so a
file a person added is never deleted. Temporary folders are named ``.<target>.synthetic_data-<process id>-…``, so
a later run can recognise and remove those a killed run left behind. The folder rules and the table writer are
:mod:`outbox`, shared with ``playbook``; ``outbox`` imports nothing from either package (decision 0007).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faker
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

import outbox
from outbox import shorten

from .config import Config
from .generator import build_world, iter_tables
from .schema import SCHEMA, TABLES
from .stream import BLOCK_PEOPLE, Plan, iter_blocks

FORMATS = outbox.FORMATS
MANIFEST = "manifest.json"
GENERATOR_NAME = "synthetic_data"
CHUNK_SIZE = 1_000_000
"""Rows per Parquet row group in streamed output: large enough for fast reading, small enough for memory."""
TABLE_THREADS = 2
"""Threads that build and check a block's tables while the next block is drawn (see ``stream.iter_blocks``)."""


class OutputError(Exception):
    """The output folder cannot be used; the message says why and what to do."""


write_table = outbox.write_table  # one table writer for every delivery; tests replace it here


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


def _check_target(out: Path) -> None:
    """Refuse, in the generator's words, a target whose folder is missing, read-only, or that is a file."""
    if not out.parent.is_dir():
        problem = "is a file, not a folder" if out.parent.exists() else "does not exist"
        raise OutputError(f"cannot write to {shorten(out)}: the folder {shorten(out.parent)} {problem}")
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"cannot write to {shorten(out)}: no permission to write in {shorten(out.parent)}")
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write to {shorten(out)}: it is a file, not a folder; choose a folder")


def _manifest(config: Config, fmt: str, rows: dict[str, int], **extra: object) -> str:
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


@contextlib.contextmanager
def _replacing(out: Path | str) -> Iterator[Path]:
    """A temporary folder beside ``out`` that takes its place only if the body finishes (:mod:`outbox`), replacing
    only this generator's own earlier output."""
    out = Path(os.path.abspath(out))
    stack = contextlib.ExitStack()
    try:
        _check_target(out)
        tmp = stack.enter_context(outbox.replacing(out, tag=GENERATOR_NAME, replace=True, owned=_written_before))
    except outbox.FolderRefused as refused:
        raise OutputError(str(refused)) from None
    except OSError as error:
        raise OutputError(f"cannot write to {shorten(out)}: {error.strerror or error}") from error
    with stack:
        yield tmp


def write_tables(
    config: Config, out: Path | str, fmt: str = "csv", names: Sequence[str] = TABLES, progress: bool = True
) -> dict[str, int]:
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
    out: Path | str,
    names: Sequence[str] = TABLES,
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
