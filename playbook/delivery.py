"""One door for outbound data: every delivery is checked against the purpose specification, and is one result type.

A delivery (a recipient's extract, the per-council split, a change feed, the supermarket extract) is a
:class:`Delivery`: the tables it sends, by file stem, and the records held back, in one exceptions layout
(:data:`EXCEPTION_COLUMNS`: ``row``, ``column``, ``value`` and ``reason``, with the record's ``id`` first where the
records have one). Before a delivery is made, :func:`recipient` and :func:`check_fields` ask the specification
whether it is allowed and refuse it, with the reason, when it is not. :func:`data_columns` finds the columns that
hold a specification's field in the data as it stands (the field's own name, else its ``source``), so a list that
still has the sender's column names (``la_code``) is read through the specification (``local_authority_code``)
without renaming it. :meth:`Delivery.write` writes it through :mod:`outbox`, the one writer.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
import pyarrow as pa

import outbox
from playbook import purpose
from playbook.safe_names import safe_file_stem

#: The one exceptions layout of every delivery; ``id`` (the record's key) comes first where there is one.
EXCEPTION_COLUMNS = ["row", "column", "value", "reason"]
#: File stems a delivery's own files take; no table may take them.
OWN_FILES = ("exceptions", "manifest")


class DeliveryRefused(ValueError):
    """The specification does not allow this delivery, or it cannot be made as asked; the message says why."""


class FieldRefused(DeliveryRefused):
    """A requested field is outside the purpose for this recipient. ``decisions`` holds each refusal."""

    def __init__(self, decisions: list[purpose.Decision]):
        self.decisions = decisions
        lines = "\n".join(f"  - {d.item}: {d.reason}" for d in decisions)
        super().__init__(f"refused {len(decisions)} field(s) for recipient {decisions[0].recipient!r}:\n{lines}")


def recipient(spec: purpose.PurposeSpec, recipient_id: str, *, split: bool = False) -> purpose.Recipient:
    """The recipient, or :class:`DeliveryRefused` if the specification does not name it, or (with ``split``) does
    not split its delivery by organisation (``partition_by``)."""
    found = spec.recipient(recipient_id, DeliveryRefused)
    if split and not found.partition_by:
        raise DeliveryRefused(
            f"recipient {purpose.shorten(recipient_id)} is not split by organisation: specification "
            f"{purpose.shorten(spec.id)} gives it no partition_by, so it gets one extract (minimisation.make_extract)"
        )
    return found


def check_fields(
    spec: purpose.PurposeSpec, recipient_id: str, fields: Iterable[str], on: _dt.date | None = None
) -> list[purpose.Decision]:
    """The decision for each field; :class:`FieldRefused`, with every reason, if any is outside the purpose."""
    decisions = [purpose.check_field(spec, recipient_id, name, on=on) for name in fields]
    refused = [d for d in decisions if not d.allowed]
    if refused:
        raise FieldRefused(refused)
    return decisions


def data_columns(spec: purpose.PurposeSpec, field: str, columns: Iterable[str]) -> list[str]:
    """The columns of the data that hold ``field``: the field's own name if the data has it, else those of its
    ``source`` columns the data has (``la_code`` for ``local_authority_code``; ``mobile`` and ``landline`` for
    ``phone``). Empty when the data holds neither."""
    present = list(columns)
    if field in present:
        return [field]
    source = spec.fields[field].source if field in spec.fields else ()
    return [s.split(".", 1)[1] for s in source if s.split(".", 1)[1] in present]


def exceptions_table(
    rows: Sequence, column: Sequence, value: Sequence, reason: Sequence, ids: Sequence | None = None
) -> pd.DataFrame:
    """Exceptions in the one layout: one row per record held back, naming its row, the column at fault, the value
    found there (as text, missing where there is none) and why; ``ids`` adds the record's key as ``id``."""
    table = pd.DataFrame(
        {
            "row": list(rows),
            "column": pd.array(list(column), dtype="string"),
            "value": pd.array(list(value), dtype="string"),
            "reason": pd.array(list(reason), dtype="string"),
        }
    )
    if ids is not None:
        table.insert(0, "id", list(ids))
    return table


def describe_value(value: object) -> str:
    """A value as an exceptions table shows it: ``blank`` for a missing or empty one, else the value, shortened."""
    return "blank" if purpose.is_blank(value) else purpose.shorten(value.item() if hasattr(value, "item") else value)


@dataclass(frozen=True)
class Delivery:
    """What goes to a recipient (``tables``, by file stem) and what is held back (``exceptions``, one layout)."""

    recipient: str
    tables: dict[str, pd.DataFrame]
    exceptions: pd.DataFrame  # EXCEPTION_COLUMNS, with ``id`` first where the records have a key
    rows_in: int = 0
    rows_out_of_scope: int = 0
    scope: str = ""
    #: What a table's name is, for the message when it cannot name a file.
    table_names: ClassVar[str] = "table name"

    def write(self, folder: str | os.PathLike, *, fmt: str = "csv", overwrite: bool = False) -> pd.DataFrame:
        """Write each table, ``exceptions`` and a ``manifest.csv`` (records and SHA-256 checksum of each file) into
        ``folder`` all at once (:mod:`outbox`); return the manifest. Every name is checked by
        :mod:`playbook.safe_names` before anything is written; an existing folder is replaced only with
        ``overwrite=True`` and only if it holds nothing but an earlier delivery's files."""
        stems: dict[str, str] = {}
        for name in sorted(self.tables, key=str):
            stems[name] = safe_file_stem(name, self.table_names, reserved=[*OWN_FILES, *stems.values()])
        ordered = sorted(((stem, self.tables[name]) for name, stem in stems.items()), key=lambda part: part[0])
        tables = {stem: pa.Table.from_pandas(frame, preserve_index=False) for stem, frame in ordered}
        tables["exceptions"] = pa.Table.from_pandas(self.exceptions, preserve_index=False)
        rows = outbox.write_delivery(folder, tables, fmt=fmt, tag="delivery", replace=overwrite)
        return pd.DataFrame(rows, columns=list(outbox.MANIFEST_COLUMNS))
