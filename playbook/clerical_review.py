"""Clerical review: the pairs a person should look at, and their decisions fed back into the final matches.

No threshold is right for every pair. The linker writes ``review.csv``: every pair whose match probability falls
in a band around the threshold, with the two records side by side and the evidence for and against, grouped by
left record so that competing candidates sit together. A reviewer writes ``match`` or ``not a match`` in the
``decision`` column of the pairs they have checked (blank means not reviewed yet), then::

    python -m playbook.clerical_review --linked linked/ --decisions review.csv --out reviewed_matches.csv

The reviewed matches are the linker's matches with every decision applied: a pair marked ``match`` becomes its
left record's match; a pair marked ``not a match`` is never chosen, so its left record falls back to its next
best candidate at or above the threshold, if any.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from playbook.safe_names import shorten

if TYPE_CHECKING:
    from splink import Linker
    from splink.internals.splink_dataframe import SplinkDataFrame

REVIEW_BAND = (0.2, 0.99)  # match probabilities: wide enough to hold the near misses on both sides of the threshold
ACCEPT = {"match", "yes", "y", "accept", "accepted", "same person"}
REJECT = {"not a match", "no", "n", "reject", "rejected", "different people", "not match"}


class ReviewError(ValueError):
    """A decisions file or linked folder that cannot be used; the message names the file, row and what to do."""


def review_pairs(
    linker: Linker,
    predictions: SplinkDataFrame,
    matches: pd.DataFrame,
    roles: Collection[str],
    band: Sequence[float] = REVIEW_BAND,
) -> pd.DataFrame:
    """The pairs to review: match probability within ``band``, records side by side, evidence for and against.

    ``predictions`` is Splink's scored table (kept with its intermediate columns). Works on any Splink engine,
    because it asks the linker, not a database connection, for the rows.
    """
    lower, upper = band
    table = predictions.physical_name
    rows = linker.misc.query_sql(
        f"SELECT * FROM {table} WHERE match_probability >= {float(lower)} AND match_probability <= {float(upper)}",
        output_type="pandas",
    )
    flipped = rows["source_dataset_l"] != "left_records"
    for column in [c for c in rows.columns if c.endswith("_l")]:
        twin = column[:-2] + "_r"
        if twin in rows:
            rows.loc[flipped, [column, twin]] = rows.loc[flipped, [twin, column]].to_numpy()
    out = pd.DataFrame(
        {
            "left_id": rows["unique_id_l"].astype("string"),
            "right_id": rows["unique_id_r"].astype("string"),
            "match_probability": rows["match_probability"].round(4),
            "match_weight": rows["match_weight"].round(2),
        }
    )
    chosen = set(zip(matches["left_id"].astype(str), matches["right_id"].astype(str), strict=True))
    out["linker_chose"] = [
        "yes" if pair in chosen else "no" for pair in zip(out["left_id"], out["right_id"], strict=True)
    ]
    for role in roles:
        out[f"{role} (left)"] = rows.get(f"{role}_l")
        out[f"{role} (right)"] = rows.get(f"{role}_r")
    evidence = [_evidence(linker, row) for row in rows.to_dict("records")]
    out["evidence for"] = [e[0] for e in evidence]
    out["evidence against"] = [e[1] for e in evidence]
    out["decision"] = ""
    best = out.groupby("left_id")["match_probability"].transform("max")
    out = out.assign(_best=best).sort_values(["_best", "left_id", "match_probability"], ascending=[False, True, False])
    return out.drop(columns="_best").reset_index(drop=True)


def _evidence(linker: Linker, row: dict[str, Any]) -> tuple[str, str]:
    """Each comparison's level and weight in bits (term frequency included), split into for and against."""
    found = []
    for comparison in linker._settings_obj.comparisons:
        name = comparison.output_column_name
        gamma = row.get(f"gamma_{name}")
        level = next((lv for lv in comparison.comparison_levels if lv.comparison_vector_value == gamma), None)
        if level is None or level.is_null_level:
            continue
        weight = sum(float(row.get(column) or 0) for column in (f"mw_{name}", f"mw_tf_adj_{name}"))
        found.append((weight, f"{name}: {level.label_for_charts}"))
    found.sort(reverse=True)
    pro = "; ".join(f"{label} ({weight:+.1f})" for weight, label in found if weight > 0)
    con = "; ".join(f"{label} ({weight:+.1f})" for weight, label in sorted(found) if weight <= 0)
    return pro, con


