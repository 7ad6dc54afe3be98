"""Add UPRNs to a list by matching its addresses against an address register (AddressBase or similar).

Councils found addresses far easier to use once each carried a UPRN: one number per property, the same in every
system. Matching runs in two passes, each labelled in ``uprn_method`` so a reader knows how far to trust it:

1. ``exact``: the standardised postcode and first address line both agree with one register entry;
2. ``postcode and house number``: the postcode agrees and the house number picks out one register entry.

Anything else keeps its row, with no UPRN and a ``uprn_reason`` saying why, so it can go back to the sender; so does
an address whose register entry has a UPRN that is not a whole number of up to 12 digits (the register needs fixing).
UPRNs read as numbers (``999000000001.0``) come back as text (``999000000001``).
Postcodes and address lines are standardised with :mod:`playbook.identifiers`, the same rules linkage uses.
"""

from __future__ import annotations

import pandas as pd

from playbook.identifiers import standardise_address, standardise_postcode

EXACT = "exact"
HOUSE_NUMBER = "postcode and house number"
REASONS = {
    "bad_postcode": "postcode missing or not a valid UK postcode",
    "postcode_unknown": "postcode not in the address register",
    "no_match": "no address at this postcode matched",
    "ambiguous": "several addresses at this postcode matched",
    "bad_uprn": "the address register's UPRN for this address is not a whole number of up to 12 digits",
}
HOUSE_NUMBER_PATTERN = r"^(?:FLAT \S+ )?(\d+[A-Z]?)\b"


def house_number(lines: pd.Series) -> pd.Series:
    """The house number from a standardised first line (``12A`` from ``12A HIGH STREET``), else missing.

    A leading ``FLAT n`` is skipped, so ``FLAT 3 12 HIGH STREET`` gives the building number 12.
    """
    return lines.astype("string").str.extract(HOUSE_NUMBER_PATTERN, expand=False).astype("string")


def standardise_uprn(values: pd.Series) -> pd.Series:
    """UPRNs as whole-number text without leading zeros, missing where a value is not a UPRN.

    A register read with a float column gives ``999000000001.0``; that is the UPRN ``999000000001``. Anything
    else that is not a whole number from 1 to 12 digits (``12.5``, ``1e13``, text) is missing, never guessed.
    """
    text = values.astype("string").str.strip()
    digits = text.str.extract(r"^0*(\d{1,12})(?:\.0*)?$", expand=False).astype("string")
    return digits.mask(digits.str.fullmatch(r"0*").fillna(False).astype(bool))


def _unique_lookup(register: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Register keys that pick out one UPRN, and the keys shared by several (which must not be guessed)."""
    usable = register.dropna(subset=keys)
    counts = usable.groupby(keys, sort=False)["_id"].nunique().rename("candidates").reset_index()
    unique = usable.merge(counts[counts["candidates"] == 1][keys], on=keys).drop_duplicates(keys)
    return unique, counts[counts["candidates"] > 1]


def match_uprns(
    records: pd.DataFrame, register: pd.DataFrame, *, postcode: str = "postcode", line: str = "address_line_1"
) -> pd.DataFrame:
    """The records, in their order, with ``uprn``, ``uprn_la_code``, ``uprn_method`` and ``uprn_reason`` added.

    ``register`` needs ``uprn``, ``postcode`` and ``address_line_1`` columns (and ``la_code`` to fill
    ``uprn_la_code``: a mismatch with the list's own code is worth reporting to the sender).
    """
    for name, frame, columns in (
        ("list", records, [postcode, line]),
        ("address register", register, ["uprn", "postcode", "address_line_1"]),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(f"the {name} has no column {', '.join(missing)}; its columns are {', '.join(frame.columns)}")
    added = [c for c in ("uprn", "uprn_la_code", "uprn_method", "uprn_reason") if c in records.columns]
    if added:
        raise ValueError(f"the list already has {', '.join(added)}; drop them before matching again")

    uprn = standardise_uprn(register["uprn"])
    reg = pd.DataFrame(
        {
            "uprn": uprn,
            "_id": uprn.fillna("bad: " + register["uprn"].astype("string").fillna("missing")),
            "_pc": standardise_postcode(register["postcode"]),
            "_line": standardise_address(register["address_line_1"]),
            "uprn_la_code": register["la_code"].astype("string")
            if "la_code" in register
            else pd.Series(pd.NA, index=register.index, dtype="string"),
        }
    )
    reg["_no"] = house_number(reg["_line"])
    work = pd.DataFrame(
        {
            "_row": range(len(records)),
            "_pc": standardise_postcode(records[postcode]).to_numpy(),
            "_line": standardise_address(records[line]).to_numpy(),
        }
    )
    work["_no"] = house_number(work["_line"])

    result = pd.DataFrame({"_row": work["_row"]})
    result["uprn"] = pd.Series(pd.NA, index=result.index, dtype="string")
    result["uprn_la_code"] = pd.Series(pd.NA, index=result.index, dtype="string")
    result["uprn_method"] = pd.Series(pd.NA, index=result.index, dtype="string")
    result["uprn_reason"] = pd.Series(pd.NA, index=result.index, dtype="string")
    ambiguous = pd.Series(False, index=result.index)
    bad_uprn = pd.Series(False, index=result.index)

    for keys, method in ((["_pc", "_line"], EXACT), (["_pc", "_no"], HOUSE_NUMBER)):
        todo = work[(result["uprn"].isna() & ~bad_uprn).to_numpy()]
        unique, shared = _unique_lookup(reg, keys)
        found = todo.merge(unique[keys + ["uprn", "uprn_la_code"]], on=keys, how="inner")
        bad_uprn.loc[found.loc[found["uprn"].isna(), "_row"].to_numpy()] = True
        found = found[found["uprn"].notna()]
        rows = found["_row"].to_numpy()
        result.loc[rows, "uprn"] = found["uprn"].to_numpy()
        result.loc[rows, "uprn_la_code"] = found["uprn_la_code"].to_numpy()
        result.loc[rows, "uprn_method"] = method
        clash = todo.merge(shared[keys], on=keys, how="inner")["_row"].to_numpy()
        ambiguous.loc[clash] = True

    unmatched = result["uprn"].isna()
    known_postcodes = reg["_pc"].dropna().unique()
    reason = pd.Series(REASONS["no_match"], index=result.index, dtype="string")
    reason = reason.mask(ambiguous, REASONS["ambiguous"])
    reason = reason.mask(bad_uprn, REASONS["bad_uprn"])
    reason = reason.mask(~work["_pc"].isin(known_postcodes).fillna(False), REASONS["postcode_unknown"])
    reason = reason.mask(work["_pc"].isna(), REASONS["bad_postcode"])
    result["uprn_reason"] = reason.where(unmatched, pd.NA)

    out = records.copy()
    for column in ("uprn", "uprn_la_code", "uprn_method", "uprn_reason"):
        out[column] = result[column].array
    return out


def match_rate(matched: pd.DataFrame) -> pd.DataFrame:
    """Records and share of the list by outcome: each matching method, then each reason for no match."""
    outcome = matched["uprn_method"].fillna("no match: " + matched["uprn_reason"].fillna("unknown"))
    order = [EXACT, HOUSE_NUMBER] + [f"no match: {r}" for r in REASONS.values()]
    counts = outcome.value_counts().reindex(order, fill_value=0)
    counts = counts[counts.gt(0) | counts.index.isin([EXACT, HOUSE_NUMBER])]
    table = counts.rename("records").rename_axis("outcome").reset_index()
    total = max(len(matched), 1)
    table["percent"] = (100 * table["records"] / total).round(1)
    return table
