"""A general probabilistic linker: any two CSV or Parquet files, their columns mapped to standard roles.

Built on Splink with the DuckDB backend, so it runs on one machine at national scale, and the same model could
move to Spark if you outgrow it. It trains without labels: u probabilities from random pairs (which are almost
all different people), m probabilities by expectation maximisation on blocked pairs.

Outputs, written to ``out_dir``:

- ``scored_pairs.parquet``: every candidate pair with a match probability at or above ``keep_pairs_above``;
- ``matches.parquet`` (and ``.csv``): the chosen matches. The choice is the **best match per left record**: each
  left record links to its highest-scoring right record if that scores at least ``threshold``. Several left
  records may link to the same right record (a person who registered twice), so this is not one-to-one;
- ``unlinkable.csv``: left or right records with too little usable information to link, each with the reason;
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
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from playbook import identifiers as ids
from playbook.safe_names import shorten
from playbook.segmentation import run_has_ended

COMPARED_ROLES = ("identifier", "given_name", "family_name", "date_of_birth", "sex", "postcode", "address")
ROLES = ("record_id", *COMPARED_ROLES)
# Roles that on their own say something about who a record is; sex alone does not.
INFORMATIVE_ROLES = ("identifier", "given_name", "family_name", "date_of_birth", "postcode", "address")
STANDARDISERS = {
    "identifier": ids.standardise_identifier,
    "given_name": ids.standardise_name,
    "family_name": ids.standardise_name,
    "sex": ids.standardise_sex,
    "postcode": ids.standardise_postcode,
    "address": ids.standardise_address,
}


# Fewer linkable records than this on a side and the trained weights are noise (and Splink's prior can fail).
MIN_RECORDS = 10
# A role whose given values are mostly unreadable (a column of French postcodes) adds noise, not evidence.
MOSTLY_UNUSABLE = 0.5
MARKER = ".splink_linker.json"  # in every folder the linker wrote: lists its files, so reruns may replace them


class LinkageInputError(ValueError):
    """The input cannot be linked as given; the message names the file or column and what to do."""


class OutputFolderError(LinkageInputError):
    """The output folder cannot be written, or holds files the linker did not write."""


class LinkageWarning(UserWarning):
    """Linking goes on, but differently from what was asked (a role dropped); also recorded in the summary."""


def _short(value, limit: int = 80) -> str:
    """A value (its repr) or an error (its first line) cut to ``limit`` characters, so nothing can flood a message."""
    if isinstance(value, BaseException):
        text = (str(value).strip().splitlines() or [type(value).__name__])[0]
    else:
        text = repr(value)
    return shorten(text, limit)




def check_options(threshold=0.9, threads=None, keep_pairs_above: float = 0.01, **_) -> None:
    """Refuse a threshold or thread count that would give a wrong or failed run, before anything is read.

    ``threshold`` is a match probability; pairs below ``keep_pairs_above`` are never kept, so it cannot be lower.
    """
    def probability(value):
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)

    if not probability(keep_pairs_above) or not 0 < keep_pairs_above <= 1:
        raise LinkageInputError(f"keep_pairs_above {_short(keep_pairs_above)} is not a probability between 0 "
                                "and 1.")
    if not probability(threshold) or not keep_pairs_above <= threshold <= 1:
        raise LinkageInputError(f"threshold {_short(threshold)} is not a match probability between "
                                f"{keep_pairs_above} and 1. Give for example 0.9.")
    if threads is not None and (not isinstance(threads, numbers.Integral) or isinstance(threads, bool)
                                or threads < 1):
        raise LinkageInputError(f"threads {_short(threads)} is not a positive whole number. Give 1 for "
                                "repeatable runs, or leave it out to use every core.")


# --- Reading and preparing -----------------------------------------------------------------------------------


def read_table(path, columns=None) -> pd.DataFrame:
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
        raise LinkageInputError(f"{path}: cannot read it as {suffix[1:]} ({type(error).__name__}: {error}).") \
            from error
    if frame.empty:
        raise LinkageInputError(f"{path}: the file has no rows. Check that the export worked.")
    return frame


def check_roles(roles: dict, available, where: str) -> None:
    """Refuse unknown roles, columns the file does not have, and mappings with too little to link on."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise LinkageInputError(f"{where}: unknown role {', '.join(unknown)}. Use roles from {', '.join(ROLES)}.")
    seen = {}
    for role, col in ((r, c) for r, c in roles.items() if r != "record_id"):  # an id may also be an identifier
        if col in seen:
            raise LinkageInputError(f"{where}: column {_short(col)} is mapped to both {seen[col]} and {role}. "
                                    "Map each column to one role.")
        seen[col] = role
    missing = {role: col for role, col in roles.items() if col not in set(available)}
    if missing:
        listed = ", ".join(f"{role}={_short(col)}" for role, col in missing.items())
        raise LinkageInputError(f"{where}: no column for {listed}. The file has columns "
                                f"{shorten(', '.join(map(str, available)))}. Fix the mapping.")
    informative = [r for r in roles if r in INFORMATIVE_ROLES]
    if len(informative) < 2:
        raise LinkageInputError(
            f"{where}: map at least two of {', '.join(INFORMATIVE_ROLES)} to link on; got "
            f"{', '.join(informative) or 'none'}. One field alone is a lookup, not a linkage.")


