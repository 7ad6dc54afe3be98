"""Change-only updates between two versions of a list, so a council can apply today's changes, not reload all.

:func:`diff` compares yesterday's and today's list on a stable identifier (the NHS number) and returns three
tables: additions (new people), removals (people no longer on the list, each with a reason) and amendments
(people whose details changed, naming the fields). Rows whose key is blank or not a valid NHS number cannot be
compared; they go to a fourth table, exceptions, with a reason, to go back to the sender. :func:`apply` turns
yesterday's list and the changes into today's list; ``apply(old, diff(old, new)) == new`` is the promise the tests
check (for lists with valid keys and no stray whitespace, which ``diff`` ignores).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from playbook import delivery, purpose
from playbook.identifiers import clean_nhs_number, valid_nhs_number

NO_REASON = "not in the new version (no reason given)"
NHS_KEY = "nhs_number"  # a key of this name must hold valid NHS numbers


class ListVersionError(ValueError):
    """Two versions of a list cannot be compared as they stand."""


@dataclass(frozen=True)
class Changes(delivery.Delivery):
    """A change feed: a :class:`~playbook.delivery.Delivery` whose tables are ``additions`` and ``amendments`` (full
    new rows; amendments add ``changed_fields``, separated by "; ") and ``removals`` (a row and a ``reason``). Rows
    that cannot be compared are its exceptions, in the one layout; the reason says which version they are in."""

    key: str = NHS_KEY

    @property
    def additions(self) -> pd.DataFrame:
        return self.tables["additions"]

    @property
    def amendments(self) -> pd.DataFrame:
        return self.tables["amendments"]

    @property
    def removals(self) -> pd.DataFrame:
        return self.tables["removals"]

    def summary(self) -> pd.DataFrame:
        """Counts of each kind of change, and of removals and exceptions by reason."""
        rows = [("addition", "", len(self.additions))]
        for reason, n in self.removals["reason"].value_counts().sort_index().items():
            rows.append(("removal", reason, int(n)))
        rows.append(("amendment", "", len(self.amendments)))
        for reason, n in self.exceptions["reason"].value_counts().sort_index().items():
            rows.append(("exception", reason, int(n)))
        return pd.DataFrame(rows, columns=["change", "reason", "records"])

    def write(  # type: ignore[override]
        self, folder: str | Path, *, fmt: str = "csv", overwrite: bool = False
    ) -> list[str]:
        """Write additions, amendments, exceptions and removals, with a ``manifest.csv`` of counts and checksums,
        into ``folder`` in one atomic step (:meth:`Delivery.write <playbook.delivery.Delivery.write>`); return the
        names of the four files."""
        manifest = super().write(folder, fmt=fmt, overwrite=overwrite)
        return sorted(manifest["file"])


def _check_recipient(spec: purpose.PurposeSpec, recipient: str, frame: pd.DataFrame, key: str) -> None:
    """The one door for a change feed: every column must hold a field the recipient receives, the key too."""
    rec = delivery.recipient(spec, recipient)
    held = {c: name for name in rec.fields for c in delivery.data_columns(spec, name, frame.columns)}
    others = [c for c in frame.columns if c not in held]
    if others:
        decisions = [purpose.check_field(spec, recipient, str(c)) for c in others]
        raise delivery.FieldRefused([d for d in decisions if not d.allowed] or decisions)
    if key not in held:
        raise delivery.DeliveryRefused(f"the key {key!r} is not a field {recipient} receives")


def _check_versions(old: pd.DataFrame, new: pd.DataFrame, key: str) -> None:
    only_old = [c for c in old.columns if c not in new.columns]
    only_new = [c for c in new.columns if c not in old.columns]
    if only_old or only_new:
        parts = []
        if only_old:
            parts.append(f"only in the old version: {', '.join(map(str, only_old))}")
        if only_new:
            parts.append(f"only in the new version: {', '.join(map(str, only_new))}")
        raise ListVersionError(
            "the two versions have different columns (" + "; ".join(parts) + "). Agree one layout with the "
            "sender, or select the shared columns from both before comparing."
        )
    different = [c for c in old.columns if old[c].dtype != new[c].dtype]
    if different:
        detail = ", ".join(f"{c} ({old[c].dtype} then {new[c].dtype})" for c in different)
        raise ListVersionError(f"columns changed type between versions: {detail}. Read both with the same types.")
    for name, frame in (("old", old), ("new", new)):
        if key not in frame.columns:
            raise ListVersionError(f"the {name} version has no key column {key!r}")


def _check_unique(old: pd.DataFrame, new: pd.DataFrame, key: str) -> None:
    """A repeated key means two records claim one person: refuse rather than pick one."""
    for name, frame in (("old", old), ("new", new)):
        repeated = frame[key].duplicated(keep=False)
        if repeated.any():
            values = ", ".join(map(str, frame.loc[repeated, key].unique()[:5]))
            raise ListVersionError(f"the {name} version repeats {key} values ({values}): the key must be unique")


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Text without surrounding whitespace and blank text as missing, so a stray space is not a change."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.StringDtype):
            out[column] = values.str.strip().replace("", pd.NA)
        elif values.dtype == object:
            out[column] = values.map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
    return out


def _key_problems(frame: pd.DataFrame, key: str) -> pd.Series:
    """Why each row's key cannot be used (missing, or not a valid NHS number for an NHS key); missing if it can."""
    values = frame[key]
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    if key == NHS_KEY:
        reason = reason.mask(
            ~valid_nhs_number(values),
            f"{key} is not a valid NHS number (ten digits with a correct check digit): correct it at source",
        )
    return reason.mask(values.isna(), f"no {key}: the record cannot be matched between versions")


