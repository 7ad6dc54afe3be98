"""Measuring linkage quality against ground truth, overall and for groups of people.

Real data never comes with its answers, but synthetic data does, and a clerical review of a sample gives the
same kind of answers for real data. A single overall figure hides who bears the errors: a linkage can be 99%
right overall and much worse for people who move often or whose names are spelt many ways. So every figure here
can be broken down by group.

Links are pairs (left id, right id). A left record with no true partner contributes nothing to recall; a
predicted link that is not a true link is a false match; a true link that was not predicted is a missed match.
"""

from __future__ import annotations

import pandas as pd


def _pairs(frame: pd.DataFrame, left: str, right: str, what: str) -> pd.DataFrame:
    missing = [c for c in (left, right) if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} has no column {', '.join(map(repr, missing))}; it has {', '.join(frame.columns)}")
    pairs = frame[[left, right]].dropna().drop_duplicates()
    return pairs.rename(columns={left: "left_id", right: "right_id"}).astype({"left_id": str, "right_id": str})


def _scores(tp: int, fp: int, fn: int) -> dict[str, int | float | None]:
    """Precision, recall and F1 from counts; None where the figure has nothing to measure (0/0)."""
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return {
        "true_matches_found": tp,
        "false_matches": fp,
        "missed_matches": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _marked(predicted: pd.DataFrame, truth: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    """Every predicted or true pair, marked as found (both), false (predicted only) or missed (true only)."""
    p = _pairs(predicted, left, right, "predicted links")
    t = _pairs(truth, left, right, "true links")
    both = p.merge(t, how="outer", on=["left_id", "right_id"], indicator=True)
    return both.assign(
        outcome=both["_merge"].map({"both": "found", "left_only": "false", "right_only": "missed"}).astype(str)
    ).drop(columns="_merge")


def evaluate(
    predicted: pd.DataFrame, truth: pd.DataFrame, left: str = "left_id", right: str = "right_id"
) -> dict[str, int | float | None]:
    """Precision, recall and F1 of predicted links against true links, with the counts behind them."""
    counts = _marked(predicted, truth, left, right)["outcome"].value_counts()
    return _scores(int(counts.get("found", 0)), int(counts.get("false", 0)), int(counts.get("missed", 0)))


def evaluate_by_group(
    predicted: pd.DataFrame, truth: pd.DataFrame, groups: pd.Series, left: str = "left_id", right: str = "right_id"
) -> pd.DataFrame:
    """The same figures for each group of left records (for example age band, sex or region).

    ``groups`` maps each left id (its index) to a group. A pair whose left record has no group is counted under
    "unknown" rather than dropped.
    """
    marked = _marked(predicted, truth, left, right)
    lookup = pd.Series(groups.to_numpy(), index=groups.index.astype(str))
    if lookup.index.duplicated().any():
        raise ValueError("groups: each left id must appear once in the index")
    marked["group"] = marked["left_id"].map(lookup).astype("string").fillna("unknown")
    rows = []
    for group, part in marked.groupby("group", sort=True):
        counts = part["outcome"].value_counts()
        rows.append(
            {
                "group": group,
                **_scores(int(counts.get("found", 0)), int(counts.get("false", 0)), int(counts.get("missed", 0))),
            }
        )
    columns = ["group", "true_matches_found", "false_matches", "missed_matches", "precision", "recall", "f1"]
    return pd.DataFrame(rows, columns=columns)