def prepare(frame: pd.DataFrame, roles: dict, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
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
            raise LinkageInputError(f"{where}: column {roles['record_id']!r} (record_id) is blank in data row "
                                    f"{int(blank.to_numpy().argmax()) + 1}. Every record needs an id.")
        if out["unique_id"].duplicated().any():
            first = out["unique_id"][out["unique_id"].duplicated()].iloc[0]
            raise LinkageInputError(f"{where}: column {roles['record_id']!r} (record_id) repeats {first!r}. "
                                    "Map a column that identifies each row once, or leave record_id out to use "
                                    "row numbers.")
    else:
        out["unique_id"] = pd.Series(range(1, len(frame) + 1), index=frame.index).astype("string")
    unusable = pd.DataFrame(index=frame.index)
    for role in COMPARED_ROLES:
        if role not in roles:
            continue
        raw = frame[roles[role]]
        if not _given(raw).any():
            raise LinkageInputError(f"{where}: column {_short(roles[role])} ({role}) is blank in every row. Map a "
                                    f"column that holds {role}, or leave {role} out.")
        if role == "date_of_birth":
            dates = ids.parse_dates(raw, where=f"{where}: column {_short(roles[role])} (date_of_birth)")
            out[role] = dates.dt.strftime("%Y-%m-%d").astype("string")
        else:
            out[role] = STANDARDISERS[role](raw).astype("string")
        unusable[role] = ids.unusable(raw, out[role])
    present = out[[r for r in INFORMATIVE_ROLES if r in out]].notna()
    too_little = present.sum(axis=1) < 2
    reasons = [", ".join(c for c, ok in row.items() if not ok) for _, row in present[too_little].iterrows()]
    unlinkable = pd.DataFrame({"record_id": out.loc[too_little, "unique_id"],
                               "reason": [f"fewer than two usable values; missing or unusable: {r}" for r in reasons]},
                              index=out.index[too_little])
    if too_little.all():
        raise LinkageInputError(f"{where}: no row has two usable values to link on. Check the mapping and "
                                "the formats of the mapped columns.")
    flags = unusable.add_prefix("unusable_")
    linkable = pd.concat([out, flags], axis=1)[~too_little].reset_index(drop=True)
    return linkable, pd.concat([unlinkable, flags[too_little]], axis=1).reset_index(drop=True)


def _given(raw: pd.Series) -> pd.Series:
    return raw.astype("string").str.strip().replace("", pd.NA).notna()


def mostly_unusable(frame: pd.DataFrame, roles: dict, prepared, where: str) -> dict:
    """Roles whose given values could mostly not be read, each with the reason, from ``prepare``'s flags."""
    found = {}
    for role, col in roles.items():
        if role in COMPARED_ROLES:
            bad = int(sum(part[f"unusable_{role}"].sum() for part in prepared))
            given = int(_given(frame[col]).sum())
            if bad > given * MOSTLY_UNUSABLE:
                found[role] = (f"{where}: {bad} of {given} values in column {_short(col)} could not be read as "
                               f"{role}")
    return found


def check_trainable(roles) -> None:
    """Each training rule must leave a comparison free to learn from; names alone, for example, leave none."""
    for rule in training_rules(roles):
        if not [r for r in roles if f"l.{r} " not in rule + " "]:
            raise LinkageInputError(f"with only {', '.join(roles)} to compare, training has nothing to learn from "
                                    "(it pairs records that already agree on all of them). Map date_of_birth, "
                                    "identifier or postcode on both sides as well.")


# --- The model -----------------------------------------------------------------------------------------------


def _level(sql, label, null=False):
    level = {"sql_condition": sql, "label_for_charts": label}
    return {**level, "is_null_level": True} if null else level


def _null(col):
    return _level(f'"{col}_l" IS NULL OR "{col}_r" IS NULL', f"{col} missing", null=True)


def comparisons(roles) -> list[dict]:
    """One comparison per compared role, each with levels from strongest agreement to disagreement."""
    out = []
    if "identifier" in roles:
        out.append({"output_column_name": "identifier", "comparison_levels": [
            _null("identifier"),
            _level("identifier_l = identifier_r", "exact"),
            _level("damerau_levenshtein(identifier_l, identifier_r) <= 1", "one typo or swap"),
            _level("ELSE", "different")]})
    names = [r for r in ("given_name", "family_name") if r in roles]
    for role in names:
        other = "family_name" if role == "given_name" else "given_name"
        levels = [_null(role), _level(f"{role}_l = {role}_r", "exact")]
        if len(names) == 2:  # names typed in each other's boxes
            levels.append(_level(f"{role}_l = {other}_r", "matches the other name"))
        levels += [_level(f"jaro_winkler_similarity({role}_l, {role}_r) >= 0.92", "Jaro-Winkler >= 0.92"),
                   _level(f"jaro_winkler_similarity({role}_l, {role}_r) >= 0.80", "Jaro-Winkler >= 0.80"),
                   _level("ELSE", "different")]
        out.append({"output_column_name": role, "comparison_levels": levels})
    if "date_of_birth" in roles:
        d = "date_of_birth"
        out.append({"output_column_name": d, "comparison_levels": [
            _null(d),
            _level(f"{d}_l = {d}_r", "exact"),
            _level(f"substr({d}_l, 1, 4) = substr({d}_r, 1, 4) AND substr({d}_l, 6, 2) = substr({d}_r, 9, 2) "
                   f"AND substr({d}_l, 9, 2) = substr({d}_r, 6, 2)", "day and month swapped"),
            _level(f"damerau_levenshtein({d}_l, {d}_r) <= 1", "one digit different"),
            _level(f"substr({d}_l, 1, 4) = substr({d}_r, 1, 4)", "same year"),
            _level("ELSE", "different")]})
    if "sex" in roles:
        out.append({"output_column_name": "sex", "comparison_levels": [
            _null("sex"), _level("sex_l = sex_r", "same"), _level("ELSE", "different")]})
    if "postcode" in roles or "address" in roles:
        out.append(home_comparison(roles))
    return out


def home_comparison(roles) -> dict:
    """Postcode and first address line compared together, as one piece of evidence about where someone lives.

    Compared separately they would count the same fact twice, and relatives who share a home would look like the
    same person.
    """
    p, a = "postcode", "address"
    sector = (f"split_part({p}_l, ' ', 1) || substr(split_part({p}_l, ' ', 2), 1, 1) = "
              f"split_part({p}_r, ' ', 1) || substr(split_part({p}_r, ' ', 2), 1, 1)")
    district = f"split_part({p}_l, ' ', 1) = split_part({p}_r, ' ', 1)"
    similar = f"jaro_winkler_similarity({a}_l, {a}_r) >= 0.9"
    if a not in roles:
        levels = [_null(p), _level(f"{p}_l = {p}_r", "same postcode"), _level(sector, "same postcode sector"),
                  _level(district, "same postcode district")]
    elif p not in roles:
        levels = [_null(a), _level(f"{a}_l = {a}_r", "same address"), _level(similar, "similar address")]
    else:
        levels = [
            _level(f"({p}_l IS NULL OR {p}_r IS NULL) AND ({a}_l IS NULL OR {a}_r IS NULL)", "home missing",
                   null=True),
            _level(f"{p}_l = {p}_r AND {a}_l = {a}_r", "same postcode and address"),
            _level(f"{p}_l = {p}_r AND {similar}", "same postcode, similar address"),
            _level(f"{a}_l = {a}_r", "same address, different postcode"),
            _level(f"{p}_l = {p}_r", "same postcode, different address"),
            _level(sector, "same postcode sector"),
            _level(district, "same postcode district"),
        ]
    return {"output_column_name": "home", "comparison_levels": [*levels, _level("ELSE", "different")]}


def blocking_rules(roles) -> list[str]:
    """Which pairs to score at all. Each rule is cheap and catches matches the others miss.

    Scoring every pair of 1.1 million by 2.2 million records is 2.5 trillion comparisons; these rules cut that
    to a few per record, and a true match is lost only if it fails every rule.
    """
    has = set(roles)
    rules = []
    if "identifier" in has:
        rules.append("l.identifier = r.identifier")
    if "date_of_birth" in has:
        name = name_role(has)
        if name:  # the first two letters: robust to typos later in the name
            rules.append(f"l.date_of_birth = r.date_of_birth AND substr(l.{name}, 1, 2) = substr(r.{name}, 1, 2)")
        if {"given_name", "family_name"} <= has:  # names typed in each other's boxes
            rules.append("l.date_of_birth = r.date_of_birth AND substr(l.given_name, 1, 2) = "
                         "substr(r.family_name, 1, 2) AND substr(l.family_name, 1, 2) = substr(r.given_name, 1, 2)")
        if "postcode" in has:  # a typo at the start of the name
            rules.append("l.date_of_birth = r.date_of_birth AND l.postcode = r.postcode")
    if "postcode" in has and name_role(has):  # a wrong or swapped date of birth, same home
        rules.append(f"l.postcode = r.postcode AND l.{name_role(has)} = r.{name_role(has)}")
    elif "postcode" in has and "address" in has:
        rules.append("l.postcode = r.postcode AND l.address = r.address")
    if {"given_name", "family_name"} <= has:  # a wrong date of birth and a new home
        year = " AND substr(l.date_of_birth, 1, 4) = substr(r.date_of_birth, 1, 4)" \
            if "date_of_birth" in has else ""
        rules.append(f"l.given_name = r.given_name AND l.family_name = r.family_name{year}")
    if not rules:  # for example only address and one name: block on the address
        first = next(r for r in INFORMATIVE_ROLES if r in has)
        rules.append(f"l.{first} = r.{first}")
    return rules


def name_role(has):
    """The name role to block on: family names vary less than given names (no short forms)."""
    return "family_name" if "family_name" in has else "given_name" if "given_name" in has else None


def training_rules(roles) -> list[str]:
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
    if len(rules) < 2 and "postcode" in has:
        name = next((n for n in ("family_name", "given_name") if n in has), None)
        rules.append(f"l.postcode = r.postcode AND l.{name} = r.{name}" if name else "l.postcode = r.postcode")
    return rules


def deterministic_rules(roles) -> list[str]:
    """Near-certain rules used only to estimate how many matches to expect (the prior)."""
    has = set(roles)
    rules = []
    if "identifier" in has:
        rules.append("l.identifier = r.identifier")
    if {"given_name", "family_name", "date_of_birth"} <= has:
        rules.append("l.given_name = r.given_name AND l.family_name = r.family_name AND "
                     "l.date_of_birth = r.date_of_birth")
    return rules or [blocking_rules(roles)[0]]


@dataclass
class LinkResult:
    """What :func:`link_files` produced: the chosen matches, the scored pairs, unlinkable rows and the model."""

    matches: pd.DataFrame
    pairs: pd.DataFrame
    unlinkable: pd.DataFrame
    summary: dict
    linker: object
    seconds: dict  # wall time of each step, for benchmarks; never shown in lessons


def quiet_splink() -> None:
    """Keep Splink's progress messages and training notes (levels never seen) out of notebook outputs."""
    for name in ("splink", "duckdb"):
        logging.getLogger(name).setLevel(logging.ERROR)


def train_and_predict(left: pd.DataFrame, right: pd.DataFrame, roles, *, seed: int = 2020, threads: int | None = None,
                      keep_pairs_above: float = 0.01, u_pairs: float = 2e6, em_pairs: float = 1e6,
                      prior_recall: float = 0.8, connection=None):
    """Train a Splink model on two prepared tables without labels and score the candidate pairs.

    Returns the linker and the scored pairs as a DuckDB table name. ``threads=1`` gives bit-for-bit repeatable
    training, because floating-point sums then always add in the same order.
    """
    from splink import DuckDBAPI, Linker, SettingsCreator

    quiet_splink()
    con = connection or duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(roles),
        blocking_rules_to_generate_predictions=blocking_rules(roles),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
        max_iterations=20,
    )
    tables = [db_api.register(left, table_name="left_records"), db_api.register(right, table_name="right_records")]
    linker = Linker(tables, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic_rules(roles), recall=prior_recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for rule in training_rules(roles):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=em_pairs)
    predictions = linker.inference.predict(threshold_match_probability=keep_pairs_above, warning_mode="never")
    return linker, predictions


