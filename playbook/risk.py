"""Re-identification risk on chosen quasi-identifiers: who is unique, how small the smallest groups are.

A quasi-identifier is a field that does not name anyone alone but narrows them down in combination: date
of birth, sex, postcode. A record whose combination no one else shares is unique, and anyone who knows those
facts about a person (a neighbour, a journalist, another dataset) can pick out their record. These functions
measure that before and after generalising, so a decision to share can rest on a number, not a guess.

Missing values count as a value of their own: a blank postcode is still something a record shares, or not, with
others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

# One column name, or several.
QuasiIdentifiers = str | Iterable[str]


class RiskError(ValueError):
    """Risk cannot be measured as asked (for example a quasi-identifier the data does not have)."""


def _check(records: pd.DataFrame, quasi_identifiers: QuasiIdentifiers) -> list[str]:
    qis = [quasi_identifiers] if isinstance(quasi_identifiers, str) else list(quasi_identifiers)
    if not qis:
        raise RiskError("name at least one quasi-identifier")
    missing = [q for q in qis if q not in records.columns]
    if missing:
        raise RiskError(
            f"the data has no column {', '.join(map(repr, missing))}; "
            f"columns present: {', '.join(map(str, records.columns))}"
        )
    if len(records) == 0:
        raise RiskError("there are no records to measure")
    return qis


def group_sizes(records: pd.DataFrame, quasi_identifiers: QuasiIdentifiers) -> pd.Series:
    """For each record, how many records share its values on the quasi-identifiers (1 means unique)."""
    qis = _check(records, quasi_identifiers)
    keys = records[qis].astype("string").fillna("<missing>")
    codes = keys.groupby(qis, sort=False).ngroup().to_numpy()
    return pd.Series(np.bincount(codes)[codes], index=records.index, name="group_size")


@dataclass(frozen=True)
class Risk:
    """Headline re-identification risk of a table on some quasi-identifiers."""

    records: int
    groups: int
    unique_records: int
    unique_share: float  # share of records that are alone in their group
    k: int  # k-anonymity: the size of the smallest group
    below_target: int  # records in groups smaller than the target k
    target_k: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(records: pd.DataFrame, quasi_identifiers: QuasiIdentifiers, target_k: int = 5) -> Risk:
    """Share of unique records, k-anonymity and how many records sit in groups smaller than ``target_k``."""
    if target_k < 1:
        raise RiskError(f"target_k must be 1 or more, got {target_k}")
    sizes = group_sizes(records, quasi_identifiers)
    unique = int((sizes == 1).sum())
    groups = int((1 / sizes).sum().round())
    return Risk(
        records=len(records),
        groups=groups,
        unique_records=unique,
        unique_share=round(unique / len(records), 4),
        k=int(sizes.min()),
        below_target=int((sizes < target_k).sum()),
        target_k=target_k,
    )


def smallest_groups(records: pd.DataFrame, quasi_identifiers: QuasiIdentifiers, n: int = 5) -> pd.DataFrame:
    """The ``n`` smallest groups with their values and sizes, smallest first (ties in value order)."""
    qis = _check(records, quasi_identifiers)
    keys = records[qis].astype("string").fillna("<missing>")
    counts = keys.value_counts(sort=False).rename("records").reset_index()
    return counts.sort_values(["records", *qis], kind="stable").head(n).reset_index(drop=True)


def unique_records(records: pd.DataFrame, quasi_identifiers: QuasiIdentifiers) -> pd.DataFrame:
    """The records that no other record matches on the quasi-identifiers: the ones easiest to single out."""
    return records[group_sizes(records, quasi_identifiers).to_numpy() == 1]


def compare(steps: Iterable[tuple[str, pd.DataFrame, QuasiIdentifiers]], target_k: int = 5) -> pd.DataFrame:
    """One row of :func:`measure` per step, in order: ``steps`` is a list of (name, records, quasi-identifiers).

    Use it to show what each minimisation step buys, for example full date of birth and postcode, then age band
    and postcode, then age band and postcode district.
    """
    rows = []
    for name, records, qis in steps:
        risk = measure(records, qis, target_k)
        rows.append(
            {"step": name, "quasi_identifiers": ", ".join([qis] if isinstance(qis, str) else qis), **risk.as_dict()}
        )
    return pd.DataFrame(rows)