def _split_exceptions(frame: pd.DataFrame, key: str, version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows with a usable key, and the rest as exceptions (the one layout; the reason names the version), with
    NHS keys cleaned of spaces."""
    reason = _key_problems(frame, key)
    bad = reason.notna().to_numpy()
    good = frame[~bad].copy()
    if key == NHS_KEY and not pd.api.types.is_numeric_dtype(good[key]):
        good[key] = clean_nhs_number(good[key]).astype(good[key].dtype)
    values = frame.loc[bad, key]
    exceptions = delivery.exceptions_table(
        values.index, [key] * len(values), values.astype("string"), f"{version} version: " + reason[bad]
    )
    return good, exceptions


def _differs(a: pd.Series, b: pd.Series) -> pd.Series:
    """True where two aligned columns hold different values; two missing values count as the same."""
    both_missing = a.isna().to_numpy() & b.isna().to_numpy()
    equal = (a == b).fillna(False).astype(bool).to_numpy()
    return pd.Series(~(equal | both_missing), index=a.index)


def diff(
    old: pd.DataFrame,
    new: pd.DataFrame,
    key: str = "nhs_number",
    reasons: Mapping[str, Iterable] | None = None,
    *,
    spec: purpose.PurposeSpec | None = None,
    recipient: str | None = None,
) -> Changes:
    """The changes that turn ``old`` into ``new``, matched on ``key``.

    ``reasons`` maps a reason to the keys it explains, for example ``{"died": deaths.nhs_number,
    "opted out": opt_outs.nhs_number}``; the first reason that lists a removed key is used, and removals no
    feed explains get a plain "not in the new version" reason, so nothing leaves the list unexplained.
    Surrounding whitespace is ignored (a trailing space is not a change) and blank text counts as missing. Rows
    with no key, or, for ``nhs_number``, one that is not a valid NHS number, go to ``exceptions`` with a reason:
    they are neither added nor removed, so fix them at source.

    With ``recipient``, the feed comes through the one door (:mod:`playbook.delivery`): the purpose specification
    (default: the built-in shielding one) must name the recipient, and every column, the key included, must hold
    a field it receives (found by name or ``source``, so ``la_code`` holds ``local_authority_code``); otherwise
    the feed is refused with the reason. The rows are the recipient's already: compare two of its deliveries,
    such as two days of a council's extract from :func:`playbook.segmentation.segment`.
    """
    _check_versions(old, new, key)
    if recipient is not None:
        _check_recipient(spec or purpose.load_builtin("shielding"), recipient, new, key)
    old, old_bad = _split_exceptions(_tidy(old), key, "old")
    new, new_bad = _split_exceptions(_tidy(new), key, "new")
    _check_unique(old, new, key)
    exceptions = pd.concat([old_bad, new_bad], ignore_index=True)
    old_keyed = old.set_index(key, drop=False)
    new_keyed = new.set_index(key, drop=False)
    added = ~new_keyed.index.isin(old_keyed.index)
    removed = ~old_keyed.index.isin(new_keyed.index)
    additions = new_keyed[added].sort_index().reset_index(drop=True)

    removals = old_keyed[removed].sort_index().reset_index(drop=True)
    reason = pd.Series(NO_REASON, index=removals.index, dtype="string")
    for text, keys in reversed(list((reasons or {}).items())):
        reason = reason.mask(removals[key].isin(list(keys)), text)
    removals["reason"] = reason

    common = old_keyed.index[~removed].sort_values()
    before, after = old_keyed.loc[common], new_keyed.loc[common]
    changed = pd.DataFrame({c: _differs(before[c], after[c]) for c in old.columns if c != key}, index=common)
    amended = changed.any(axis=1).to_numpy()
    amendments = after[amended].reset_index(drop=True)
    flags = changed[amended].reset_index(drop=True)
    names = pd.Series("", index=flags.index, dtype="string")
    for column in flags.columns:
        names = names.mask(flags[column], names + "; " + str(column))
    amendments["changed_fields"] = names.str.removeprefix("; ")
    return Changes(
        recipient=recipient or "",
        tables={"additions": additions, "amendments": amendments, "removals": removals},
        exceptions=exceptions,
        rows_in=len(new),
        key=key,
    )


def apply(old: pd.DataFrame, changes: Changes) -> pd.DataFrame:
    """Yesterday's list with the changes applied, sorted by key: what the council's copy should now hold."""
    key = changes.key
    if key not in old.columns:
        raise ListVersionError(f"the list has no key column {key!r}")
    columns = list(old.columns)
    for name in ("removals", "amendments"):
        unknown = ~getattr(changes, name)[key].isin(old[key])
        if unknown.any():
            raise ListVersionError(
                f"{int(unknown.sum())} {name} are for {key} values not in the list: were these changes made for it?"
            )
    amended_keys = changes.amendments[key]
    kept = old[~old[key].isin(changes.removals[key]) & ~old[key].isin(amended_keys)]
    parts = [kept, changes.amendments[columns], changes.additions[columns]]
    parts = [p.astype(old.dtypes.to_dict()) for p in parts if len(p)] or [old.iloc[:0]]
    result = pd.concat(parts, ignore_index=True)
    repeated = result[key].duplicated()
    if repeated.any():
        raise ListVersionError(
            f"{int(repeated.sum())} additions are already in the list: apply each day's changes once"
        )
    return result.sort_values(key, kind="stable").reset_index(drop=True)
