"""Record linkage you can follow by hand: a deterministic rule cascade and Fellegi–Sunter match weights.

The cascade is what most teams write first: try the strongest rule, then weaker ones on what is left, and label
every match with the rule that made it so a reviewer can see why two records were joined. The Fellegi–Sunter
helpers show the arithmetic that Splink automates: how much each agreement or disagreement says about whether
two records are the same person, added up into one score that a threshold turns into a decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from playbook import identifiers

NO_MATCH = "no match"


@dataclass(frozen=True)
class Rule:
    """One step of a cascade: records link when every key column agrees exactly and none is missing."""

    name: str
    keys: tuple[str, ...]


DEFAULT_CASCADE = (
    Rule("NHS number", ("nhs_number",)),
    Rule("name, date of birth and postcode", ("given_name", "family_name", "date_of_birth", "postcode")),
    Rule("name and date of birth", ("given_name", "family_name", "date_of_birth")),
    Rule("family name, date of birth and postcode", ("family_name", "date_of_birth", "postcode")),
    Rule("given name, date of birth and postcode", ("given_name", "date_of_birth", "postcode")),
)


#: The fields :func:`standardise_for_linkage` writes the same way on both sides, in the order it gives them.
LINKAGE_FIELDS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode")


def _check_columns(frame: pd.DataFrame, columns: Iterable[str], side: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(
            f"{side} table has no column {', '.join(map(repr, missing))}; it has {', '.join(map(str, frame.columns))}"
        )


def standardise_for_linkage(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """The record id and the five fields we compare, written the same way on both sides of a linkage.

    Ids become text, so ids from two files compare and join whatever type each file used; dates of birth become
    ``YYYY-MM-DD`` text, so a year can be sliced off for blocking. Every row is kept: a value that cannot be
    standardised is missing, and a rule never links on a missing value.
    """
    _check_columns(frame, [id_column, *LINKAGE_FIELDS], "the")
    return pd.DataFrame(
        {
            id_column: frame[id_column].astype(str),
            "nhs_number": identifiers.standardise_nhs_number(frame["nhs_number"]),
            "given_name": identifiers.standardise_name(frame["given_name"]),
            "family_name": identifiers.standardise_name(frame["family_name"]),
            "date_of_birth": pd.to_datetime(frame["date_of_birth"]).dt.strftime("%Y-%m-%d").astype("string"),
            "postcode": identifiers.standardise_postcode(frame["postcode"]),
        }
    )


def cascade(
    left: pd.DataFrame, right: pd.DataFrame, left_id: str, right_id: str, rules: Sequence[Rule] = DEFAULT_CASCADE
) -> pd.DataFrame:
    """Link each left record to at most one right record, trying the rules in order.

    Returns one row per left record (none dropped): ``left_id``, ``right_id`` (missing when unmatched) and
    ``rule``, the name of the rule that linked it or ``"no match"``. A rule links a left record only when it finds
    exactly one right record; if it finds several, the record waits for a later, stricter-or-different rule,
    because picking one of several candidates at random is how strangers' data ends up in the wrong hands. Several
    left records may link to the same right record (a person who registered twice).
    """
    keys_all = list(dict.fromkeys(k for r in rules for k in r.keys))
    _check_columns(left, [left_id, *keys_all], "left")
    _check_columns(right, [right_id, *keys_all], "right")
    if left[left_id].duplicated().any():
        raise ValueError(f"left table: column {left_id!r} must identify each row once; it has repeats")
    right = right.rename(columns={right_id: "_right_id"})
    remaining = left[[left_id, *keys_all]]
    found = []
    for rule in rules:
        keys = list(rule.keys)
        pairs = remaining.dropna(subset=keys)[[left_id, *keys]].merge(
            right.dropna(subset=keys)[["_right_id", *keys]], on=keys
        )
        unique = pairs[~pairs[left_id].duplicated(keep=False)]
        found.append(unique[[left_id, "_right_id"]].assign(rule=rule.name))
        remaining = remaining[~remaining[left_id].isin(unique[left_id])]
    linked = left[[left_id]].merge(pd.concat(found), on=left_id, how="left")
    linked["rule"] = linked["rule"].fillna(NO_MATCH)
    if pd.api.types.is_integer_dtype(right["_right_id"]):
        linked["_right_id"] = linked["_right_id"].astype("Int64")
    return linked.rename(columns={"_right_id": right_id})


def rule_counts(linked: pd.DataFrame, rules: Iterable[Rule] = DEFAULT_CASCADE) -> pd.DataFrame:
    """How many records each rule linked, in cascade order, with the unmatched last: what each rule adds."""
    order = [r.name for r in rules] + [NO_MATCH]
    counts = linked["rule"].value_counts().reindex(order, fill_value=0)
    return pd.DataFrame({"rule": order, "records": counts.to_numpy(), "cumulative": counts.cumsum().to_numpy()})


# --- Fellegi–Sunter by hand ----------------------------------------------------------------------------------


def agreement(left: pd.DataFrame, right: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """For row-aligned pairs, whether each column agrees exactly (missing on either side counts as disagree)."""
    if len(left) != len(right):
        raise ValueError(f"left has {len(left)} rows and right has {len(right)}: give one row per pair on each side")
    result = {}
    for c in columns:
        a, b = left[c].reset_index(drop=True), right[c].reset_index(drop=True)
        result[c] = (a == b).fillna(False).astype(bool) & a.notna() & b.notna()
    return pd.DataFrame(result)


def m_u_probabilities(agree: pd.DataFrame, is_match: ArrayLike) -> pd.DataFrame:
    """m = P(agree | same person) and u = P(agree | different people) for each column, from labelled pairs.

    Clipped away from 0 and 1 so that no single field can give an infinite weight.
    """
    is_match = np.asarray(is_match, dtype=bool)
    if is_match.all() or not is_match.any():
        raise ValueError("need both matching and non-matching pairs to estimate m and u")
    m = agree[is_match].mean().clip(1e-4, 1 - 1e-4)
    u = agree[~is_match].mean().clip(1e-4, 1 - 1e-4)
    return pd.DataFrame({"m": m, "u": u})


def match_weights(m_u: pd.DataFrame) -> pd.DataFrame:
    """Agreement weight log2(m/u) and disagreement weight log2((1-m)/(1-u)) for each column, in bits."""
    return m_u.assign(
        agree_weight=np.log2(m_u["m"] / m_u["u"]), disagree_weight=np.log2((1 - m_u["m"]) / (1 - m_u["u"]))
    )


def score(agree: pd.DataFrame, weights: pd.DataFrame, prior: float | None = None) -> pd.Series:
    """Total match weight per pair: the agreement or disagreement weight of every column, added.

    With ``prior`` (the chance that two records picked at random match), add the prior's weight
    log2(prior / (1 - prior)) so the score converts to a probability with :func:`probability`.
    """
    cols = list(weights.index)
    a = agree[cols].to_numpy()
    total = np.where(a, weights["agree_weight"].to_numpy(), weights["disagree_weight"].to_numpy()).sum(axis=1)
    if prior is not None:
        total = total + np.log2(prior / (1 - prior))
    return pd.Series(total, index=agree.index, name="match_weight")


def probability(match_weight: ArrayLike) -> np.ndarray:
    """Match probability from a match weight that includes the prior: 2^w / (1 + 2^w)."""
    return 1 / (1 + np.power(2.0, -np.asarray(match_weight, dtype=float)))


# --- Threshold: precision and recall ---------------------------------------------------------------------------


def precision_recall_at(
    scores: ArrayLike, is_match: ArrayLike, threshold: float, true_matches: int | None = None
) -> dict[str, float]:
    """Precision, recall and F1 when every pair scoring at least ``threshold`` is accepted as a match.

    ``true_matches`` is the number of true matches in the whole data; give it when some true matches never
    became candidate pairs (blocking missed them), so recall counts them as missed. Precision is 1 when nothing
    is accepted (no false matches made) and recall is 0 then.
    """
    scores = np.asarray(scores, dtype=float)
    is_match = np.asarray(is_match, dtype=bool)
    accepted = scores >= threshold
    tp = int((accepted & is_match).sum())
    fp = int((accepted & ~is_match).sum())
    total = int(is_match.sum()) if true_matches is None else int(true_matches)
    if total < is_match.sum():
        raise ValueError(f"true_matches ({total}) is fewer than the matching pairs given ({int(is_match.sum())})")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / total if total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "accepted": tp + fp,
        "true_matches_found": tp,
        "false_matches": fp,
        "missed_matches": total - tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def precision_recall_curve(
    scores: ArrayLike, is_match: ArrayLike, thresholds: Iterable[float], true_matches: int | None = None
) -> pd.DataFrame:
    """:func:`precision_recall_at` for each threshold, one row each: the data behind the threshold chart."""
    return pd.DataFrame([precision_recall_at(scores, is_match, t, true_matches) for t in thresholds])


def review_band(scores: ArrayLike, lower: float, upper: float) -> np.ndarray:
    """Label each pair ``match`` (at or above ``upper``), ``review`` (between) or ``non-match`` (below ``lower``).

    The review band is the pairs a person should look at before anyone acts on them.
    """
    if lower > upper:
        raise ValueError(f"lower threshold {lower} is above upper threshold {upper}")
    scores = np.asarray(scores, dtype=float)
    return np.where(scores >= upper, "match", np.where(scores >= lower, "review", "non-match"))
