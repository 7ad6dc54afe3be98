"""Segment the national-scale Shielded Patient List (2.2 million rows) into one file per local authority.

    .venv/bin/python benchmarks/bench_segmentation.py                 # generates the data first if needed
    .venv/bin/python benchmarks/bench_segmentation.py --data DIR      # use spl.parquet already in DIR

Prints wall time for each step and in total (target: under 20 seconds for segment and write), rows per second,
peak memory, and the result of the invariant check. Nothing here is asserted on time: figures go in the notes.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from playbook.segmentation import check_segmentation, segment, write_extracts


def ensure_data(folder: Path, people: int) -> Path:
    """Generate the national list with the project's generator unless spl.parquet is already there."""
    if not (folder / "spl.parquet").is_file():
        print(f"generating {people:,} people into {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "synthetic_data", "--people", str(people), "--out", str(folder),
                        "--format", "parquet", "--tables", "spl,local_authorities", "--quiet"], check=True)
    return folder


def spoil(spl: pd.DataFrame, share: float, seed: int = 7) -> None:
    """Damage a fixed share of rows in three ways a real feed goes wrong, in place."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(spl), size=int(len(spl) * share), replace=False)
    blank, unknown, postcode = np.array_split(rows, 3)
    spl.loc[blank, "la_code"] = None
    spl.loc[unknown, "la_code"] = "E99999999"
    spl.loc[postcode, "postcode"] = "NOT KNOWN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder holding spl.parquet and local_authorities.parquet")
    parser.add_argument("--people", type=int, default=2_200_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--key", default=None,
                        help="also send repeated values of this column to exceptions. Off by default: synthetic NHS "
                             "numbers stay in the 999 test range, which holds only 909,091 valid numbers, so at "
                             "2.2 million people they repeat and every repeat would (rightly) become an exception")
    parser.add_argument("--spoil", type=float, default=0.01,
                        help="share of rows given a blank or unknown authority code or a bad postcode, so the "
                             "exceptions path is timed too (default 0.01)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-seg-") as tmp:
        data = ensure_data(args.data or Path(tmp) / "national", args.people)
        codes = pq.read_table(data / "local_authorities.parquet", columns=["la_code"]).column(0).to_pylist()

        start = time.perf_counter()
        spl = pq.read_table(data / "spl.parquet").to_pandas()
        read = time.perf_counter()
        spoil(spl, args.spoil)  # set-up, not timed
        prepared = time.perf_counter()
        result = segment(spl, codes, key=args.key)
        segmented = time.perf_counter()
        manifest = write_extracts(result, Path(tmp) / "extracts", fmt=args.format)
        written = time.perf_counter()
        check_segmentation(spl, result)
        checked = time.perf_counter()

        files = sorted((Path(tmp) / "extracts").iterdir())
        size = sum(p.stat().st_size for p in files)
        work = written - prepared
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"rows in list:               {len(spl):,}")
        print(f"authorities with extracts:  {len(result.extracts)} (of {len(codes)} known)")
        print(f"exceptions:                 {len(result.exceptions):,} (spoiled {args.spoil:.1%} of rows; "
              f"duplicate check on: {args.key or 'none'})")
        print(f"files written:              {len(files)} ({args.format}, {size / 1e6:,.0f} MB, with manifest.csv)")
        print(f"read parquet:               {read - start:6.2f} s")
        print(f"segment:                    {segmented - prepared:6.2f} s")
        print(f"write files atomically:     {written - segmented:6.2f} s")
        print(f"segment + write:            {work:6.2f} s  (target < 20 s)  {len(spl) / work:,.0f} rows/s")
        print(f"read + segment + write:     {read - start + work:6.2f} s")
        print(f"invariant check:            passed in {checked - written:.2f} s")
        print(f"peak memory (max RSS):      {peak_mb:,.0f} MB")
        print(f"records in manifest:        {manifest['records'].sum():,}")


if __name__ == "__main__":
    main()
