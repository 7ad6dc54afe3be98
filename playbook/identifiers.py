"""Validating and standardising the identifiers that record linkage depends on.

Two records about the same person rarely agree character for character: people type ``bob`` where the NHS has
``ROBERT``, ``sw1a1aa`` where the list has ``SW1A 1AA``, or a date as ``12/03/1950``. Standardising both sides the
same way first makes exact comparisons meaningful and fuzzy ones fairer.

Every function here takes and returns a pandas Series of the same length and index, so no record is ever
dropped: a value that cannot be standardised becomes missing (``<NA>``), and :func:`unusable` tells you which
values were present but could not be used, so you can report them back to the source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

NHS_NUMBER_WEIGHTS = np.arange(10, 1, -1)  # 10, 9, ..., 2 for digits 1 to 9
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"  # without its space
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%d %B %Y")
ADDRESS_ABBREVIATIONS = {
    "RD": "ROAD",
    "ST": "STREET",
    "AVE": "AVENUE",
    "AV": "AVENUE",
    "LN": "LANE",
    "DR": "DRIVE",
    "CT": "COURT",
    "CL": "CLOSE",
    "CRES": "CRESCENT",
    "GDNS": "GARDENS",
    "GRN": "GREEN",
    "GR": "GROVE",
    "PL": "PLACE",
    "SQ": "SQUARE",
    "TER": "TERRACE",
    "TCE": "TERRACE",
    "FLT": "FLAT",
}


class StandardisingError(ValueError):
    """A whole column could not be standardised, so linking on it would be meaningless."""


# --- NHS number -------------------------------------------------------------------------------------------


def nhs_check_digits(first_nine: np.ndarray) -> np.ndarray:
    """The modulus 11 check digit for each row of an (n, 9) array of digits; 10 where no check digit exists.

    Weights 10 down to 2; check digit = 11 - (sum mod 11); 11 becomes 0; 10 means the nine digits can never
    form a valid NHS number. The one place this rule is written, for single numbers and whole columns alike.
    """
    check = 11 - (np.asarray(first_nine, dtype=np.int64) @ NHS_NUMBER_WEIGHTS) % 11
    return np.where(check == 11, 0, check)


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The check digit for one number's first nine digits, or None when no check digit exists."""
    if not re.fullmatch(r"\d{9}", first_nine or ""):
        raise ValueError(f"need exactly nine digits, not {first_nine!r}")
    check = int(nhs_check_digits(np.array([[int(d) for d in first_nine]]))[0])
    return None if check == 10 else check


def is_valid_nhs_number(value: object) -> bool:
    """Whether one value, after removing spaces and hyphens, is ten digits with a correct check digit."""
    return bool(valid_nhs_number(pd.Series([value], dtype="object")).iloc[0])


def clean_nhs_number(values: pd.Series) -> pd.Series:
    """Digits only, with the spaces and hyphens people type removed; anything else left as typed.

    The result is not validated: use :func:`valid_nhs_number` to see which numbers pass the check digit.
    """
    text = values.astype("string").str.strip()
    return text.str.replace(r"[\s-]", "", regex=True).replace("", pd.NA)


def valid_nhs_number(values: pd.Series) -> pd.Series:
    """True where the value is a ten-digit NHS number whose check digit is right (vectorised)."""
    cleaned = clean_nhs_number(values)
    shaped = cleaned.str.fullmatch(r"\d{10}").fillna(False).astype(bool).to_numpy()
    result = np.zeros(len(values), dtype=bool)
    if shaped.any():
        digits = np.array([list(s) for s in cleaned[shaped]], dtype=np.int64)
        check = nhs_check_digits(digits[:, :9])
        result[shaped] = (check != 10) & (check == digits[:, 9])
    return pd.Series(result, index=values.index, name=values.name)


def standardise_nhs_number(values: pd.Series) -> pd.Series:
    """The cleaned number where its check digit is valid, otherwise missing: a failed check means a typo."""
    cleaned = clean_nhs_number(values)
    return cleaned.where(valid_nhs_number(values), pd.NA)


# --- Names, postcodes and addresses -------------------------------------------------------------------------


def _ascii_upper(values: pd.Series) -> pd.Series:
    """Upper case with accents removed, so ZOË and Zoe compare equal."""
    text = values.astype("string")
    if text.str.contains(r"[^\x00-\x7f]", regex=True).any():
        text = text.map(lambda s: s if pd.isna(s) else unicodedata.normalize("NFKD", s), na_action="ignore")
        text = text.astype("string").str.encode("ascii", "ignore").str.decode("ascii").astype("string")
    return text.str.upper()


