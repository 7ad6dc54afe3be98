"""Write the tables to a folder, all or nothing.

Everything is written into a temporary folder beside the target and moved into place only when every table has
passed its safety checks and been written, so a failure never leaves a half-written folder. An existing target
is replaced only if it is empty or was written by this generator (it holds our ``manifest.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
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
from .schema import TABLES

FORMATS = ("csv", "parquet")
MANIFEST = "manifest.json"
GENERATOR_NAME = "synthetic_data"


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


def _is_ours(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            return json.loads(manifest.read_text(encoding="utf-8")).get("generator") == GENERATOR_NAME
        except (ValueError, OSError):
            return False
    return not any(folder.iterdir())


def _check_target(out: Path) -> None:
    if not out.parent.is_dir():
        raise OutputError(f"cannot write to {out}: the folder {out.parent} does not exist")
    if out.exists() and not _is_ours(out):
        raise OutputError(f"refusing to replace {out}: it is not empty and was not written by {GENERATOR_NAME}")
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"cannot write to {out}: no permission to write in {out.parent}")


def _manifest(config: Config, fmt: str, rows: dict[str, int]) -> str:
    content = {"generator": GENERATOR_NAME, "faker": faker.VERSION, "format": fmt, "seed": config.seed,
               "spl_people": config.spl_people, "rows": rows}
    return json.dumps(content, indent=2, sort_keys=True) + "\n"


def _move_into_place(tmp: Path, out: Path) -> None:
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def write_tables(config: Config, out, fmt: str = "csv", names=TABLES, progress: bool = True) -> dict[str, int]:
    """Generate, check and write the named tables to folder ``out``; return their row counts."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}: choose csv or parquet")
    out = Path(os.path.abspath(out))
    _check_target(out)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    except OSError as error:
        raise OutputError(f"cannot write to {out}: {error.strerror}") from error
    rows = {}
    try:
        with tqdm(total=len(names) + 1, desc="synthetic data", unit="step", file=sys.stderr,
                  disable=not progress) as bar:
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
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the result is ordinary data
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return rows