def level_weights(linker) -> pd.DataFrame:
    """The trained model as a table: m, u and match weight log2(m/u) for every level of every comparison.

    Levels never seen during training keep Splink's default m (``m_trained`` is False): read their weights as a
    prior, not as evidence from the data.
    """
    rows = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            rows.append({"comparison": comparison.output_column_name, "level": level.label_for_charts,
                         "m": level.m_probability, "u": level.u_probability,
                         "match_weight": level._log2_bayes_factor,
                         "m_trained": isinstance(level._m_probability, float)})
    return pd.DataFrame(rows)


def best_match_per_left(pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """For each left record, its highest-probability right record at or above the threshold.

    Ties go to the smaller right id, so the choice never depends on row order.
    """
    kept = pairs[pairs["match_probability"] >= threshold]
    kept = kept.sort_values(["left_id", "match_probability", "right_id"], ascending=[True, False, True])
    return kept.drop_duplicates("left_id").reset_index(drop=True)


def _pairs_frame(con, predictions) -> pd.DataFrame:
    """The scored pairs with left ids on the left, whichever order Splink put the two tables in."""
    sql = f"""
        SELECT CASE WHEN source_dataset_l = 'left_records' THEN unique_id_l ELSE unique_id_r END AS left_id,
               CASE WHEN source_dataset_l = 'left_records' THEN unique_id_r ELSE unique_id_l END AS right_id,
               match_weight, match_probability
        FROM {predictions.physical_name}
        ORDER BY left_id, right_id"""
    pairs = con.execute(sql).df()
    pairs["left_id"] = pairs["left_id"].astype("string")
    pairs["right_id"] = pairs["right_id"].astype("string")
    return pairs


def link_frames(left: pd.DataFrame, right: pd.DataFrame, roles_left: dict, roles_right: dict, *,
                left_name: str = "left", right_name: str = "right", threshold: float = 0.9, **options) -> LinkResult:
    """Link two DataFrames: standardise, train, score and choose the best match per left record."""
    check_options(threshold, **options)
    clock = [("start", time.perf_counter())]
    shared = [r for r in COMPARED_ROLES if r in roles_left and r in roles_right]
    only = sorted((set(roles_left) ^ set(roles_right)) - {"record_id"})
    dropped = {}
    while True:  # a second pass, without them, only if roles had to be dropped as unusable
        if len([r for r in shared if r in INFORMATIVE_ROLES]) < 2:
            raise LinkageInputError(f"{left_name} and {right_name} share fewer than two roles to compare "
                                    f"({', '.join(shared) or 'none'}). Map the same roles on both sides.")
        sides = [(frame, {r: c for r, c in roles.items() if r in shared or r == "record_id"}, name)
                 for frame, roles, name in ((left, roles_left, left_name), (right, roles_right, right_name))]
        (left_ready, left_out), (right_ready, right_out) = prepared = [prepare(*side) for side in sides]
        found = {}
        for (frame, roles, name), parts in zip(sides, prepared):
            for role, why in mostly_unusable(frame, roles, parts, name).items():
                found[role] = "; ".join(filter(None, (found.get(role), why)))
        if not found:
            break
        for role, why in found.items():
            warnings.warn(f"{role} dropped from the comparison: {why}.", LinkageWarning, stacklevel=2)
        dropped.update(found)
        shared = [r for r in shared if r not in found]
    for ready, frame, name in ((left_ready, left, left_name), (right_ready, right, right_name)):
        if len(ready) < MIN_RECORDS:
            raise LinkageInputError(f"{name}: only {len(ready)} of {len(frame)} rows can be linked; the model needs "
                                    f"at least {MIN_RECORDS} on each side to learn from. Link a larger file.")
    check_trainable(shared)
    clock.append(("standardise", time.perf_counter()))
    con = options.pop("connection", None) or duckdb.connect()
    from splink.internals.exceptions import SplinkException
    try:
        linker, predictions = train_and_predict(left_ready[["unique_id", *shared]],
                                                right_ready[["unique_id", *shared]], shared, connection=con,
                                                **options)
    except (ValueError, duckdb.Error, SplinkException) as error:  # a backstop for data the checks did not foresee
        raise LinkageInputError(f"{left_name} and {right_name}: the model could not be trained ({_short(error)}). "
                                "Check the mapping and that the files hold varied records.") from error
    clock.append(("train and score", time.perf_counter()))
    pairs = _pairs_frame(con, predictions)
    matches = best_match_per_left(pairs, threshold)
    clock.append(("choose matches", time.perf_counter()))
    unlinkable = pd.concat([left_out.assign(side=left_name), right_out.assign(side=right_name)], ignore_index=True)
    unlinkable = unlinkable[["side", "record_id", "reason"]]
    summary = {
        "left_records": len(left), "right_records": len(right),
        "left_unlinkable": len(left_out), "right_unlinkable": len(right_out),
        "left_matched": len(matches), "left_unmatched": len(left_ready) - len(matches),
        "scored_pairs": len(pairs), "threshold": threshold, "roles_compared": shared,
        "roles_ignored_as_on_one_side_only": only, "roles_dropped_as_unusable": dropped,
        "choice": "best match per left record (several left records may share a right record)",
        "unusable_values": {f"{side}.{col.removeprefix('unusable_')}": int(frame[col].sum())
                            for side, frame in ((left_name, pd.concat([left_ready, left_out])),
                                                (right_name, pd.concat([right_ready, right_out])))
                            for col in frame.columns if col.startswith("unusable_")},
    }
    seconds = {step: round(t - clock[i][1], 2) for i, (step, t) in enumerate(clock[1:])}
    return LinkResult(matches, pairs, unlinkable, summary, linker, seconds)


def link_files(left, right, roles_left: dict, roles_right: dict, out_dir, *, threshold: float = 0.9,
               overwrite: bool = False, **options) -> LinkResult:
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
        frames = [read_table(path, columns=list(dict.fromkeys(roles.values())))
                  for path, roles in ((left, roles_left), (right, roles_right))]
        result = link_frames(frames[0], frames[1], roles_left, roles_right, left_name=str(left.name),
                             right_name=str(right.name), threshold=threshold, **options)
        result.seconds = {"read": round(time.perf_counter() - start - sum(result.seconds.values()), 2),
                          **result.seconds}
        written = time.perf_counter()
        try:
            write_outputs(result, tmp)
        except OSError as error:
            raise OutputFolderError(f"{out_dir}: cannot write the outputs ({_short(error)}). The previous output "
                                    "is unchanged.") from error
    result.seconds["write"] = round(time.perf_counter() - written, 2)
    return result


def write_outputs(result: LinkResult, folder: Path) -> None:
    """Every output file, then the marker that lists them (so a later run knows it may replace them)."""
    result.pairs.to_parquet(folder / "scored_pairs.parquet", index=False)
    result.matches.to_parquet(folder / "matches.parquet", index=False)
    result.matches.to_csv(folder / "matches.csv", index=False)
    result.unlinkable.to_csv(folder / "unlinkable.csv", index=False)
    result.linker.misc.save_model_to_json(str(folder / "model.json"), overwrite=True)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")
    marker = {"written_by": "playbook.splink_linker", "files": sorted(os.listdir(folder))}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


# --- The output folder: checked before any work, written all at once -------------------------------------------


def check_out(out_dir, overwrite: bool = False, inputs=()) -> Path:
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
        raise OutputFolderError(f"{parent}: is a file, so the output folder {out} cannot be made in it. Give a "
                                "folder for the outputs.")
    if out == out.parent or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{parent}: cannot write there. Choose an output folder you can write to.")
    for path in inputs:
        if Path(path).resolve().is_relative_to(out):
            raise OutputFolderError(f"{path}: is inside the output folder {out}, which a run replaces whole. "
                                    "Choose another folder for the outputs.")
    if out.is_dir() and not overwrite:
        foreign = sorted(set(os.listdir(out)) - _written_by_linker(out))
        if foreign:
            raise OutputFolderError(f"{out}: holds files the linker did not write ({shorten(', '.join(foreign))}). "
                                    "Choose a new folder, or pass --overwrite (overwrite=True) to replace the "
                                    "folder and everything in it.")
    return out


def _written_by_linker(folder: Path) -> set:
    try:
        files = json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"]
        return {MARKER, *map(str, files)} if isinstance(files, list) else set()
    except (OSError, ValueError, KeyError, TypeError):
        return set()


@contextlib.contextmanager
def staging(out: Path):
    """A new temporary folder beside ``out``, renamed into place if the block succeeds, removed if not.

    Its name starts ``.<out>.linker-tmp-<process id>-``, so a later run can remove folders left by a killed run
    (they hold personal data) without touching one a running process is still filling.
    """
    prefix = f".{out.name}.linker-tmp-"
    if out.parent.is_dir():
        for folder in out.parent.iterdir():
            pid = folder.name.removeprefix(prefix).split("-")[0]
            if folder.name.startswith(prefix) and pid.isdigit() and run_has_ended(int(pid), folder):
                shutil.rmtree(folder, ignore_errors=True)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=out.parent))
    except OSError as error:
        raise OutputFolderError(f"{out.parent}: cannot write there ({_short(error)}). Choose an output folder you "
                                "can write to.") from error
    old = tmp.with_name(tmp.name + "-old")  # the previous output while the new one moves in
    try:
        yield tmp
        try:
            if out.exists():
                os.replace(out, old)
            os.replace(tmp, out)
        except OSError as error:
            raise OutputFolderError(f"{out}: cannot replace it ({_short(error)}). The previous output is "
                                    "unchanged.") from error
    finally:
        if old.exists() and not out.exists():  # stopped between the two renames: put the previous one back
            os.replace(old, out)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


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
        raise LinkageInputError(f"{path}: cannot read it as {suffix[1:]} ({type(error).__name__}: {error}).") \
            from error


