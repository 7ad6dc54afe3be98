"""A general probabilistic linker: any two CSV or Parquet files, their columns mapped to standard roles.

Built on Splink with the DuckDB backend, so it runs on one machine at national scale; ``--engine spark`` runs the
same model on Apache Spark when one machine is not enough (chapters/one-machine-is-not-enough.md). It trains
without labels: u probabilities from random pairs (which are almost all different people), m probabilities by
expectation maximisation on blocked pairs. The same defaults serve every
data set: blocking rules pair cheap keys so that an error in any one field leaves a true pair in play, and
agreement on a common name or postcode counts for less than on a rare one (term frequencies from the right file).
A postal code from outside the UK is mapped to ``postal_code`` and compared as typed.

Outputs, written to ``out_dir``:

- ``scored_pairs.parquet``: every candidate pair with a match probability at or above ``keep_pairs_above``;
- ``matches.parquet`` (and ``.csv``): the chosen matches. The choice is the **best match per left record**: each
  left record links to its highest-scoring right record if that scores at least ``threshold``. Several left
  records may link to the same right record (a person who registered twice), so this is not one-to-one;
- ``review.csv``: the pairs near the threshold (``review_band``), records side by side with the evidence for and
  against, for a person to decide; ``python -m playbook.clerical_review`` applies their decisions;
- ``unlinkable.csv``: left or right records with too little usable information to link, in the one exceptions
  layout (side, id, row, column, value, reason);
- ``model.json`` (the trained Splink model) and ``summary.json`` (the counts, which always add up).

The folder is written all at once: into a temporary folder beside it, then renamed into place, so an interrupted
run leaves the previous output whole. A folder the linker did not write is refused unless ``overwrite``.

Command line::

    python -m playbook.splink_linker --left registrations.csv --right spl.parquet \\
        --map-left record_id=registration_id,given_name=first_name,family_name=surname,date_of_birth=dob \\
        --map-right record_id=spl_row_id,given_name=given_name,family_name=family_name,date_of_birth=date_of_birth \\
        --out linked/
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import numbers
import os
import sys
import time
import warnings
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb
import numpy as np
import pandas as pd

import outbox
from playbook import clerical_review, delivery
from playbook import identifiers as ids
from playbook.safe_names import shorten

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from splink import Linker
    from splink.internals.database_api import DatabaseAPISubClass
    from splink.internals.splink_dataframe import SplinkDataFrame

# The column a role is mapped to, or several columns (``street_number+street``) joined into one value.
ColumnSpec = str | list[str] | tuple[str, ...]

COMPARED_ROLES = (
    "identifier",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "postal_code",
    "address",
)
ROLES = ("record_id", *COMPARED_ROLES)
# Roles that on their own say something about who a record is; sex alone does not.
INFORMATIVE_ROLES = ("identifier", "given_name", "family_name", "date_of_birth", "postcode", "postal_code", "address")
STANDARDISERS = {
    "identifier": ids.standardise_identifier,
    "given_name": ids.standardise_name,
    "family_name": ids.standardise_name,
    "sex": ids.standardise_sex,
    "postcode": ids.standardise_postcode,
    "postal_code": ids.standardise_identifier,  # a code from another country, compared as typed (no spaces)
    "address": ids.standardise_address,
}
# What each standardiser reads, for the warning when a column is mostly something else.
EXPECTED = {
    "identifier": "a reference number (letters and digits)",
    "given_name": "a name in letters",
    "family_name": "a name in letters",
    "date_of_birth": "a date such as 23/03/1950 or 1950-03-23",
    "sex": "F, M, female, male (other values count as unknown)",
    "postcode": "a UK postcode such as SW1A 1AA; map a postal code from another country to postal_code instead",
    "postal_code": "a postal code in letters and digits",
    "address": "an address line",
}
NAMES = ("given_name", "family_name")


# Fewer linkable records than this on a side and the trained weights are noise (and Splink's prior can fail).
MIN_RECORDS = 10
# A role whose given values are mostly unreadable (a column of French postcodes) adds noise, not evidence.
MOSTLY_UNUSABLE = 0.5
# A rule on one key alone (names, date of birth) is used only if it scores at most this many pairs per record.
WIDE_PAIRS_PER_RECORD = 2
# Accept a pair when the model puts the chance that it is one person at 80% or more. The prior is re-estimated from
# the data (refine_prior), so this is a calibrated probability: on the national benchmark it accepts as many false
# matches as 0.9 did when the prior was 2.5 times too high. Pairs from 0.2 to 0.99 also go to clerical review.
DEFAULT_THRESHOLD = 0.8
# The prior is re-estimated from the scored pairs at most this many times, stopping once it moves by under 1%.
PRIOR_ROUNDS = 5
PRIOR_TOLERANCE = 0.01
MARKER = ".splink_linker.json"  # in every folder the linker wrote: lists its files, so reruns may replace them


class LinkageInputError(ValueError):
    """The input cannot be linked as given; the message names the file or column and what to do."""


class OutputFolderError(LinkageInputError):
    """The output folder cannot be written, or holds files the linker did not write."""


class LinkageWarning(UserWarning):
    """Linking goes on, but differently from what was asked (a role dropped); also recorded in the summary."""


def _short(value: object, limit: int = 80) -> str:
    """A value (its repr) or an error (its first line) cut to ``limit`` characters, so nothing can flood a message."""
    if isinstance(value, BaseException):
        text = (str(value).strip().splitlines() or [type(value).__name__])[0]
    else:
        text = repr(value)
    return shorten(text, limit)


def check_options(
    threshold: float = DEFAULT_THRESHOLD,
    threads: int | None = None,
    keep_pairs_above: float = 0.01,
    engine: str = "duckdb",
    model: Path | str | dict[str, Any] | None = None,
    review_band: Sequence[float] = clerical_review.REVIEW_BAND,
    **_: object,
) -> None:
    """Refuse a threshold or thread count that would give a wrong or failed run, before anything is read.

    ``threshold`` is a match probability; pairs below ``keep_pairs_above`` are never kept, so it cannot be lower.
    """

    def probability(value: object) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)

    if not probability(keep_pairs_above) or not 0 < keep_pairs_above <= 1:
        raise LinkageInputError(f"keep_pairs_above {_short(keep_pairs_above)} is not a probability between 0 and 1.")
    if not probability(threshold) or not keep_pairs_above <= threshold <= 1:
        raise LinkageInputError(
            f"threshold {_short(threshold)} is not a match probability between "
            f"{keep_pairs_above} and 1. Give for example 0.9."
        )
    if threads is not None and (not isinstance(threads, numbers.Integral) or isinstance(threads, bool) or threads < 1):
        raise LinkageInputError(
            f"threads {_short(threads)} is not a positive whole number. Give 1 for "
            "repeatable runs, or leave it out to use every core."
        )
    if not (
        isinstance(review_band, (tuple, list))
        and len(review_band) == 2
        and all(map(probability, review_band))
        and keep_pairs_above <= review_band[0] < review_band[1] <= 1
    ):
        raise LinkageInputError(
            f"review band {_short(review_band)} is not two match probabilities, low then high, "
            f"between {keep_pairs_above} and 1. Give for example 0.2,0.99."
        )
    from playbook import linker_engines

    linker_engines.check_engine(engine)  # Spark without Java or PySpark fails here, not after reading
    if model is not None:
        linker_engines.read_model(model)


# --- Reading and preparing -----------------------------------------------------------------------------------


def read_table(path: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """A CSV (every column read as text) or Parquet file, refusing missing, empty or unreadable files clearly."""
    path = Path(path)
    if not path.is_file():
        raise LinkageInputError(f"{path}: no such file. Check the path.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], usecols=columns)
        elif suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            frame = pq.read_table(path, columns=columns).to_pandas(date_as_object=False)  # dates as datetime64
        else:
            raise LinkageInputError(f"{path}: unknown format {suffix!r}. Give a .csv or .parquet file.")
    except LinkageInputError:
        raise
    except Exception as error:  # pandas, pyarrow and the csv parser raise many types
        raise LinkageInputError(f"{path}: cannot read it as {suffix[1:]} ({type(error).__name__}: {error}).") from error
    if frame.empty:
        raise LinkageInputError(f"{path}: the file has no rows. Check that the export worked.")
    return frame


def columns_of(spec: ColumnSpec) -> list[str]:
    """The columns a role is mapped to: one name, or several (``street_number+street``) to be joined."""
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def mapped_columns(roles: Mapping[str, ColumnSpec]) -> list[str]:
    """Every column a mapping reads, once each, in order."""
    return list(dict.fromkeys(col for spec in roles.values() for col in columns_of(spec)))


def role_values(frame: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    """A role's raw values: its column, or its columns joined with single spaces (blanks skipped)."""
    cols = columns_of(spec)
    if len(cols) == 1:
        return frame[cols[0]]
    parts = frame[cols].astype("string").apply(lambda col: col.str.strip())
    joined = parts.fillna("").agg(" ".join, axis=1).str.split().str.join(" ")
    return joined.replace("", pd.NA).astype("string")


