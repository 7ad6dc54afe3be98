"""Reading single values as the specification means them: dates, blanks, yes/no answers.

A row-scope condition and the minimisation step must read ``N/A``, a zero-width space or ``yes`` the same way,
so the rules for what counts as blank, a date or a yes live here once, apart from the model that uses them.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any


def as_date(value: Any) -> _dt.date | None:
    """A date from YAML (a date, a datetime or YYYY-MM-DD text), or None for anything else."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


#: Text that means "no value" in exports and spreadsheets. Compared after stripping spaces, ignoring case.
NULL_MARKERS = frozenset({"null", "none", "nan", "nat", "na", "n/a", "<na>", "#n/a"})
#: Characters that show nothing: stripped from text as spaces are, so a zero-width space is blank too.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
#: Answers read as yes or no (any case, spaces stripped). Anything else is unknown, never guessed.
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


def is_blank(value: Any) -> bool:
    """True for a missing value (None, NaN, NaT, ``<NA>``), text with nothing visible in it, or a null marker
    such as ``NULL`` or ``N/A`` (:data:`NULL_MARKERS`): exports write these for "no value", never for a value."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.translate(INVISIBLE).strip().lower()
        return not text or text in NULL_MARKERS
    import pandas as pd

    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def is_date_column(name: str) -> bool:
    """Whether a column holds dates, read from its name: ``date`` is one of its words (``date_of_death``)."""
    return "date" in str(name).lower().split("_")


def is_date(value: Any) -> bool:
    """True for a date, a datetime or text written YYYY-MM-DD (a time may follow); False for anything else."""
    import numpy as np

    if isinstance(value, (_dt.date, np.datetime64)):
        return not is_blank(value)  # NaT is a datetime but no date
    if isinstance(value, str):
        try:
            _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return False
        return len(value.strip()) >= 10  # not 20200420, which fromisoformat also reads
    return False


def yes_no(value: Any) -> bool | None:
    """A yes/no answer read as True or False, or None when it is neither (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`)."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if is_blank(value):
        return None
    text = str(value).strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None
