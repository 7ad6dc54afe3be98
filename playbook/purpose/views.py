"""Read-only views of a specification: the tables lessons and documents show, and which source column becomes
which shared field.

They only read the model and the enforcement answers, so they can change for a lesson without touching a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from playbook.purpose.enforcement import check_field
from playbook.purpose.model import PurposeSpec

if TYPE_CHECKING:
    import pandas as pd


def field_table(
    spec: PurposeSpec, fields: Sequence[str] | None = None, recipients: Sequence[str] | None = None
) -> pd.DataFrame:
    """A pandas table of :func:`check_field` for every recipient and field: the static view of the field picker.

    Rows are sorted by recipient then field, so the table is the same on every run.
    """
    import pandas as pd

    fields = list(fields) if fields is not None else sorted(spec.fields)
    recipients = list(recipients) if recipients is not None else sorted(spec.recipients)
    rows = []
    for rid in recipients:
        for name in fields:
            d = check_field(spec, rid, name)
            rows.append({"recipient": rid, "field": name, "decision": d.outcome, "reason": d.reason})
    return pd.DataFrame(rows, columns=["recipient", "field", "decision", "reason"])


def field_matrix(spec: PurposeSpec) -> pd.DataFrame:
    """A recipients-by-fields grid of 'yes' / '-' showing at a glance who receives what."""
    import pandas as pd

    names = sorted(spec.fields)
    data = {rid: ["yes" if n in spec.recipients[rid].fields else "-" for n in names] for rid in sorted(spec.recipients)}
    frame = pd.DataFrame(data, index=names)
    frame.index.name = "field"
    return frame


def source_columns(spec: PurposeSpec, table: str, fields: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """The fields that come from one source table, each with its columns there, for example
    ``{"first_name": ("given_name",), "phone": ("mobile", "landline")}`` for the table ``spl``.

    ``fields`` limits and orders the answer (for example one recipient's fields); the default is the catalogue.
    A field counts only when every column it names is in ``table``. This is the one place that says which source
    column becomes which shared field, so code that renames columns reads it here rather than keeping its own list.
    """
    names = list(fields) if fields is not None else list(spec.fields)
    out = {}
    for name in names:
        source = spec.fields[name].source if name in spec.fields else ()
        if source and all(s.split(".", 1)[0] == table for s in source):
            out[name] = tuple(s.split(".", 1)[1] for s in source)
    return out


def catalogue_table(spec: PurposeSpec) -> pd.DataFrame:
    """One row per field in the catalogue: what it holds, where it comes from and who receives it."""
    import pandas as pd

    rows = [
        {
            "field": f.name,
            "source": " or ".join(f.source) or "-",
            "description": f.description,
            "recipients": ", ".join(sorted(r.id for r in spec.recipients.values() if f.name in r.fields)) or "-",
        }
        for f in sorted(spec.fields.values(), key=lambda f: f.name)
    ]
    return pd.DataFrame(rows, columns=["field", "source", "description", "recipients"])


def recipients_table(spec: PurposeSpec) -> pd.DataFrame:
    """One row per recipient: who they are, their role, uses and row scope."""
    import pandas as pd

    rows = [
        {
            "recipient": r.id,
            "name": r.name,
            "type": r.organisation_type,
            "role": r.role,
            "uses": ", ".join(r.uses),
            "fields": len(r.fields),
            "rows": r.describe_rows(),
        }
        for r in sorted(spec.recipients.values(), key=lambda r: r.id)
    ]
    return pd.DataFrame(rows)
