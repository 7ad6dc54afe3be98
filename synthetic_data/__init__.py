"""Synthetic shielding data for the Data Sharing Playbook: linked, realistic, provably not real, reproducible.

    import synthetic_data
    spl = synthetic_data.load("spl")        # the committed teaching data, with the right types
    synthetic_data.TABLES                   # the table names

Regenerate or scale up with ``python -m synthetic_data --help``. Above 20,000,000 people (or with ``--stream``)
the generator streams: it draws fixed blocks of people one after another and writes each table to one Parquet
file in row groups of ``--chunk-size`` rows, so memory stays flat up to a population the size of England's and
the data does not depend on the chunk size. ``stream.py`` explains how.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

from .config import TEACHING, Config
from .schema import PANDAS_TYPES, TABLES, table

TEACHING_DIR = Path(__file__).parent / "teaching"

__all__ = ["TABLES", "TEACHING", "TEACHING_DIR", "Config", "load", "generate"]


def load(name: str, folder: str | Path | None = None) -> pd.DataFrame:
    """One table of the committed teaching data (or of a CSV folder written by the generator) as a DataFrame.

    Identifiers (NHS numbers, phone numbers, UPRNs, postcodes) stay text, so leading zeros and spaces survive;
    dates are parsed; blanks are missing values, never the text "NA".
    """
    spec = table(name)
    path = Path(folder or TEACHING_DIR) / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no {name} table at {path}: run python -m synthetic_data --teaching")
    dtypes = {c.name: PANDAS_TYPES[c.dtype] for c in spec.columns if c.dtype != "date"}
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    for column in spec.columns:
        if column.dtype == "date":
            frame[column.name] = pd.to_datetime(frame[column.name], format="%Y-%m-%d").astype(PANDAS_TYPES["date"])
    return frame


def generate(config: Config | None = None, **overrides: Any) -> dict[str, pa.Table]:
    """All tables in memory as pyarrow tables (small sizes only); see ``generator.generate``."""
    from .generator import generate as _generate

    return _generate(config, **overrides)
