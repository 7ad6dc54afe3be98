"""Link national-scale registrations against a 2.2-million-row Shielded Patient List and print what it cost.

    .venv/bin/python benchmarks/bench_linkage.py              # national scale, about 2 minutes of linkage
    .venv/bin/python benchmarks/bench_linkage.py --people 100000

Steps, each measured on its own:

1. generate the synthetic data with ``python -m synthetic_data`` into a temporary folder (not counted);
2. link registrations to the list with the general linker's command line, exactly as a user would run it
   (``python -m playbook.splink_linker``), in a child process so its wall time and peak memory (maximum resident
   set size, from ``wait4``) are its own;
3. mark the matches against the generator's ground truth: precision, recall and F1;
4. the naive alternative: a pandas exact merge on given name, family name, date of birth and postcode, timed and
   marked the same way.

Goals on a 2-core machine: linkage at most 120 s and 8 GiB, F1 at least 0.998.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playbook import evaluation  # noqa: E402
from playbook import splink_linker as sl  # noqa: E402

ROLES = {"identifier": "nhs_number", "given_name": "given_name", "family_name": "family_name",
         "date_of_birth": "date_of_birth", "postcode": "postcode", "address": "address_line_1"}
NAIVE_KEYS = ["given_name", "family_name", "date_of_birth", "postcode"]


def run_child(command: list[str]) -> tuple[float, float, int]:
    """Run a command; return its wall time (s), peak memory (GiB) and exit code."""
    start = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024 ** 2, child.returncode


def mapping(record_id: str) -> str:
    return ",".join(f"{role}={column}" for role, column in {"record_id": record_id, **ROLES}.items())


def true_links(folder: Path) -> pd.DataFrame:
    truth = pd.read_parquet(folder / "truth.parquet", columns=["source_table", "source_id", "spl_row_id"])
    truth = truth[(truth["source_table"] == "registrations") & truth["spl_row_id"].notna()]
    return pd.DataFrame({"left_id": truth["source_id"].astype(str),
                         "right_id": truth["spl_row_id"].astype("int64").astype(str)})


def pairs_completeness(folder: Path, truth: pd.DataFrame) -> float:
    """The share of true pairs that pass a blocking rule: the recall the linker could reach at most."""
    ready = []
    for name, record_id in (("registrations", "registration_id"), ("spl", "spl_row_id")):
        roles = {"record_id": record_id, **ROLES}
        frame = pd.read_parquet(folder / f"{name}.parquet", columns=sl.mapped_columns(roles))
        records, _ = sl.prepare(frame, roles, name)
        ready.append(pd.concat([records, sl.blocking_keys(records)], axis=1))
    return sl.pairs_completeness(ready[0], ready[1], truth, list(ROLES))


def naive_merge(folder: Path) -> tuple[float, pd.DataFrame]:
    """What a user might write first: exact equality on four fields as typed."""
    start = time.perf_counter()
    registrations = pd.read_parquet(folder / "registrations.parquet", columns=["registration_id", *NAIVE_KEYS])
    spl = pd.read_parquet(folder / "spl.parquet", columns=["spl_row_id", *NAIVE_KEYS])
    merged = registrations.merge(spl, on=NAIVE_KEYS, how="inner")
    seconds = time.perf_counter() - start
    return seconds, merged.rename(columns={"registration_id": "left_id", "spl_row_id": "right_id"})


def show(label: str, scores: dict) -> None:
    print(f"{label:<34} precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  F1 {scores['f1']:.4f}"
          f"  (found {scores['true_matches_found']:,}, false {scores['false_matches']:,}, "
          f"missed {scores['missed_matches']:,})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2_200_000, help="people on the list (default 2,200,000)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--data", help="reuse a folder already written by python -m synthetic_data")
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench_linkage_") as temp:
        temp = Path(temp)
        folder = Path(args.data) if args.data else temp / "data"
        if not args.data:
            seconds, peak, code = run_child([python, "-m", "synthetic_data", "--people", str(args.people),
                                             "--seed", str(args.seed), "--out", str(folder), "--format",
                                             "parquet", "--tables", "spl,registrations,truth", "--quiet"])
            if code:
                return code
            print(f"generated data in {seconds:.1f} s (not counted)")
        n_left = len(pd.read_parquet(folder / "registrations.parquet", columns=["registration_id"]))
        n_right = len(pd.read_parquet(folder / "spl.parquet", columns=["spl_row_id"]))
        print(f"linking {n_left:,} registrations against {n_right:,} list rows on {os.cpu_count()} cores")

        out = temp / "linked"
        seconds, peak, code = run_child([
            python, "-m", "playbook.splink_linker", "--left", str(folder / "registrations.parquet"),
            "--right", str(folder / "spl.parquet"), "--map-left", mapping("registration_id"),
            "--map-right", mapping("spl_row_id"), "--out", str(out), "--seed", str(args.seed), "--quiet",
            "--timings"])
        if code:
            return code
        truth = true_links(folder)
        ours = evaluation.evaluate(pd.read_parquet(out / "matches.parquet"), truth)
        naive_seconds, naive = naive_merge(folder)
        theirs = evaluation.evaluate(naive, truth)

        print(f"general linker (Splink + DuckDB)   wall time {seconds:.1f} s, peak memory {peak:.2f} GiB")
        show("general linker", ours)
        print(f"naive pandas exact merge           wall time {naive_seconds:.1f} s")
        show("naive exact merge", theirs)
        print(f"recall: ours {ours['recall']:.4f} against naive {theirs['recall']:.4f}")
        print(f"pairs completeness (true pairs that pass a blocking rule): {pairs_completeness(folder, truth):.4f}")
        goals = {"time <= 120 s": seconds <= 120, "memory <= 8 GiB": peak <= 8, "F1 >= 0.998": ours["f1"] >= 0.998}
        print("goals: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in goals.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