# --- Command line ----------------------------------------------------------------------------------------------


def parse_mapping(text: str, option: str) -> dict:
    """``role=column,role=column`` into a dict, with a clear error for anything else."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise LinkageInputError(f"{option}: {item!r} is not role=column (for example given_name=first_name).")
        mapping[role.strip()] = column.strip()
    return mapping


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m playbook.splink_linker", description=__doc__.split("\n")[0],
        epilog=f"Roles: {', '.join(ROLES)}. Each left record gets its best match at or above the threshold; several "
               "left records may share one right record. Outputs: scored_pairs.parquet, matches.parquet and .csv, "
               "unlinkable.csv, model.json, summary.json.")
    parser.add_argument("--left", required=True, help="CSV or Parquet file whose records you want to link")
    parser.add_argument("--right", required=True, help="CSV or Parquet file to find them in")
    parser.add_argument("--map-left", required=True, help="role=column pairs for the left file, comma separated")
    parser.add_argument("--map-right", help="role=column pairs for the right file (default: same as left)")
    parser.add_argument("--out", required=True, help="folder for the outputs")
    parser.add_argument("--threshold", type=float, default=0.9, help="match probability to accept (default 0.9)")
    parser.add_argument("--seed", type=int, default=2020, help="seed for sampling during training")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default all cores; 1 repeats bit for bit)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out even if it holds files the linker did not write (they are deleted)")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    parser.add_argument("--timings", action="store_true", help="print the seconds each step took, to stderr")
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", LinkageWarning)
            warnings.showwarning = lambda message, *_, **__: print(f"warning: {message}", file=sys.stderr)
            roles_left = parse_mapping(args.map_left, "--map-left")
            roles_right = parse_mapping(args.map_right, "--map-right") if args.map_right else roles_left
            result = link_files(args.left, args.right, roles_left, roles_right, args.out, threshold=args.threshold,
                                seed=args.seed, threads=args.threads, overwrite=args.overwrite)
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
