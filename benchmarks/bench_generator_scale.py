"""Generate a population-scale synthetic data set and print what it cost: wall time and peak memory.

    .venv/bin/python benchmarks/bench_generator_scale.py                        # 56,000,000 people, about 10 GB
    .venv/bin/python benchmarks/bench_generator_scale.py --people 1000000 10000000 56000000

Each size runs ``python -m synthetic_data --people N --out FOLDER`` exactly as a user would, in a child process,
so its wall time and peak memory (maximum resident set size, from ``wait4``) are its own. Above 20,000,000 people
the generator streams by itself; smaller sizes are streamed with ``--stream`` so that the sizes compare like with
like. The output goes to a temporary folder (under --scratch if given) and is deleted afterwards.

Goal on a 2-core machine: 56,000,000 people in at most 12 minutes and 4 GiB, with peak memory flat as the
population grows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 12 * 60
GOAL_GIB = 4.0


def run_child(command: list[str]) -> tuple[float, float, float, int]:
    """Run a command; return its wall time (s), processor time (s, user and system), peak memory (GiB) and exit
    code."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu, usage.ru_maxrss / 1024 ** 2, os.waitstatus_to_exitcode(status)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def measure(people: int, scratch: str | None, chunk_size: int | None) -> dict:
    """Generate ``people`` into a temporary folder, measure, delete; return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-generator-", dir=scratch) as tmp:
        out = Path(tmp) / "data"
        command = [sys.executable, "-m", "synthetic_data", "--people", str(people), "--stream", "--out", str(out),
                   "--quiet"] + (["--chunk-size", str(chunk_size)] if chunk_size else [])
        before = os.getloadavg()[0]
        seconds, cpu, peak, code = run_child(command)
        after = os.getloadavg()[0]
        if code != 0:
            raise SystemExit(f"the generator failed with exit code {code} at {people:,} people")
        rows = json.loads((out / "manifest.json").read_text())["rows"]
        size = folder_size(out)
        shutil.rmtree(out)
    return {"people": people, "seconds": seconds, "cpu": cpu, "peak_gib": peak, "rows": sum(rows.values()), "bytes": size,
            "load": (before, after)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[56_000_000],
                        help="people on the list, one run per size (default 56,000,000)")
    parser.add_argument("--chunk-size", type=int, help="rows per Parquet row group (default: the generator's)")
    parser.add_argument("--scratch", help="folder for the temporary output (default: the system's temporary folder)")
    args = parser.parse_args(argv)
    print(f"{'people on list':>15} {'wall':>9} {'processor':>10} {'peak memory':>12} {'rows written':>14} "
          f"{'on disk':>9} {'rows/s':>10}  load before/after")
    results = []
    for people in args.people:
        r = measure(people, args.scratch, args.chunk_size)
        results.append(r)
        print(f"{people:>15,} {r['seconds']:>8.1f}s {r['cpu']:>9.1f}s {r['peak_gib']:>8.2f} GiB {r['rows']:>14,} "
              f"{r['bytes'] / 1e9:>6.2f} GB {r['rows'] / r['seconds']:>10,.0f}  {r['load'][0]:.1f}/{r['load'][1]:.1f}",
              flush=True)
    largest = max(results, key=lambda r: r["people"])
    met = largest["seconds"] <= GOAL_SECONDS and largest["peak_gib"] <= GOAL_GIB
    print(f"goal at {largest['people']:,} people: at most {GOAL_SECONDS // 60} minutes and {GOAL_GIB:.0f} GiB: "
          f"{'met' if met else 'NOT met'}")
    print("processor time is user plus system time over all threads. A load average above the number of cores "
          f"({os.cpu_count()}) means other work competed for them, and wall time is longer than on a quiet machine.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
