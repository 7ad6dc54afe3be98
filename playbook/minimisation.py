"""Data minimisation that executes: make the extract for one recipient from the purpose specification.

:func:`make_extract` reads the recipient's entry in the purpose specification (see :mod:`playbook.purpose`) and
returns only the fields the specification justifies for that recipient and only the rows it covers. A request
for any other field is refused with the reason, an unknown recipient or a missing column is a clear error, and a
row that cannot be placed inside or outside the scope (a consent answer that is neither yes nor no, a date of death
that is neither blank nor a date) goes to an exceptions table with the reason. Null markers such as ``NULL`` count
as blank (:func:`playbook.purpose.is_blank`). The result always balances: rows in = rows out + rows outside the scope +
exceptions.

The generalisers (:func:`age_band`, :func:`postcode_district`, :func:`postcode_sector`) coarsen quasi-identifiers
when a recipient needs less detail than the source holds; :mod:`playbook.risk` measures what they achieve.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook import delivery, identifiers, purpose

TRUE_WORDS, FALSE_WORDS = purpose.TRUE_WORDS, purpose.FALSE_WORDS
EXCEPTION_COLUMNS = delivery.EXCEPTION_COLUMNS
#: An extract cannot be made as asked: unknown recipient, missing column or a bad argument (the one door's refusal).
ExtractError = delivery.DeliveryRefused
#: A requested field is outside the purpose for this recipient. ``decisions`` holds each refusal.
FieldRefused = delivery.FieldRefused


@dataclass(frozen=True)
class Extract(delivery.Delivery):
    """One recipient's extract (a :class:`~playbook.delivery.Delivery` with one table, named by the recipient),
    what was kept back, and the counts that prove no row went missing."""

    fields: dict[str, str] = field(default_factory=dict)  # field -> why the recipient needs it

    @property
    def data(self) -> pd.DataFrame:
        """The rows and fields the recipient receives."""
        return self.tables[self.recipient]

    @property
    def rows_out(self) -> int:
        return len(self.data)

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_out + self.rows_out_of_scope + len(self.exceptions)

    def counts(self) -> pd.DataFrame:
        """The reconciliation a data protection officer can sign off: where every input row went."""
        return pd.DataFrame(
            {"rows": [self.rows_in, self.rows_out, self.rows_out_of_scope, len(self.exceptions)]},
            index=pd.Index(["in", "sent", "outside the scope", "exceptions"], name=self.recipient),
        )


# ---------------------------------------------------------------------------------------------------------------
# Row scope, vectorised
# ---------------------------------------------------------------------------------------------------------------


def as_yes_no(values: pd.Series) -> pd.Series:
    """Read yes/no answers into a nullable boolean: True, False, or ``<NA>`` when the answer is neither.

    Booleans pass through; text such as ``yes``, ``Y``, ``true`` or ``1`` (any case) counts as yes and ``no``,
    ``N``, ``false`` or ``0`` as no. Anything else (blank, ``maybe``, ``unsure``) is unknown, never guessed.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
    out[text.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
    return out


def blank(values: pd.Series) -> pd.Series:
    """True where a value is missing, is text with nothing visible in it, or is a null marker such as ``NULL``:
    :func:`playbook.purpose.is_blank` for a whole column, fast on typed columns (dates, text) and value by value on
    mixed ones."""
    if pd.api.types.is_object_dtype(values):
        return values.map(purpose.is_blank).astype(bool)
    missing = values.isna().to_numpy(dtype=bool, copy=True)
    if pd.api.types.is_string_dtype(values):
        text = values.str.translate(purpose.INVISIBLE).str.strip().str.lower()
        missing |= (text.eq("") | text.isin(purpose.NULL_MARKERS)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(missing, index=values.index)


def scope_condition(records: pd.DataFrame, rule: purpose.RowFilter) -> pd.Series:
    """One row-scope condition as True / False / <NA> (cannot tell) for every row: :meth:`RowFilter.decide
    <playbook.purpose.RowFilter.decide>` for a whole table, with the same answers."""
    column = records[rule.column]
    empty = blank(column)
    if rule.operator == "is_blank":
        state = pd.Series(empty if rule.value else ~empty, index=records.index, dtype="boolean")
        if not purpose.is_date_column(rule.column) or pd.api.types.is_datetime64_any_dtype(column):
            return state  # blank or not is a definite answer
        present = ~empty.to_numpy(dtype=bool)
        odd = np.zeros(len(column), dtype=bool)  # neither blank nor a date: checked only where there is a value
        odd[present] = ~column[present].map(purpose.is_date).to_numpy(dtype=bool)
        return state.mask(odd)
    if rule.reads_yes_no:
        column = as_yes_no(column)
    if rule.operator == "in":
        result = column.isin(list(rule.value)).astype("boolean")
    else:
        result = (column == rule.value).astype("boolean")
        if rule.operator == "not_equals":
            result = ~result
    return result.mask(empty.to_numpy() | column.isna().to_numpy(dtype=bool))


def cannot_place(rule: purpose.RowFilter, scope: str) -> str:
    """Why a row whose value ``rule`` cannot test is an exception (the reason ends with what to do)."""
    what = (
        "neither blank nor a date written YYYY-MM-DD"
        if rule.operator == "is_blank"
        else "neither yes nor no"
        if rule.reads_yes_no
        else "not a value the scope can test"
    )
    return f"{what}, so the row cannot be placed inside or outside the scope ({scope}). Ask the source to correct it."


_condition = scope_condition  # the name the tests of the single-record rule use


def _exceptions(records: pd.DataFrame, unknown: np.ndarray, tests: list[tuple[str, pd.Series, str]]) -> pd.DataFrame:
    """One exceptions row per row that cannot be placed, naming the first test it could not be put to.

    ``tests`` holds (column, state, why) for each condition; ``why`` ends the reason. Only the row label, the
    column and its value are kept: the exceptions go back to the source, not to the recipient.
    """
    parts = [pd.DataFrame(columns=EXCEPTION_COLUMNS)]
    remaining = unknown.copy()
    for column, state, why in tests:
        hit = remaining & state.isna().to_numpy(dtype=bool)
        if not hit.any():
            continue
        values = records.loc[hit, column]
        described = values.map(delivery.describe_value).astype("string")
        parts.append(
            pd.DataFrame(
                {
                    "row": values.index,
                    "column": column,
                    "value": values.astype("string").to_numpy(),
                    "reason": (column + " is " + described + ": " + why).to_numpy(),
                }
            )
        )
        remaining &= ~hit
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)[EXCEPTION_COLUMNS]


# ---------------------------------------------------------------------------------------------------------------
# The extract
# ---------------------------------------------------------------------------------------------------------------


def make_extract(
    spec: purpose.PurposeSpec,
    recipient_id: str,
    records: pd.DataFrame,
    *,
    fields: list[str] | None = None,
    partition: str | None = None,
    on: _dt.date | None = None,
    allow_empty_partition: bool = False,
) -> Extract:
    """The extract for one recipient: only justified fields, only rows in scope, exceptions kept apart.

    - ``fields``: the fields asked for; default every field the specification justifies for the recipient. Any
      field outside the purpose is refused with :class:`FieldRefused`, which gives the reason for each.
    - ``partition``: for a recipient split by organisation (``partition_by`` in the specification, such as local
      authorities by ``local_authority_code``), the organisation whose rows to send. Rows for other
      organisations are outside the scope; rows with no value go to the exceptions. A value that no record
      holds is refused, because a mistyped code would otherwise give an empty extract that looks like "nobody";
      pass ``allow_empty_partition=True`` when an organisation may rightly have no rows.
    - ``on``: the date the extract is made. Outside the purpose's dates every field is refused: keep data only
      as long as the purpose lasts.

    ``records`` must use the specification's field names as column names: :func:`service_records` renames the
    list's columns by reading each field's ``source``.
    """
    recipient = delivery.recipient(spec, recipient_id)
    wanted = list(recipient.fields) if fields is None else list(dict.fromkeys(fields))
    if not wanted:
        raise ExtractError(f"no fields asked for recipient {recipient_id!r}")
    decisions = delivery.check_fields(spec, recipient_id, wanted, on=on)

    rules = list(recipient.row_scope)
    if recipient.partition_by and partition is None:
        raise ExtractError(
            f"recipient {recipient_id!r} receives only its own rows, split by "
            f"{recipient.partition_by}: name the organisation, for example partition='E09000001'"
        )
    if partition is not None and not recipient.partition_by:
        raise ExtractError(f"recipient {recipient_id!r} is not split by organisation; leave out partition")
    needed = wanted + [r.column for r in rules] + ([recipient.partition_by] if recipient.partition_by else [])
    missing = [c for c in dict.fromkeys(needed) if c not in records.columns]
    if missing:
        sources = [
            f"{c} from {' or '.join(spec.fields[c].source)}"
            for c in missing
            if c in spec.fields and spec.fields[c].source
        ]
        hint = f" The specification says where each comes from: {'; '.join(sources)}." if sources else ""
        raise ExtractError(
            f"the data has no column {', '.join(map(repr, missing))}, needed for recipient "
            f"{recipient_id!r}. Columns present: {', '.join(map(str, records.columns))}. Name the "
            f"columns as the specification's fields (service_records does it for the list).{hint}"
        )

    scope = recipient.describe_rows()
    tests = []
    for rule in rules:
        tests.append((rule.column, scope_condition(records, rule), cannot_place(rule, scope)))
    if recipient.partition_by:
        column = records[recipient.partition_by]
        if not allow_empty_partition and not column.eq(partition).any():
            present = sorted({str(v) for v in column.dropna().unique()})
            shown = ", ".join(present[:10]) + (", ..." if len(present) > 10 else "")
            raise ExtractError(
                f"no record has {recipient.partition_by} {purpose.shorten(str(partition))!r}; check "
                f"the code (values in the data: {shown or 'none'}), or pass "
                "allow_empty_partition=True if this organisation has no rows"
            )
        tests.append(
            (
                recipient.partition_by,
                (column == partition).astype("boolean").mask(blank(column).to_numpy()),
                "the row cannot be sent to any organisation. Ask the source to correct it.",
            )
        )
    n = len(records)
    outside = np.zeros(n, dtype=bool)
    unknown = np.zeros(n, dtype=bool)
    for _, state, _ in tests:
        outside |= state.eq(False).fillna(False).to_numpy(dtype=bool)
        unknown |= state.isna().to_numpy(dtype=bool)
    unknown &= ~outside  # a row already outside on one condition is outside, whatever the others say
    keep = ~(outside | unknown)
    exceptions = _exceptions(records, unknown, tests)

    result = Extract(
        recipient=recipient_id,
        tables={recipient_id: records.loc[keep, wanted].copy()},
        exceptions=exceptions.reset_index(drop=True),
        rows_in=n,
        rows_out_of_scope=int(outside.sum()),
        fields={d.item: d.reason for d in decisions},
        scope=scope if partition is None else f"{scope} ({recipient.partition_by} {partition})",
    )
    if not result.balanced:  # a bug, never bad input: stop rather than send an unexplained extract
        raise AssertionError(f"extract for {recipient_id!r} does not balance: {result.counts()['rows'].to_dict()}")
    return result


def withheld(spec: purpose.PurposeSpec, recipient_id: str, columns: Iterable[str]) -> pd.DataFrame:
    """Every column of the source that the recipient does not receive, with the reason: the refusals at a glance."""
    spec.recipient(recipient_id, ExtractError)
    rows = []
    for name in columns:
        decision = purpose.check_field(spec, recipient_id, name)
        if not decision.allowed:
            rows.append({"field": name, "reason": decision.reason})
    return pd.DataFrame(rows, columns=["field", "reason"])


# ---------------------------------------------------------------------------------------------------------------
# The service's own table, with the specification's field names
# ---------------------------------------------------------------------------------------------------------------


def service_records(
    spl: pd.DataFrame, registrations: pd.DataFrame, spec: purpose.PurposeSpec | None = None
) -> pd.DataFrame:
    """The table the service held: the list with the specification's field names, plus what registration added.

    Which column becomes which field is read from each field's ``source`` in the specification (default: the
    built-in shielding one), so the renaming lives in one place. A field from one ``spl`` column is that column
    renamed; a field from several (``phone``: mobile, else landline) takes the first that is not blank, and the
    columns it came from are dropped. Columns with no field keep their names.

    A registration is joined to the list only on an exact NHS number (spaces removed); where a person
    registered twice the latest registration counts. A field whose source is ``registrations.nhs_number``, the
    join key, says whether a registration was found; other ``registrations`` fields take that registration's
    answer, blank when none was found. Registrations without a usable NHS number are left unmatched here: the
    linkage lessons show how to find them. Fields from other tables (``uprn``, from the address register) are not
    here; a recipient that needs one gets a missing-column error until it is added.
    """
    spec = spec or purpose.load_builtin("shielding")
    from_spl = purpose.source_columns(spec, "spl")
    from_regs = purpose.source_columns(spec, "registrations")
    spl_columns = ["nhs_number", *(c for cols in from_spl.values() for c in cols)]
    reg_columns = ["nhs_number", "registered_on", *(c for cols in from_regs.values() for c in cols)]
    for name, frame, columns in (("spl", spl, spl_columns), ("registrations", registrations, reg_columns)):
        missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
        if missing:
            raise ExtractError(
                f"table {name} has no column {', '.join(map(repr, missing))}, which the "
                f"specification {spec.id!r} names as a source"
            )
    used = [c for cols in from_spl.values() for c in cols]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        raise ExtractError(
            f"column {', '.join(map(repr, twice))} of table spl is the source of more than one "
            "field; give each field its own source"
        )

    single = {cols[0]: name for name, cols in from_spl.items() if len(cols) == 1}
    clash = [name for name in from_spl if name in spl.columns and name not in single and name not in used]
    if clash:
        raise ExtractError(
            f"table spl already has a column {', '.join(map(repr, clash))} that is not the field's "
            "source; rename it first"
        )
    out = spl.rename(columns=single)
    for name, cols in from_spl.items():
        if len(cols) > 1:
            values = spl[cols[0]]
            for column in cols[1:]:
                values = values.fillna(spl[column])
            out[name] = values
    out = out.drop(columns=[c for cols in from_spl.values() if len(cols) > 1 for c in cols])

    # NHS numbers as whole numbers: joining on integers is many times faster than on text at national scale.
    def key(values: pd.Series) -> pd.Series:  # cleaned as everywhere else: spaces and hyphens removed
        return pd.to_numeric(identifiers.clean_nhs_number(values), errors="coerce")

    reg_key = key(registrations["nhs_number"])
    regs = registrations.assign(_key=reg_key).dropna(subset=["_key"])
    regs = regs.sort_values(["_key", "registered_on"], kind="stable").drop_duplicates("_key", keep="last")
    spl_key = key(spl["nhs_number"])
    position = pd.Index(regs["_key"].to_numpy(dtype="float64")).get_indexer(spl_key.to_numpy(dtype="float64"))
    matched = position >= 0

    def answer(column: str) -> pd.arrays.BooleanArray:
        values = pd.array(regs[column].to_numpy()[position.clip(0)], dtype="boolean")
        values[~matched] = pd.NA
        return values

    for name, cols in from_regs.items():
        if len(cols) != 1:
            raise ExtractError(f"field {name!r} names several registrations columns; give it one")
        out[name] = pd.array(matched, dtype="boolean") if cols[0] == "nhs_number" else answer(cols[0])
    return out


# ---------------------------------------------------------------------------------------------------------------
# Generalisers
# ---------------------------------------------------------------------------------------------------------------


def age_band(date_of_birth: pd.Series, on: str | pd.Timestamp, width: int = 10, top: int = 90) -> pd.Series:
    """Age on a date as a band such as ``70-79``, with everyone from ``top`` up in one band (``90+``).

    A band hides the exact date of birth, which with a postcode singles out most people. The top band is open
    because the very old are few and easy to spot.
    """
    if width < 1 or top < width:
        raise ExtractError(f"age bands need width >= 1 and top >= width, got width={width}, top={top}")
    return identifiers.band_ages(identifiers.age_in_years(date_of_birth, on), [*range(0, top, width), top])


def postcode_district(postcodes: pd.Series) -> pd.Series:
    """The outward code (``SW1A 1AA`` -> ``SW1A``): a district of several thousand addresses, not one street."""
    return identifiers.standardise_postcode(postcodes).str.split(" ").str[0].astype("string")


def postcode_sector(postcodes: pd.Series) -> pd.Series:
    """The postcode sector (``SW1A 1AA`` -> ``SW1A 1``): between a street and a district."""
    return identifiers.standardise_postcode(postcodes).str.slice(0, -2).astype("string")