def check_roles(roles: Mapping[str, ColumnSpec], available: Collection[str], where: str) -> None:
    """Refuse unknown roles, columns the file does not have, and mappings with too little to link on."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise LinkageInputError(f"{where}: unknown role {', '.join(unknown)}. Use roles from {', '.join(ROLES)}.")
    if "record_id" in roles and len(columns_of(roles["record_id"])) > 1:
        raise LinkageInputError(f"{where}: record_id is mapped to several columns. Map it to one column.")
    seen: dict[str, str] = {}
    for role, col in ((r, c) for r, spec in roles.items() if r != "record_id" for c in columns_of(spec)):
        if col in seen and seen[col] != role:  # an id may also be an identifier
            raise LinkageInputError(
                f"{where}: column {_short(col)} is mapped to both {seen[col]} and {role}. Map each column to one role."
            )
        seen[col] = role
    missing = {role: col for role, spec in roles.items() for col in columns_of(spec) if col not in set(available)}
    if missing:
        listed = ", ".join(f"{role}={_short(col)}" for role, col in missing.items())
        raise LinkageInputError(
            f"{where}: no column for {listed}. The file has columns "
            f"{shorten(', '.join(map(str, available)))}. Fix the mapping."
        )
    informative = [r for r in roles if r in INFORMATIVE_ROLES]
    if len(informative) < 2:
        raise LinkageInputError(
            f"{where}: map at least two of {', '.join(INFORMATIVE_ROLES)} to link on; got "
            f"{', '.join(informative) or 'none'}. One field alone is a lookup, not a linkage."
        )


def prepare(frame: pd.DataFrame, roles: Mapping[str, ColumnSpec], where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Standardise each mapped column into a column named after its role.

    Returns the records to link (with ``unique_id`` as text) and the unlinkable records with a reason. Every
    input row is in exactly one of the two. Values that cannot be standardised become missing, and are counted in
    ``unusable_<role>`` flags so that quality problems can go back to the source.
    """
    check_roles(roles, frame.columns, where)
    out = pd.DataFrame(index=frame.index)
    if "record_id" in roles:
        out["unique_id"] = frame[roles["record_id"]].astype("string").str.strip()
        blank = out["unique_id"].isna() | (out["unique_id"] == "")
        if blank.any():
            raise LinkageInputError(
                f"{where}: column {roles['record_id']!r} (record_id) is blank in data row "
                f"{int(blank.to_numpy().argmax()) + 1}. Every record needs an id."
            )
        if out["unique_id"].duplicated().any():
            first = out["unique_id"][out["unique_id"].duplicated()].iloc[0]
            raise LinkageInputError(
                f"{where}: column {roles['record_id']!r} (record_id) repeats {first!r}. "
                "Map a column that identifies each row once, or leave record_id out to use "
                "row numbers."
            )
    else:
        out["unique_id"] = pd.Series(range(1, len(frame) + 1), index=frame.index).astype("string")
    unusable = pd.DataFrame(index=frame.index)
    for role in COMPARED_ROLES:
        if role not in roles:
            continue
        raw = role_values(frame, roles[role])
        if not _given(raw).any():
            raise LinkageInputError(
                f"{where}: column {_short(_label(roles[role]))} ({role}) is blank in every row. "
                f"Map a column that holds {role}, or leave {role} out."
            )
        out[role] = standardise(role, raw, f"{where}: column {_short(_label(roles[role]))} ({role})")
        unusable[role] = ids.unusable(raw, out[role])
    present = out[[r for r in INFORMATIVE_ROLES if r in out]].notna()
    too_little = present.sum(axis=1) < 2
    missing = [", ".join(c for c, ok in row.items() if not ok) for _, row in present[too_little].iterrows()]
    held_back = int(too_little.sum())
    unlinkable = delivery.exceptions_table(
        rows=[position + 1 for position in np.flatnonzero(too_little.to_numpy())],
        column=missing,
        value=["blank or unusable"] * held_back,
        reason=["fewer than two usable values to link on; give the source a value for one of these"] * held_back,
        ids=out.loc[too_little, "unique_id"],
    ).set_index(out.index[too_little])
    if too_little.all():
        raise LinkageInputError(
            f"{where}: no row has two usable values to link on. Check the mapping and "
            "the formats of the mapped columns."
        )
    flags = unusable.add_prefix("unusable_")
    linkable = pd.concat([out, flags], axis=1)[~too_little].reset_index(drop=True)
    return linkable, pd.concat([unlinkable, flags[too_little]], axis=1).reset_index(drop=True)


