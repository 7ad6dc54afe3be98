"""The national linkage on DuckDB and on a local Spark session, side by side, and the generator at population scale.

    .venv/bin/python benchmarks/bench_spark.py                       # national scale: 2,200,000 on the list
    .venv/bin/python benchmarks/bench_spark.py --people 100000       # a quick check
    .venv/bin/python benchmarks/bench_spark.py --population          # also generate 56,000,000 people (minutes)
    .venv/bin/python benchmarks/bench_spark.py --population --no-linkage   # only the generator at population scale

Steps, each measured on its own:

1. generate the synthetic data with ``python -m synthetic_data`` into a temporary folder (not counted);
2. link registrations to the list with the linker's command line, each run in a child process exactly as a user
   would run it: ``--engine duckdb``, ``--engine spark`` (each training its own model), and ``--engine spark
   --model`` with the model DuckDB trained (the same model on the other engine);
3. mark each run's matches against the generator's ground truth (precision, recall, F1), and count the matches
   each shares with DuckDB's;
4. with ``--population``: ``python -m synthetic_data --people 56000000`` in a child process.

Peak memory is given two ways: the maximum resident set size from ``wait4`` (one process: right for DuckDB), and
the largest sum over the whole process tree, sampled every 0.2 seconds (Spark runs in a Java process that the
Python process starts, so ``wait4`` alone would miss most of it).

Every heavy step holds ``/tmp/bench.lock`` (the lock ``flock /tmp/bench.lock`` takes), so benchmarks started by
other people on this machine wait rather than run at the same time and distort the figures. Do not run this script
itself under ``flock /tmp/bench.lock``: it would wait for itself.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_linkage import mapping, show, true_links  # noqa: E402
from playbook import evaluation  # noqa: E402

LOCK = "/tmp/bench.lock"
POPULATION = 56_000_000  # people in England, roughly


@contextlib.contextmanager
def bench_lock():
    """Hold the machine's benchmark lock (the same lock as ``flock /tmp/bench.lock``) while a heavy step runs."""
    with open(LOCK, "a") as handle:
        started = time.perf_counter()
        fcntl.flock(handle, fcntl.LOCK_EX)
        waited = time.perf_counter() - started
        if waited > 1:
            print(f"(waited {waited:.0f} s for {LOCK})")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tree_rss(pid: int) -> int:
    """Bytes resident in a process and all its descendants now."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def run_measured(command: list[str]) -> dict:
    """Run a command under the lock: wall time (s), peak memory (GiB) by ``wait4`` and by the process tree, code."""
    with bench_lock():
        start = time.perf_counter()
        child = subprocess.Popen(command)
        peak, done = [0], threading.Event()

        def sample():
            while not done.wait(0.2):
                peak[0] = max(peak[0], tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        return {"seconds": time.perf_counter() - start, "wait4_gib": usage.ru_maxrss / 1024 ** 2,
                "tree_gib": peak[0] / 1024 ** 3, "code": child.returncode}


RUNS = {  # name: engine, and whether it scores with the model DuckDB trained instead of training its own
    "duckdb": ("duckdb", False),
    "spark": ("spark", False),
    "spark-duckdb-model": ("spark", True),
}


def link(name: str, folder: Path, temp: Path, seed: int) -> dict:
    """The linker's command line on one engine, measured."""
    engine, reuse = RUNS[name]
    print(f"\n--- {name}: linking (the linker prints its step timings below)", flush=True)
    model = ["--model", str(temp / "duckdb" / "model.json")] if reuse else []
    return run_measured([
        sys.executable, "-m", "playbook.splink_linker", "--left", str(folder / "registrations.parquet"),
        "--right", str(folder / "spl.parquet"), "--map-left", mapping("registration_id"),
        "--map-right", mapping("spl_row_id"), "--out", str(temp / name), "--seed", str(seed), "--quiet",
        "--timings", "--engine", engine, *model])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2_200_000, help="people on the list (default 2,200,000)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--data", help="reuse a folder already written by python -m synthetic_data")
    parser.add_argument("--population", action="store_true",
                        help=f"also time the generator at population scale ({POPULATION:,} people; minutes, ~10 GB)")
    parser.add_argument("--runs", default=",".join(RUNS),
                        help=f"linkage runs, comma separated, from {', '.join(RUNS)} (default all; "
                             "spark-duckdb-model needs duckdb first)")
    parser.add_argument("--no-linkage", action="store_true", help="skip the linkage (with --population)")
    parser.add_argument("--scratch", help="folder for temporary files (default the system's temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_spark_", dir=args.scratch) as temp:
        temp = Path(temp)
        folder = Path(args.data) if args.data else temp / "data"
        if not args.no_linkage:
            code = national(args, folder, temp)
            if code:
                return code
        if args.population:
            return population(args, temp)
    return 0


