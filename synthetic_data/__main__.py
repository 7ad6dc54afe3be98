"""Command line: python -m synthetic_data --help."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import NoReturn

from . import TEACHING_DIR
from .config import TEACHING, Config
from .output import CHUNK_SIZE, FORMATS, OutputError, shorten, write_streamed, write_tables
from .safety import UnsafeDataError
from .schema import TABLES
from .stream import BLOCK_PEOPLE

PROG = "python -m synthetic_data"
CSV_UP_TO = 100_000
STREAM_ABOVE = 20_000_000  # the old largest size: every size up to it gives the same data as before unless --stream
MAX_PEOPLE = 100_000_000  # a little above the UK population; the UPRN range allows about 150 million


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as a single line, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _people(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--people must be a whole number, not {text!r}") from None
    if not 1 <= value <= MAX_PEOPLE:
        raise argparse.ArgumentTypeError(f"--people must be between 1 and {MAX_PEOPLE:,}, not {value:,}")
    return value


def _chunk_size(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--chunk-size must be a whole number of rows, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--chunk-size must be at least 1 row, not {value:,}")
    return value


def _tables(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [n for n in names if n not in TABLES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown table {', '.join(unknown) or '(none given)'}: choose from {', '.join(TABLES)}"
        )
    return tuple(t for t in TABLES if t in names)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the temporary folder is removed on the way out."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    def stop(signum: int, frame: FrameType | None) -> NoReturn:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _steady_allocator() -> None:
    """Use jemalloc for Arrow memory when it is built in: it reuses memory from block to block, where the default
    allocator hands it back and asks again, which cost about a tenth of a streamed run's time in system calls."""
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc: keep the default
        pass


def _describe(error: BaseException) -> str:
    """One line for an error, long values shortened."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {shorten(error.filename)}" if error.filename else "")
    return " ".join(str(error).split())


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="Write linked synthetic shielding data (people, spl, registrations, addresses, "
        "local_authorities, supermarket_customers, truth) from one seed. Identifiers are provably not real.",
        epilog="Examples: '--teaching' rewrites the committed teaching data; "
        "'--people 2200000 --out /tmp/national' writes national scale as Parquet; "
        "'--people 56000000 --out /tmp/england' streams a population the size of England's. "
        "Streamed output is one Parquet file per table (people.parquet, spl.parquet, ...), each in row groups "
        "of --chunk-size rows, with manifest.json beside them: the same files a run in memory writes.",
    )
    p.add_argument(
        "--people",
        type=_people,
        help="people on the Shielded Patient List; the real list held about "
        f"2,200,000 (2200000 = national scale). Default {TEACHING.spl_people:,}.",
    )
    p.add_argument("--seed", type=int, help=f"random seed (default {TEACHING.seed})")
    p.add_argument("--out", help="folder to write; replaced whole if every file in it was written by this generator")
    p.add_argument(
        "--format",
        choices=FORMATS,
        help=f"file format; default csv for up to {CSV_UP_TO:,} people (small sizes), parquet above that",
    )
    p.add_argument("--tables", type=_tables, help=f"comma-separated tables to write (default all: {','.join(TABLES)})")
    p.add_argument(
        "--teaching",
        action="store_true",
        help="regenerate the committed teaching data exactly "
        f"(seed {TEACHING.seed}, {TEACHING.spl_people:,} people, csv, all tables) into "
        "synthetic_data/teaching, or into --out if given",
    )
    p.add_argument(
        "--stream",
        action="store_true",
        help=f"generate in fixed blocks of {BLOCK_PEOPLE:,} people on "
        "the list and write each block as soon as it is drawn, so memory stays flat at any size "
        f"(Parquet only). Automatic above {STREAM_ABOVE:,} people. The data is as valid as an "
        "unstreamed run's but not the same; it is the same whatever the chunk size",
    )
    p.add_argument(
        "--chunk-size",
        type=_chunk_size,
        help=f"rows per Parquet row group in each table when "
        f"streaming (default {CHUNK_SIZE:,}). It changes how the files are cut, never what they hold; "
        "smaller chunks use less memory",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.teaching:
        clashes = [
            f"--{name.replace('_', '-')}"
            for name in ("people", "seed", "format", "tables", "chunk_size")
            if getattr(args, name) is not None
        ] + ["--stream"] * args.stream
        if clashes:
            p.error(f"--teaching fixes the settings; it cannot be combined with {', '.join(clashes)}")
        config, fmt, out, names = TEACHING, "csv", args.out or TEACHING_DIR, TABLES
        stream = False
    else:
        if args.out is None:
            p.error("--out is required (or use --teaching)")
        try:
            config = dataclasses.replace(
                Config(), **{k: v for k, v in (("spl_people", args.people), ("seed", args.seed)) if v is not None}
            )
        except ValueError as error:
            p.error(str(error))
        stream = args.stream or config.spl_people > STREAM_ABOVE
        if stream and args.format == "csv":
            p.error(
                f"streamed output is Parquet only (streaming is used above {STREAM_ABOVE:,} people or with "
                "--stream); leave out --format csv"
            )
        if args.chunk_size is not None and not stream:
            p.error(f"--chunk-size applies only when streaming: add --stream (automatic above {STREAM_ABOVE:,} people)")
        fmt = args.format or ("csv" if config.spl_people <= CSV_UP_TO and not stream else "parquet")
        out, names = args.out, args.tables or TABLES
    try:
        with _terminate_as_interrupt():
            if stream:
                _steady_allocator()
                rows = write_streamed(config, out, names, args.chunk_size or CHUNK_SIZE, progress=not args.quiet)
            else:
                rows = write_tables(config, out, fmt, names, progress=not args.quiet)
    except OutputError as error:  # the folder asked for cannot be used: bad input
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except (UnsafeDataError, OSError) as error:
        print(f"{PROG}: error: {_describe(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print(f"{PROG}: interrupted; no partial output was left", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    if not args.quiet:
        print(f"wrote {', '.join(f'{n} ({r:,} rows)' for n, r in rows.items())} to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