def standardise_name(values: pd.Series) -> pd.Series:
    """Upper case letters only: hyphens and apostrophes become spaces, titles and stray spaces go.

    O'Neil, o neil and O-NEIL all become ``O NEIL``.
    """
    text = _ascii_upper(values)
    text = text.str.replace(r"[^A-Z ]", " ", regex=True)
    text = text.str.replace(r"^(MR|MRS|MS|MISS|DR|PROF) ", "", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.replace("", pd.NA)


def standardise_postcode(values: pd.Series) -> pd.Series:
    """``SW1A 1AA`` form (upper case, one space before the last three characters), or missing if not a postcode."""
    compact = _ascii_upper(values).str.replace(r"[^A-Z0-9]", "", regex=True)
    ok = compact.str.fullmatch(POSTCODE_PATTERN).fillna(False).astype(bool)
    spaced = compact.str.slice(0, -3) + " " + compact.str.slice(-3)
    return spaced.where(ok, pd.NA)


def standardise_address(values: pd.Series) -> pd.Series:
    """Upper case words with punctuation removed and common abbreviations spelt out (RD becomes ROAD).

    ``ST`` is read as STREET: in a first address line it rarely means Saint.
    """
    text = _ascii_upper(values).str.replace(r"[^A-Z0-9 ]", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    text = " " + text + " "  # words now sit between spaces, so plain (fast) replacement finds whole words
    for short, full in ADDRESS_ABBREVIATIONS.items():
        text = text.str.replace(f" {short} ", f" {full} ", regex=False)
    return text.str.strip().replace("", pd.NA)


def standardise_identifier(values: pd.Series) -> pd.Series:
    """Any reference number: upper case with spaces, hyphens and other punctuation removed."""
    return _ascii_upper(values).str.replace(r"[^A-Z0-9]", "", regex=True).replace("", pd.NA)


def standardise_sex(values: pd.Series) -> pd.Series:
    """``F`` or ``M`` from the common spellings; anything else (including unknown) becomes missing."""
    first = _ascii_upper(values).str.strip().str.slice(0, 1)
    return first.where(first.isin(["F", "M"]), pd.NA)


# --- Dates ------------------------------------------------------------------------------------------------


def parse_dates(values: pd.Series, *, where: str = "this column", min_share: float = 0.5) -> pd.Series:
    """Dates from text in the formats UK systems write, trying day-first forms before any American ones.

    Values already held as dates pass through. A value that no format reads becomes missing (see
    :func:`unusable`); if fewer than ``min_share`` of the present values can be read, the column is probably not
    dates at all, so this raises :class:`StandardisingError` naming ``where``.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[s]").dt.normalize()
    text = values.astype("string").str.strip().replace("", pd.NA)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    for fmt in DATE_FORMATS:
        todo = result.isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result[todo] = parsed.astype("datetime64[s]")
    present = int(text.notna().sum())
    read = int(result.notna().sum())
    if present and read < min_share * present:
        examples = ", ".join(repr(v) for v in text[text.notna() & result.isna()].head(3))
        raise StandardisingError(
            f"{where}: could read only {read:,} of {present:,} dates (for example {examples}). Write dates as "
            f"YYYY-MM-DD or DD/MM/YYYY, or map a different column to the date role."
        )
    return result


def age_in_years(date_of_birth: pd.Series, on: str | pd.Timestamp) -> pd.Series:
    """Whole years of age on a date, missing where the date of birth is missing."""
    on = pd.Timestamp(on)
    dob = pd.to_datetime(date_of_birth)
    before_birthday = (dob.dt.month > on.month) | ((dob.dt.month == on.month) & (dob.dt.day > on.day))
    return (on.year - dob.dt.year - before_birthday.astype("Int64")).astype("Int64")


def band_ages(age: pd.Series, starts: Sequence[int]) -> pd.Series:
    """Ages as bands that begin at each of ``starts``: ``(0, 30, 50)`` gives ``0-29``, ``30-49`` and ``50+``.

    The last band is open, because the oldest people are few and easy to single out. An age below the first start,
    or missing, is missing. This is the one definition of an age band: extracts and linkage reports both use it.
    """
    starts = [int(start) for start in starts]
    if not starts or starts != sorted(set(starts)):
        raise ValueError(f"age bands need their starts in increasing order, got {starts}")
    labels = [f"{low}-{high - 1}" for low, high in zip(starts[:-1], starts[1:], strict=True)] + [f"{starts[-1]}+"]
    banded = pd.cut(pd.Series(age, dtype="Float64"), bins=[*starts, np.inf], right=False, labels=labels)
    return banded.astype("string")


# --- Reporting ----------------------------------------------------------------------------------------------


def unusable(raw: pd.Series, standardised: pd.Series) -> pd.Series:
    """True where a value was given but could not be standardised: the rows to send back to the source."""
    given = raw.astype("string").str.strip().replace("", pd.NA).notna()
    return given & standardised.isna()