def standardise(role: str, raw: pd.Series, where: str) -> pd.Series:
    """One role's values in the standard form its comparisons expect; missing where they cannot be read."""
    if role == "date_of_birth":
        return ids.parse_dates(raw, where=where).dt.strftime("%Y-%m-%d").astype("string")
    return STANDARDISERS[role](raw).astype("string")


def _given(raw: pd.Series) -> pd.Series:
    return raw.astype("string").str.strip().replace("", pd.NA).notna()


def column_problems(
    frame: pd.DataFrame, roles: Mapping[str, ColumnSpec], prepared: Iterable[pd.DataFrame], where: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Roles whose given values could mostly not be read (to drop), and roles blank in most rows (to warn about).

    Each comes with the reason; an unreadable role also with examples of what was rejected and what was expected.
    A mostly blank role is kept: the rows that have it still gain from it.
    """
    found, sparse = {}, {}
    for role, spec in roles.items():
        if role in COMPARED_ROLES:
            bad = int(sum(part[f"unusable_{role}"].sum() for part in prepared))
            raw = role_values(frame, spec)
            given = _given(raw)
            blank = len(frame) - int(given.sum())
            if blank > len(frame) * MOSTLY_UNUSABLE:
                sparse[role] = (
                    f"{where}: column {_short(_label(spec))} ({role}) is blank in {blank} of "
                    f"{len(frame)} rows, so it helps link only the rest; check the export or the mapping"
                )
            if bad > given.sum() * MOSTLY_UNUSABLE:
                try:
                    rejected = raw[given & standardise(role, raw, where).isna()]
                except ids.StandardisingError:  # dates too few to read: every given value was rejected
                    rejected = raw[given]
                examples = ", ".join(_short(v, 30) for v in pd.unique(rejected.astype("string"))[:3])
                found[role] = (
                    f"{where}: {bad} of {given.sum()} values in column {_short(_label(spec))} could not be read "
                    f"as {role} (for example {examples}); it expects {EXPECTED[role]}"
                )
    return found, sparse


def _label(spec: ColumnSpec) -> str:
    return "+".join(map(str, columns_of(spec)))


def check_trainable(roles: Collection[str]) -> None:
    """Each training rule must leave a comparison free to learn from; names alone, for example, leave none."""
    for rule in training_rules(roles):
        if not [r for r in roles if f"l.{r} " not in rule + " "]:
            raise LinkageInputError(
                f"with only {', '.join(roles)} to compare, training has nothing to learn from "
                "(it pairs records that already agree on all of them). Map date_of_birth, "
                "identifier or postcode on both sides as well."
            )


# --- The model -----------------------------------------------------------------------------------------------


def _level(sql: str, label: str, null: bool = False, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf:  # term frequency: agreement on a common value (SMITH, a care home's postcode) counts for less
        level.update(tf_adjustment_column=tf, tf_adjustment_weight=1.0)
    return {**level, "is_null_level": True} if null else level


def _null(col: str) -> dict[str, Any]:
    return _level(f"{col}_l IS NULL OR {col}_r IS NULL", f"{col} missing", null=True)  # unquoted: any dialect


def home_role(roles: Collection[str]) -> str | None:
    """The postal code role compared, if any: a UK postcode, or a code from another country compared as typed."""
    return "postcode" if "postcode" in roles else "postal_code" if "postal_code" in roles else None


def comparisons(roles: Collection[str]) -> list[dict[str, Any]]:
    """One comparison per compared role, each with levels from strongest agreement to disagreement."""
    out = []
    if "identifier" in roles:
        out.append(
            {
                "output_column_name": "identifier",
                "comparison_levels": [
                    _null("identifier"),
                    _level("identifier_l = identifier_r", "exact"),
                    _level("damerau_levenshtein(identifier_l, identifier_r) <= 1", "one typo or swap"),
                    _level("ELSE", "different"),
                ],
            }
        )
    names = [r for r in NAMES if r in roles]
    for role in names:
        other = "family_name" if role == "given_name" else "given_name"
        levels = [_null(role), _level(f"{role}_l = {role}_r", "exact", tf=role)]
        if len(names) == 2:  # names typed in each other's boxes
            levels.append(_level(f"{role}_l = {other}_r", "matches the other name"))
        levels.append(_level(f"jaro_winkler_similarity({role}_l, {role}_r) >= 0.92", "Jaro-Winkler >= 0.92"))
        if len(names) == 2:  # in each other's boxes, and one of them mistyped
            levels.append(_level(f"jaro_winkler_similarity({role}_l, {other}_r) >= 0.92", "like the other name"))
        levels += [
            _level(f"{role}_sound_l = {role}_sound_r", "sounds the same"),
            _level(f"jaro_winkler_similarity({role}_l, {role}_r) >= 0.80", "Jaro-Winkler >= 0.80"),
            _level("ELSE", "different"),
        ]
        out.append({"output_column_name": role, "comparison_levels": levels})
    if "date_of_birth" in roles:
        d = "date_of_birth"
        out.append(
            {
                "output_column_name": d,
                "comparison_levels": [
                    _null(d),
                    _level(f"{d}_l = {d}_r", "exact"),
                    _level(
                        f"substr({d}_l, 1, 4) = substr({d}_r, 1, 4) AND substr({d}_l, 6, 2) = substr({d}_r, 9, 2) "
                        f"AND substr({d}_l, 9, 2) = substr({d}_r, 6, 2)",
                        "day and month swapped",
                    ),
                    _level(f"damerau_levenshtein({d}_l, {d}_r) <= 1", "one digit different"),
                    _level(f"substr({d}_l, 1, 4) = substr({d}_r, 1, 4)", "same year"),
                    _level("ELSE", "different"),
                ],
            }
        )
    if "sex" in roles:
        out.append(
            {
                "output_column_name": "sex",
                "comparison_levels": [_null("sex"), _level("sex_l = sex_r", "same"), _level("ELSE", "different")],
            }
        )
    if home_role(roles) or "address" in roles:
        out.append(home_comparison(roles))
    return out


def home_comparison(roles: Collection[str]) -> dict[str, Any]:
    """Postal code and first address line compared together, as one piece of evidence about where someone lives.

    Compared separately they would count the same fact twice, and relatives who share a home would look like the
    same person. Only a UK postcode has sectors and districts; a postal code from elsewhere agrees or not.
    """
    p, a = home_role(roles), "address"
    uk = p == "postcode"
    sector = (
        f"split_part({p}_l, ' ', 1) || substr(split_part({p}_l, ' ', 2), 1, 1) = "
        f"split_part({p}_r, ' ', 1) || substr(split_part({p}_r, ' ', 2), 1, 1)"
    )
    district = f"split_part({p}_l, ' ', 1) = split_part({p}_r, ' ', 1)"
    areas = [_level(sector, "same postcode sector"), _level(district, "same postcode district")] if uk else []
    similar = f"jaro_winkler_similarity({a}_l, {a}_r) >= 0.9"
    if not uk and p:  # a foreign code: one typed character wrong or two swapped is still near
        areas = [_level(f"damerau_levenshtein({p}_l, {p}_r) <= 1", "postal code one typo away")]
    if p is None:  # the caller compares home only when a postal code or an address is mapped
        levels = [_null(a), _level(f"{a}_l = {a}_r", "same address"), _level(similar, "similar address")]
    elif a not in roles:
        levels = [_null(p), _level(f"{p}_l = {p}_r", "same postcode", tf=p), *areas]
    else:
        levels = [
            _level(f"({p}_l IS NULL OR {p}_r IS NULL) AND ({a}_l IS NULL OR {a}_r IS NULL)", "home missing", null=True),
            _level(f"{p}_l = {p}_r AND {a}_l = {a}_r", "same postcode and address"),
            _level(f"{p}_l = {p}_r AND {similar}", "same postcode, similar address", tf=p),
            _level(f"{a}_l = {a}_r", "same address, different postcode"),
            _level(f"house_number_l = house_number_r AND {similar}", "similar address, different postcode"),
            _level(f"{p}_l = {p}_r", "same postcode, different address", tf=p),
            *areas,
        ]
    return {"output_column_name": "home", "comparison_levels": [*levels, _level("ELSE", "different")]}


# --- Which pairs to score: blocking ----------------------------------------------------------------------------


def blocking_keys(ready: pd.DataFrame) -> pd.DataFrame:
    """Columns that blocking and comparisons use beside the standardised roles.

    How a name sounds (Metaphone: KATHERINE and CATHERINE agree) survives most typos and spelling variants; the
    house number is the part of an address that survives abbreviations and a missing street name; the home area
    (a UK postcode district, or the first two characters of another country's code) survives a typo at the end.
    """
    import jellyfish

    keys = pd.DataFrame(index=ready.index)
    for role in NAMES:
        if role in ready:
            names = ready[role]
            codes = {n: jellyfish.metaphone(n) or None for n in pd.unique(names.dropna())}
            keys[f"{role}_sound"] = names.map(codes).astype("string")
    if "postcode" in ready:  # the district: the part before the space
        keys["home_area"] = ready["postcode"].str[:-4].astype("string")  # standard form: the inward code is 3
    elif "postal_code" in ready:  # most countries' codes run from region to street: the first two characters
        keys["home_area"] = ready["postal_code"].str[:2].astype("string")
    if "address" in ready:
        keys["house_number"] = ready["address"].str.extract(r"\b(\d+[A-Z]?)\b", expand=False).astype("string")
        street = ready["address"].str.replace(r"^\s*\d+[A-Z]?\b\s*", "", regex=True).str.strip()
        keys["street"] = street.where(street.str.len() > 0).astype("string")  # survives a lost house number
    return keys


# Rules on one weak key, or two that a whole street or district can share: kept only where they would score few
# pairs (small files), because there they find the people every tighter rule misses.
WIDE_COMBINATIONS = (
    ("names",),
    ("dob",),
    ("sounds",),
    ("family", "area"),
    ("given", "area"),
    ("given_as_family", "area"),
    ("family_as_given", "area"),
    ("family", "street"),
    ("given", "street"),
    ("street", "area"),
)


def blocking_rules(
    roles: Collection[str], left: pd.DataFrame | None = None, right: pd.DataFrame | None = None
) -> list[str]:
    """Which pairs to score at all: a pair is scored if it passes any rule.

    Scoring every pair of 1.1 million by 2.2 million records is 2.5 trillion comparisons; these rules cut that
    to a few per record. Each rule pairs two cheap keys, so a true match is lost only if errors hit every pair of
    keys at once: a typo, a new address, a married name, a missing or wrong date of birth, or names in each other's
    boxes each leave several rules standing. No rule assumes how one data set was made.

    Given the prepared ``left`` and ``right`` records, wider rules on one key (names alone, the date of birth alone)
    are added where they would score few pairs: in small files they find the person who moved house and left the
    date of birth blank; in a national file they would mean billions of pairs, so they are left out.
    """
    has = set(roles)
    home = home_role(has)
    key = {
        "dob": "l.date_of_birth = r.date_of_birth" if "date_of_birth" in has else None,
        "year": "substr(l.date_of_birth, 1, 4) = substr(r.date_of_birth, 1, 4)" if "date_of_birth" in has else None,
        "day_month": "substr(l.date_of_birth, 6, 5) = substr(r.date_of_birth, 6, 5)"
        if "date_of_birth" in has
        else None,
        "family": "l.family_name_sound = r.family_name_sound" if "family_name" in has else None,
        "given": "l.given_name_sound = r.given_name_sound" if "given_name" in has else None,
        "swapped": "l.given_name_sound = r.family_name_sound AND l.family_name_sound = r.given_name_sound"
        if {"given_name", "family_name"} <= has
        else None,
        "home": f"l.{home} = r.{home}" if home else None,
        "address": "l.address = r.address" if "address" in has else None,
        "number": "l.house_number = r.house_number" if "address" in has else None,
        "area": "l.home_area = r.home_area" if home else None,
        "street": "l.street = r.street" if "address" in has else None,
        "given_as_family": "l.given_name_sound = r.family_name_sound" if {"given_name", "family_name"} <= has else None,
        "family_as_given": "l.family_name_sound = r.given_name_sound" if {"given_name", "family_name"} <= has else None,
        "names": "l.given_name = r.given_name AND l.family_name = r.family_name"
        if {"given_name", "family_name"} <= has
        else None,
        "sounds": "l.given_name_sound = r.given_name_sound AND l.family_name_sound = r.family_name_sound"
        if {"given_name", "family_name"} <= has
        else None,
    }
    combinations = [
        ("dob", "family"),
        ("dob", "given"),
        ("dob", "home"),
        ("dob", "area"),
        ("dob", "swapped"),
        ("family", "given", "year"),
        ("family", "given", "day_month"),
        ("family", "given", "area"),
        ("swapped", "year"),
        ("swapped", "number"),
        ("family", "home"),
        ("given", "home"),
        ("family", "address"),
        ("given", "address"),
        ("family", "number", "area"),
        ("given", "number", "area"),
        ("home", "number"),
    ]

    def joined(keys: Iterable[str]) -> str | None:
        """The rule that needs every one of these keys, or None if a role it needs is not mapped."""
        parts = [key[k] for k in keys]
        return " AND ".join(p for p in parts if p) if all(parts) else None

    rules = ["l.identifier = r.identifier"] if "identifier" in has else []
    rules += [rule for rule in map(joined, combinations) if rule]
    if left is not None and right is not None:
        budget = WIDE_PAIRS_PER_RECORD * (len(left) + len(right))
        rules += [rule for rule in map(joined, WIDE_COMBINATIONS) if rule and pair_count(left, right, rule) <= budget]
    if len(rules) < 2:  # for example only an address and one name: each shared value on its own
        rules += [f"l.{r} = r.{r}" for r in INFORMATIVE_ROLES if r in has and r != "identifier"]
    return rules


def pair_count(left: pd.DataFrame, right: pd.DataFrame, rule: str) -> int:
    """How many pairs an equality rule (``l.a = r.a AND ...``) would score, counted from group sizes, not pairs."""
    columns = ", ".join(part.split("=")[0].strip().removeprefix("l.") for part in rule.split(" AND "))
    con = duckdb.connect()
    con.register("l_records", left)
    con.register("r_records", right)
    groups = "SELECT {c}, count(*) AS n FROM {t} GROUP BY ALL"  # the join below never pairs missing keys
    total = con.execute(f"""SELECT sum(l.n * r.n) FROM ({groups.format(c=columns, t="l_records")}) l
                            JOIN ({groups.format(c=columns, t="r_records")}) r USING ({columns})""").fetchone() or (0,)
    total = total[0]
    return int(total or 0)


def training_rules(roles: Collection[str]) -> list[str]:
    """Blocking rules for expectation maximisation, each leaving other comparisons free to estimate.

    Never a postcode or address alone: pairs that share a home are mostly relatives or neighbours, and EM would
    learn "same household" rather than "same person".
    """
    has = set(roles)
    rules = []
    if "date_of_birth" in has:
        rules.append("l.date_of_birth = r.date_of_birth")
    if "identifier" in has:
        rules.append("l.identifier = r.identifier")
    elif {"given_name", "family_name"} <= has:
        rules.append("l.given_name = r.given_name AND l.family_name = r.family_name")
    home = home_role(has)
    if len(rules) < 2 and home:
        name = next((n for n in ("family_name", "given_name") if n in has), None)
        rules.append(f"l.{home} = r.{home} AND l.{name} = r.{name}" if name else f"l.{home} = r.{home}")
    return rules


def deterministic_rules(roles: Collection[str]) -> list[str]:
    """Near-certain rules used only to estimate how many matches to expect (the prior)."""
    has = set(roles)
    rules = []
    if "identifier" in has:
        rules.append("l.identifier = r.identifier")
    if {"given_name", "family_name", "date_of_birth"} <= has:
        rules.append(
            "l.given_name = r.given_name AND l.family_name = r.family_name AND l.date_of_birth = r.date_of_birth"
        )
    return rules or [blocking_rules(roles)[0]]


def pairs_completeness(
    left: pd.DataFrame, right: pd.DataFrame, true_pairs: pd.DataFrame, roles: Collection[str]
) -> float:
    """The share of true pairs that pass at least one blocking rule, so could be scored at all.

    ``left`` and ``right`` are prepared records with their blocking keys (``LinkResult.records``); ``true_pairs``
    has ``left_id`` and ``right_id``. Only possible where the answers are known: synthetic or clerically checked data.
    """
    if true_pairs.empty:
        raise LinkageInputError("no true pairs given, so pairs completeness cannot be measured.")
    con = duckdb.connect()
    con.register("l_records", left)
    con.register("r_records", right)
    con.register("truth", true_pairs[["left_id", "right_id"]].astype("string"))
    passed = " OR ".join(f"({rule})" for rule in blocking_rules(roles, left, right))
    found = con.execute(f"""SELECT count(*) FILTER (WHERE {passed}), count(*) FROM truth t
                            LEFT JOIN l_records l ON l.unique_id = t.left_id
                            LEFT JOIN r_records r ON r.unique_id = t.right_id""").fetchone() or (0, 1)
    return found[0] / found[1]


@dataclass
class LinkResult:
    """What :func:`link_files` produced: the chosen matches, the scored pairs, unlinkable rows and the model."""

    matches: pd.DataFrame
    pairs: pd.DataFrame
    unlinkable: pd.DataFrame
    summary: dict
    linker: Any  # a splink Linker
    seconds: dict[str, float]  # wall time of each step, for benchmarks; never shown in lessons
    review: pd.DataFrame | None = None  # pairs near the threshold for a person to check (clerical_review)
    # The prepared left and right records with blocking keys, for pairs_completeness.
    records: dict[str, pd.DataFrame] | None = None


def quiet_splink() -> None:
    """Keep Splink's progress messages and training notes (levels never seen) out of notebook outputs."""
    for name in ("splink", "duckdb"):
        logging.getLogger(name).setLevel(logging.ERROR)


def train_and_predict(
    left: pd.DataFrame,
    right: pd.DataFrame,
    roles: Collection[str],
    *,
    seed: int = 2020,
    threads: int | None = None,
    keep_pairs_above: float = 0.01,
    u_pairs: float = 2e6,
    em_pairs: float = 1e6,
    prior_recall: float = 0.8,
    connection: duckdb.DuckDBPyConnection | SparkSession | None = None,
    engine: str = "duckdb",
    model: Path | str | dict[str, Any] | None = None,
) -> tuple[Linker, SplinkDataFrame]:
    """Train a Splink model on two prepared tables without labels and score the candidate pairs.

    Returns the linker and the scored pairs as a Splink table. ``threads=1`` gives bit-for-bit repeatable
    training on DuckDB, because floating-point sums then always add in the same order. ``engine`` is duckdb or
    spark (see ``linker_engines``); ``model``, a saved model.json or its dict, scores without training.
    """
    from splink import Linker, SettingsCreator

    from playbook import linker_engines

    quiet_splink()
    db_api = linker_engines.database_api(engine, connection, threads)
    compared: list[Any] = comparisons(roles)  # Splink's creators accept plain dicts and SQL strings as well
    blocking: list[Any] = blocking_rules(roles, left, right)
    settings: SettingsCreator | dict = SettingsCreator(
        link_type="link_only",
        comparisons=compared,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=True,  # the evidence for each pair, for the review file
        retain_matching_columns=True,
        max_iterations=20,
    )
    tables = [db_api.register(left, table_name="left_records"), db_api.register(right, table_name="right_records")]
    if model is not None:  # a saved model (a path or its dict), checked against these roles: score, do not train
        settings = linker_engines.read_model(model)
        linker_engines.check_model(settings, roles)
    linker = Linker(tables, linker_engines.settings_for(engine, settings), log_level=None)
    register_frequencies(linker, db_api, right, roles)
    if model is None:
        linker.training.estimate_probability_two_random_records_match(
            list[Any](deterministic_rules(roles)), recall=prior_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
        for rule in training_rules(roles):
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=em_pairs)
    predictions = linker.inference.predict(threshold_match_probability=keep_pairs_above, warning_mode="never")
    if model is None:
        predictions = refine_prior(
            linker,
            predictions,
            len(left),
            len(right),
            sampled_pairs=min(u_pairs, len(left) * len(right)),
            keep_pairs_above=keep_pairs_above,
        )
    return linker, predictions


def refine_prior(
    linker: Linker,
    predictions: SplinkDataFrame,
    n_left: int,
    n_right: int,
    *,
    sampled_pairs: float,
    keep_pairs_above: float,
) -> SplinkDataFrame:
    """Re-estimate how many matches to expect from the scored pairs, and take those matches out of u.

    The first estimate of the prior counts pairs that agree exactly on both names and the date of birth and assumes
    that 80% of matches do. In messier data far fewer do, so the prior comes out too low and true matches fall
    under the threshold. Here the expected number of matches is the sum over left records of their best pair's
    probability (a record is one person, so it has at most one match), repeated until it settles.

    u comes from random pairs, and random pairs include true matches at the rate of the prior: negligible between
    national files, but between two files of 500 people one random pair in 500 is a match, enough to make an exact
    date of birth look many times commoner by chance than it is. So each level's u loses the matches' share
    (prior times m), never falling below one sampled pair's worth.
    """
    settings = linker._settings_obj
    levels = [
        level
        for comparison in settings.comparisons
        for level in comparison.comparison_levels
        if not level.is_null_level
    ]
    # Splink types m and u as optional; once trained (or read from a model) every non-null level has both.
    sampled_u = [cast(float, level.u_probability) for level in levels]
    prior = settings._probability_two_random_records_match
    for round_ in range(PRIOR_ROUNDS):
        expected = linker.misc.query_sql(
            f"SELECT sum(best) AS n FROM (SELECT max(match_probability) AS best FROM {predictions.physical_name} "
            "GROUP BY unique_id_l) AS b",
            output_type="pandas",
        )["n"].iloc[0]
        new_prior = min(max(float(expected or 0), 1.0) / (n_left * n_right), 0.5)
        if round_ and abs(new_prior - prior) <= PRIOR_TOLERANCE * prior:  # u is corrected at least once
            break
        prior = settings._probability_two_random_records_match = new_prior
        for level, u in zip(levels, sampled_u, strict=True):
            level.u_probability = max(
                (u - prior * cast(float, level.m_probability)) / (1 - prior), min(u, 1 / sampled_pairs)
            )
        predictions = linker.inference.predict(threshold_match_probability=keep_pairs_above, warning_mode="never")
    return predictions


def frequency_columns(roles: Collection[str]) -> list[str]:
    """The columns whose exact agreement is weighed by how common the value is: names and the postal code."""
    return [r for r in (*NAMES, home_role(roles)) if r is not None and r in roles]


def register_frequencies(
    linker: Linker, db_api: DatabaseAPISubClass, right: pd.DataFrame, roles: Collection[str]
) -> None:
    """How common each name and postcode is, counted on the right file only.

    Splink would count both files together, so a person who appears five times in the left file would make their
    own name look common and their true match weak. The right file stands for the population being searched.
    """
    for column in frequency_columns(roles):
        shares = right[column].dropna().value_counts(normalize=True)
        lookup = pd.DataFrame({column: shares.index.astype("string"), f"tf_{column}": shares.to_numpy()})
        table = db_api.register(lookup, table_name=f"frequencies_{column}")
        linker.table_management.register_term_frequency_lookup(table, column)


def level_weights(linker: Linker) -> pd.DataFrame:
    """The trained model as a table: m, u and match weight log2(m/u) for every level of every comparison.

    Levels never seen during training keep Splink's default m (``m_trained`` is False): read their weights as a
    prior, not as evidence from the data.
    """
    rows = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            rows.append(
                {
                    "comparison": comparison.output_column_name,
                    "level": level.label_for_charts,
                    "m": level.m_probability,
                    "u": level.u_probability,
                    "match_weight": level._log2_bayes_factor,
                    "m_trained": isinstance(level._m_probability, float),
                }
            )
    return pd.DataFrame(rows)


def best_match_per_left(pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """For each left record, its highest-probability right record at or above the threshold.

    Ties go to the smaller right id, so the choice never depends on row order.
    """
    kept = pairs[pairs["match_probability"] >= threshold]
    kept = kept.sort_values(["left_id", "match_probability", "right_id"], ascending=[True, False, True])
    return kept.drop_duplicates("left_id").reset_index(drop=True)


def _pairs_frame(predictions: SplinkDataFrame) -> pd.DataFrame:
    """The scored pairs with left ids on the left, whichever order Splink put the two tables in.

    Read through the engine that scored them (DuckDB or Spark), and sorted here, so both give the same frame.
    """
    sql = f"""
        SELECT CASE WHEN source_dataset_l = 'left_records' THEN unique_id_l ELSE unique_id_r END AS left_id,
               CASE WHEN source_dataset_l = 'left_records' THEN unique_id_r ELSE unique_id_l END AS right_id,
               match_weight, match_probability
        FROM {predictions.physical_name}"""
    pairs: pd.DataFrame = predictions.db_api.query_sql(sql, output_type="pandas")
    pairs["left_id"] = pairs["left_id"].astype("string")
    pairs["right_id"] = pairs["right_id"].astype("string")
    return pairs.sort_values(["left_id", "right_id"], ignore_index=True)


def link_frames(
    left: pd.DataFrame,
    right: pd.DataFrame,
    roles_left: Mapping[str, ColumnSpec],
    roles_right: Mapping[str, ColumnSpec],
    *,
    left_name: str = "left",
    right_name: str = "right",
    threshold: float = DEFAULT_THRESHOLD,
    **options: Any,
) -> LinkResult:
    """Link two DataFrames: standardise, train, score and choose the best match per left record."""
    check_options(threshold, **options)
    clock = [("start", time.perf_counter())]
    shared = [r for r in COMPARED_ROLES if r in roles_left and r in roles_right]
    only = sorted((set(roles_left) ^ set(roles_right)) - {"record_id"})
    dropped = {}
    while True:  # a second pass, without them, only if roles had to be dropped as unusable
        if len([r for r in shared if r in INFORMATIVE_ROLES]) < 2:
            raise LinkageInputError(
                f"{left_name} and {right_name} share fewer than two roles to compare "
                f"({', '.join(shared) or 'none'}). Map the same roles on both sides."
            )
        sides = [
            (frame, {r: c for r, c in roles.items() if r in shared or r == "record_id"}, name)
            for frame, roles, name in ((left, roles_left, left_name), (right, roles_right, right_name))
        ]
        (left_ready, left_out), (right_ready, right_out) = prepared = [prepare(*side) for side in sides]
        found: dict = {}
        sparse: dict = {}
        for (frame, roles, name), parts in zip(sides, prepared, strict=True):
            unusable, blank = column_problems(frame, roles, parts, name)
            for role, why in unusable.items():
                found[role] = "; ".join(filter(None, (found.get(role), why)))
            sparse.update({f"{name}.{role}": why for role, why in blank.items()})
        if not found:
            break
        for role, why in found.items():
            warnings.warn(f"{role} dropped from the comparison: {why}.", LinkageWarning, stacklevel=2)
        dropped.update(found)
        shared = [r for r in shared if r not in found]
    for ready, frame, name in ((left_ready, left, left_name), (right_ready, right, right_name)):
        if len(ready) < MIN_RECORDS:
            raise LinkageInputError(
                f"{name}: only {len(ready)} of {len(frame)} rows can be linked; the model needs "
                f"at least {MIN_RECORDS} on each side to learn from. Link a larger file."
            )
    check_trainable(shared)
    for why in sparse.values():
        warnings.warn(f"{why}.", LinkageWarning, stacklevel=2)
    unusable_values = {
        f"{side}.{col.removeprefix('unusable_')}": int(ready[col].sum()) + int(out[col].sum())
        for side, ready, out in ((left_name, left_ready, left_out), (right_name, right_ready, right_out))
        for col in ready.columns
        if col.startswith("unusable_")
    }
    linkable = len(left_ready)
    left_ready, right_ready = (
        pd.concat([ready[["unique_id", *shared]], blocking_keys(ready)], axis=1) for ready in (left_ready, right_ready)
    )  # one copy, shared with the result
    clock.append(("standardise", time.perf_counter()))
    band = options.pop("review_band", clerical_review.REVIEW_BAND)
    from splink.internals.exceptions import SplinkException

    from playbook import linker_engines

    try:
        linker, predictions = train_and_predict(left_ready, right_ready, shared, **options)
    except LinkageInputError:  # a saved model that does not fit these roles: its own message
        raise
    except (ValueError, duckdb.Error, SplinkException) + linker_engines.engine_errors(
        options.get("engine")
    ) as error:  # a backstop for data the checks did not foresee
        raise LinkageInputError(
            f"{left_name} and {right_name}: the model could not be trained ({_short(error)}). "
            "Check the mapping and that the files hold varied records."
        ) from error
    clock.append(("train and score", time.perf_counter()))
    pairs = _pairs_frame(predictions)
    matches = best_match_per_left(pairs, threshold)
    review = clerical_review.review_pairs(linker, predictions, matches, shared, band)
    clock.append(("choose matches", time.perf_counter()))
    unlinkable = pd.concat([left_out.assign(side=left_name), right_out.assign(side=right_name)], ignore_index=True)
    unlinkable = unlinkable[["side", "id", *delivery.EXCEPTION_COLUMNS]]
    summary = {
        "left_records": len(left),
        "right_records": len(right),
        "left_unlinkable": len(left_out),
        "right_unlinkable": len(right_out),
        "left_matched": len(matches),
        "left_unmatched": linkable - len(matches),
        "scored_pairs": len(pairs),
        "threshold": threshold,
        "roles_compared": shared,
        "roles_ignored_as_on_one_side_only": only,
        "roles_dropped_as_unusable": dropped,
        "roles_mostly_blank": sparse,
        "review_pairs": len(review),
        "review_band": list(band),
        "choice": "best match per left record (several left records may share a right record)",
        "unusable_values": unusable_values,
    }
    seconds = {step: round(t - clock[i][1], 2) for i, (step, t) in enumerate(clock[1:])}
    return LinkResult(
        matches,
        pairs,
        unlinkable,
        summary,
        linker,
        seconds,
        review=review,
        records={"left": left_ready, "right": right_ready},
    )


def link_files(
    left: Path | str,
    right: Path | str,
    roles_left: Mapping[str, ColumnSpec],
    roles_right: Mapping[str, ColumnSpec],
    out_dir: Path | str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    overwrite: bool = False,
    **options: Any,
) -> LinkResult:
    """Link two CSV or Parquet files and write the scored pairs, chosen matches, unlinkable rows and model.

    ``roles_left`` and ``roles_right`` map roles (``record_id``, given_name, family_name, date_of_birth, sex,
    postcode, address, identifier) to column names in each file. Only roles mapped on both sides are compared.
    ``out_dir`` is replaced whole, and only if the linker wrote it (or it is empty) unless ``overwrite``.
    """
    left, right = Path(left), Path(right)
    out_dir = check_out(out_dir, overwrite, inputs=(left, right))
    check_options(threshold, **options)
    start = time.perf_counter()
    for path, roles in ((left, roles_left), (right, roles_right)):
        check_roles(roles, _columns(path), str(path))
    with staging(out_dir) as tmp:
        frames = [
            read_table(path, columns=mapped_columns(roles))
            for path, roles in ((left, roles_left), (right, roles_right))
        ]
        result = link_frames(
            frames[0],
            frames[1],
            roles_left,
            roles_right,
            left_name=str(left.name),
            right_name=str(right.name),
            threshold=threshold,
            **options,
        )
        result.seconds = {
            "read": round(time.perf_counter() - start - sum(result.seconds.values()), 2),
            **result.seconds,
        }
        written = time.perf_counter()
        try:
            write_outputs(result, tmp)
        except OSError as error:
            raise OutputFolderError(
                f"{out_dir}: cannot write the outputs ({_short(error)}). The previous output is unchanged."
            ) from error
    result.seconds["write"] = round(time.perf_counter() - written, 2)
    return result


def write_outputs(result: LinkResult, folder: Path) -> None:
    """Every output file, then the marker that lists them (so a later run knows it may replace them)."""
    result.pairs.to_parquet(folder / "scored_pairs.parquet", index=False)
    result.matches.to_parquet(folder / "matches.parquet", index=False)
    result.matches.to_csv(folder / "matches.csv", index=False)
    result.unlinkable.to_csv(folder / "unlinkable.csv", index=False)
    if result.review is not None:
        result.review.to_csv(folder / "review.csv", index=False)
    result.linker.misc.save_model_to_json(str(folder / "model.json"), overwrite=True)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")
    marker = {"written_by": "playbook.splink_linker", "files": sorted(os.listdir(folder))}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


# --- The output folder: checked before any work, written all at once -------------------------------------------


def check_out(out_dir: Path | str, overwrite: bool = False, inputs: Iterable[Path | str] = ()) -> Path:
    """Refuse an output folder that cannot be written, or that holds files the linker did not write.

    Run before reading or training, so a bad ``--out`` is found in a second, not after an hour.
    """
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out}: is a file, not a folder. Give a folder for the outputs.")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputFolderError(
            f"{parent}: is a file, so the output folder {out} cannot be made in it. Give a folder for the outputs."
        )
    if out == out.parent or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{parent}: cannot write there. Choose an output folder you can write to.")
    for path in inputs:
        if Path(path).resolve().is_relative_to(out):
            raise OutputFolderError(
                f"{path}: is inside the output folder {out}, which a run replaces whole. "
                "Choose another folder for the outputs."
            )
    if out.is_dir() and not overwrite:
        foreign = sorted(set(os.listdir(out)) - _written_by_linker(out))
        if foreign:
            raise OutputFolderError(
                f"{out}: holds files the linker did not write ({shorten(', '.join(foreign))}). "
                "Choose a new folder, or pass --overwrite (overwrite=True) to replace the "
                "folder and everything in it."
            )
    return out


def _written_by_linker(folder: Path) -> set:
    try:
        files = json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"]
        return {MARKER, *map(str, files)} if isinstance(files, list) else set()
    except (OSError, ValueError, KeyError, TypeError):
        return set()


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A new temporary folder beside ``out``, moved into place whole if the block succeeds, removed if not.

    The one writer every delivery uses (:func:`outbox.replacing`): private, because the outputs hold personal data,
    and a later run removes folders a killed run left behind. :func:`check_out` has already decided that ``out``
    may be replaced, so everything in it counts as the linker's.
    """
    try:
        with outbox.replacing(out, tag="linker", replace=True, owned=os.listdir, private=True) as tmp:
            yield tmp
    except outbox.FolderRefused as error:
        raise OutputFolderError(f"{out}: {error}") from error
    except OSError as error:
        raise OutputFolderError(
            f"{out}: cannot write or replace it ({_short(error)}). The previous output is unchanged."
        ) from error


def _columns(path: Path) -> list[str]:
    """Column names without reading the whole file, so a bad mapping fails fast."""
    if not path.is_file():
        raise LinkageInputError(f"{path}: no such file. Check the path.")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise LinkageInputError(f"{path}: unknown format {suffix!r}. Give a .csv or .parquet file.")
    try:
        if suffix == ".csv":
            return list(pd.read_csv(path, nrows=0).columns)
        import pyarrow.parquet as pq

        return pq.read_schema(path).names
    except pd.errors.EmptyDataError as error:
        raise LinkageInputError(f"{path}: the file is empty. Check that the export worked.") from error
    except Exception as error:  # pandas, pyarrow and the csv parser raise many types
        raise LinkageInputError(f"{path}: cannot read it as {suffix[1:]} ({type(error).__name__}: {error}).") from error


# --- Command line ----------------------------------------------------------------------------------------------


def parse_mapping(text: str, option: str) -> dict[str, ColumnSpec]:
    """``role=column,role=column`` into a dict, with a clear error for anything else.

    ``role=first+second`` maps a role to several columns, joined with spaces (an address held in parts).
    """
    mapping: dict[str, ColumnSpec] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise LinkageInputError(f"{option}: {item!r} is not role=column (for example given_name=first_name).")
        parts = [part.strip() for part in column.split("+")]
        if not all(parts):
            raise LinkageInputError(
                f"{option}: {item!r} has an empty column name around '+'. Join columns as address=house_number+street."
            )
        mapping[role.strip()] = parts[0] if len(parts) == 1 else parts
    return mapping


def parse_band(text: str) -> tuple[float, float]:
    """``0.2,0.99`` into two numbers; check_options says whether they make a band."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise LinkageInputError(
            f"--review-band: {text!r} is not two numbers LOW,HIGH (for example 0.2,0.99)."
        ) from None
    return low, high


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m playbook.splink_linker",
        description=__doc__.split("\n")[0],
        epilog=f"Roles: {', '.join(ROLES)}. Each left record gets its best match at or above the threshold; several "
        "left records may share one right record. Outputs: scored_pairs.parquet, matches.parquet and .csv, "
        "review.csv (pairs for a person to check; see python -m playbook.clerical_review), unlinkable.csv, "
        "model.json, summary.json. A role may join columns: address=house_number+street.",
    )
    parser.add_argument("--left", required=True, help="CSV or Parquet file whose records you want to link")
    parser.add_argument("--right", required=True, help="CSV or Parquet file to find them in")
    parser.add_argument("--map-left", required=True, help="role=column pairs for the left file, comma separated")
    parser.add_argument("--map-right", help="role=column pairs for the right file (default: same as left)")
    parser.add_argument("--out", required=True, help="folder for the outputs")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"match probability to accept (default {DEFAULT_THRESHOLD})",
    )
    parser.add_argument("--seed", type=int, default=2020, help="seed for sampling during training")
    parser.add_argument(
        "--threads",
        type=int,
        help="threads, or a local Spark session's cores (default all cores; 1 repeats bit for bit)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out even if it holds files the linker did not write (they are deleted)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    parser.add_argument("--timings", action="store_true", help="print the seconds each step took, to stderr")
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where to train and score: duckdb (default, one machine) or spark (a local session; "
        "needs Java and PySpark)",
    )
    parser.add_argument(
        "--review-band",
        default=",".join(map(str, clerical_review.REVIEW_BAND)),
        help="match probabilities LOW,HIGH: pairs between them go to review.csv for a person to "
        "check (default %(default)s)",
    )
    parser.add_argument(
        "--model", help="score with this saved model.json (from a previous run, on either engine) instead of training"
    )
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", LinkageWarning)
            warnings.showwarning = lambda message, *_, **__: print(f"warning: {message}", file=sys.stderr)
            roles_left = parse_mapping(args.map_left, "--map-left")
            roles_right = parse_mapping(args.map_right, "--map-right") if args.map_right else roles_left
            result = link_files(
                args.left,
                args.right,
                roles_left,
                roles_right,
                args.out,
                threshold=args.threshold,
                seed=args.seed,
                threads=args.threads,
                overwrite=args.overwrite,
                engine=args.engine,
                model=args.model,
                review_band=parse_band(args.review_band),
            )
    except (LinkageInputError, ids.StandardisingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"error: interrupted; {args.out} is as it was before the run.", file=sys.stderr)
        return 130
    if not args.quiet:
        print(json.dumps(result.summary, indent=2))
    if args.timings:
        print("seconds: " + ", ".join(f"{k} {v}" for k, v in result.seconds.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