def read_decisions(path: Path | str, pairs: pd.DataFrame) -> pd.DataFrame:
    """The reviewed rows of a decisions file as left_id, right_id and accepted (True or False).

    Refuses, naming the row, a decision it cannot read, a pair the linker never scored, and two ``match``
    decisions for one left record (best match per left record allows one).
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise ReviewError(
            f"{path}: cannot read it as CSV ({shorten(str(error), 80)}). Give the review.csv the "
            "linker wrote, with the decision column filled in."
        ) from error
    missing = {"left_id", "right_id", "decision"} - set(table.columns)
    if missing:
        raise ReviewError(f"{path}: no column {', '.join(sorted(missing))}. Use the review.csv the linker wrote.")
    table["decision"] = table["decision"].str.strip().str.lower()
    table["row"] = range(2, len(table) + 2)  # the line number a spreadsheet shows, after the header
    table = table[table["decision"] != ""]
    unknown = table[~table["decision"].isin(ACCEPT | REJECT)]
    if not unknown.empty:
        first = unknown.iloc[0]
        raise ReviewError(
            f"{path}: row {first['row']}: decision {shorten(repr(first['decision']), 40)} is not "
            "'match' or 'not a match'. Write one of those, or leave it blank."
        )
    scored = set(zip(pairs["left_id"].astype(str), pairs["right_id"].astype(str), strict=True))
    strangers = [row for row in table.itertuples() if (row.left_id, row.right_id) not in scored]
    if strangers:
        listed = ", ".join(f"row {r.row} ({r.left_id}, {r.right_id})" for r in strangers[:3])
        raise ReviewError(
            f"{path}: {len(strangers)} reviewed pair(s) are not in this linkage's scored pairs: "
            f"{listed}. Use the review.csv from the same run as --linked."
        )
    table["accepted"] = table["decision"].isin(ACCEPT)
    doubled = table[table["accepted"]].duplicated("left_id", keep=False)
    if doubled.any():
        left_id = table[table["accepted"]][doubled]["left_id"].iloc[0]
        raise ReviewError(
            f"{path}: left record {left_id} is marked 'match' with more than one right record. "
            "Each left record can have one match: keep the right one and mark the others "
            "'not a match'."
        )
    return table[["left_id", "right_id", "accepted"]].reset_index(drop=True)


def apply_decisions(pairs: pd.DataFrame, decisions: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The best match per left record after the reviewer's decisions, each marked as decided by model or reviewer."""
    from playbook.splink_linker import best_match_per_left

    keys = pairs["left_id"].astype(str) + "\x1f" + pairs["right_id"].astype(str)
    decided = decisions["left_id"] + "\x1f" + decisions["right_id"]
    rejected = set(decided[~decisions["accepted"]])
    accepted = decisions[decisions["accepted"]]
    model = best_match_per_left(pairs[~keys.isin(rejected)], threshold)
    model = model[~model["left_id"].astype(str).isin(set(accepted["left_id"]))].assign(decided_by="model")
    reviewer = pairs[keys.isin(set(decided[decisions["accepted"]]))].assign(decided_by="reviewer")
    final = pd.concat([model, reviewer], ignore_index=True)
    return final.sort_values("left_id").reset_index(drop=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playbook.clerical_review", description=__doc__.split("\n")[0])
    parser.add_argument("--linked", required=True, help="the linker's output folder (holds scored_pairs.parquet)")
    parser.add_argument("--decisions", required=True, help="review.csv with the decision column filled in")
    parser.add_argument("--out", required=True, help="CSV file for the reviewed matches")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    try:
        linked, out = Path(args.linked), Path(args.out)
        try:
            pairs = pd.read_parquet(linked / "scored_pairs.parquet")
            threshold = json.loads((linked / "summary.json").read_text(encoding="utf-8"))["threshold"]
        except (OSError, ValueError, KeyError) as error:
            raise ReviewError(
                f"{linked}: not a linker output folder ({shorten(str(error), 80)}). Give the --out "
                "folder of python -m playbook.splink_linker."
            ) from error
        if out.exists() and not args.overwrite:
            raise ReviewError(f"{out}: already exists. Choose a new file, or pass --overwrite to replace it.")
        final = apply_decisions(pairs, read_decisions(args.decisions, pairs), threshold)
        handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent if str(out.parent) else ".")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
                final.to_csv(file, index=False)
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except (ReviewError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    counts = final["decided_by"].value_counts()
    print(
        f"{len(final)} matches written to {out}: {counts.get('model', 0)} by the model, "
        f"{counts.get('reviewer', 0)} by the reviewer."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
