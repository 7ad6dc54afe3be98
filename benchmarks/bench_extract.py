"""Benchmark: make each recipient's extract from a national-scale list (2.2 million people).

    .venv/bin/python benchmarks/bench_extract.py                 # generates the data into a temporary folder
    .venv/bin/python benchmarks/bench_extract.py --data DIR      # reuse a folder written by the generator
    .venv/bin/python benchmarks/bench_extract.py --people 100000 # a quicker run

Prints wall time and rows per second for each step. The target is under 10 seconds for an extract of 2.2 million
rows. Figures vary with the machine and whatever else is running on it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from playbook import minimisation, purpose


def generate(people: int, folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "synthetic_data", "--people", str(people), "--out", str(folder),
                    "--format", "parquet", "--tables", "spl,registrations", "--quiet"], check=True)


def timed(label: str, rows: int, func):
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:7.2f} s  {rows / seconds:>12,.0f} rows/s")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_200_000)
    parser.add_argument("--data", type=Path, help="folder already written by python -m synthetic_data")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        folder = args.data or Path(tmp) / "national"
        if args.data is None:
            start = time.perf_counter()
            generate(args.people, folder)
            print(f"generated {args.people:,} people in {time.perf_counter() - start:.1f} s")
        spl = pd.read_parquet(folder / "spl.parquet")
        registrations = pd.read_parquet(folder / "registrations.parquet")
        rows = len(spl)
        print(f"spl: {rows:,} rows; registrations: {len(registrations):,} rows")

        spec = purpose.load_builtin("shielding")
        service = timed("service records (join registrations)", rows,
                        lambda: minimisation.service_records(spl, registrations))
        service["uprn"] = pd.array([None] * rows, dtype="string")  # not on the list; see service_records
        first_council = service["local_authority_code"].dropna().min()
        for recipient in sorted(spec.recipients):
            partition = first_council if spec.recipients[recipient].partition_by else None
            extract = timed(f"extract: {recipient}", rows,
                            lambda: minimisation.make_extract(spec, recipient, service, partition=partition))
            counts = extract.counts()["rows"].to_dict()
            print(f"    in {counts['in']:,} = sent {counts['sent']:,} + outside the scope "
                  f"{counts['outside the scope']:,} + exceptions {counts['exceptions']:,}: "
                  f"{'balanced' if extract.balanced else 'NOT BALANCED'}")


if __name__ == "__main__":
    main()