def national(args, folder: Path, temp: Path) -> int:
    """Generate (unless given) the national data, link it on each engine and print the figures side by side."""
    python = sys.executable
    if not args.data:
        made = run_measured([python, "-m", "synthetic_data", "--people", str(args.people), "--seed",
                             str(args.seed), "--out", str(folder), "--format", "parquet", "--tables",
                             "spl,registrations,truth", "--quiet"])
        if made["code"]:
            return made["code"]
        print(f"generated {args.people:,} people in {made['seconds']:.1f} s (not counted)")
    n_left = len(pd.read_parquet(folder / "registrations.parquet", columns=["registration_id"]))
    n_right = len(pd.read_parquet(folder / "spl.parquet", columns=["spl_row_id"]))
    print(f"linking {n_left:,} registrations against {n_right:,} list rows on {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 1024 ** 3:.0f} GiB")

    truth = true_links(folder)
    runs, found = {}, {}
    for name in args.runs.split(","):
        runs[name] = link(name, folder, temp, args.seed)
        if runs[name]["code"]:
            print(f"{name} failed with exit code {runs[name]['code']}")
            return runs[name]["code"]
        found[name] = pd.read_parquet(temp / name / "matches.parquet")
        runs[name]["scores"] = evaluation.evaluate(found[name], truth)

    print("\nrun                  wall time   peak memory (wait4 / process tree)")
    for name, run in runs.items():
        print(f"{name:<20} {run['seconds']:7.1f} s   {run['wait4_gib']:.2f} GiB / {run['tree_gib']:.2f} GiB")
    for name, run in runs.items():
        show(name, run["scores"])
    for name in [n for n in runs if n != "duckdb" and "duckdb" in runs]:
        both = found["duckdb"].merge(found[name], on=["left_id", "right_id"])
        print(f"{name}: {runs[name]['seconds'] / runs['duckdb']['seconds']:.1f} times duckdb's wall time; "
              f"F1 {runs[name]['scores']['f1']:.4f} against duckdb's {runs['duckdb']['scores']['f1']:.4f}; "
              f"matches shared with duckdb {len(both):,} of {len(found['duckdb']):,} and {len(found[name]):,}")
    return 0


def population(args, temp: Path) -> int:
    """The generator at population scale, measured; its output is deleted with the temporary folder."""
    python = sys.executable
    print(f"\n--- generating {POPULATION:,} people (all tables)", flush=True)
    made = run_measured([python, "-m", "synthetic_data", "--people", str(POPULATION), "--seed",
                         str(args.seed), "--out", str(temp / "population"), "--quiet"])
    if made["code"]:
        return made["code"]
    size = sum(f.stat().st_size for f in (temp / "population").rglob("*") if f.is_file())
    print(f"population-scale generator: wall time {made['seconds']:.0f} s ({made['seconds'] / 60:.1f} min), "
          f"peak memory {made['wait4_gib']:.2f} GiB (wait4) / {made['tree_gib']:.2f} GiB (process tree), "
          f"{size / 1024 ** 3:.1f} GiB written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
