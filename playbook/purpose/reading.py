"""The parser's groundwork: the keys allowed at each level of the file, and small typed getters that record a
problem and carry on instead of stopping.

Kept apart from :mod:`playbook.purpose.parsing` so that the parser reads as the parts of a specification,
not as type checks.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from playbook.purpose.errors import shorten
from playbook.purpose.values import as_date

# Keys allowed at each level: (required, optional).
_TOP_KEYS = (
    {
        "id",
        "title",
        "purpose",
        "public_benefit",
        "start_date",
        "end_date",
        "review_date",
        "retention",
        "controllers",
        "source",
        "data",
        "lawful_basis",
        "fields",
        "uses",
        "recipients",
    },
    {"excluded_fields", "version", "status"},
)
_ORG_KEYS = ({"name", "role", "organisation_type"}, {"responsibility"})
_RETENTION_KEYS = ({"delete_by"}, {"note"})
_DATA_KEYS = ({"special_category", "confidential_patient_information"}, {"note"})
_BASIS_KEYS = (
    {"article6", "legal_power", "duty_of_confidentiality"},
    {"article9", "schedule1", "appropriate_policy_document", "note"},
)
_SCHEDULE1_KEYS: tuple[set[str], set[str]] = ({"part", "paragraph"}, set())
_FIELD_KEYS = ({"description"}, {"special_category", "source"})
_USES_KEYS = ({"permitted"}, {"prohibited"})
_RECIPIENT_KEYS = ({"id", "name", "organisation_type", "role", "uses", "fields"}, {"row_scope", "partition_by"})


class _Reader:
    """Reads raw YAML values with checks, recording problems instead of stopping; the parser builds on it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    # -- small typed getters -------------------------------------------------------------------------------

    def _keys(self, raw: Any, where: str, keys: tuple[set[str], set[str]]) -> dict:
        if not isinstance(raw, Mapping):
            self.problems.append(f"{where}: expected a mapping of keys, got {type(raw).__name__}")
            return {}
        required, optional = keys
        allowed = ", ".join(sorted(required | optional))
        for key in raw:
            if key not in required and key not in optional:
                self.problems.append(f"{where}: unknown key {shorten(key)} (allowed: {allowed})")
        for key in sorted(required):
            if key not in raw or raw[key] is None:
                self.problems.append(f"{where}: missing {shorten(key)}")
        return dict(raw)

    def _text(self, raw: dict, key: str, where: str, required: bool = True) -> str:
        value = raw.get(key)
        if value is None:
            return ""  # a missing required key was reported by _keys
        if not isinstance(value, str):
            self.problems.append(f"{where}: {shorten(key)} must be text, got {type(value).__name__}")
            return ""
        if required and not value.strip():
            self.problems.append(f"{where}: {shorten(key)} is empty")
        return value.strip()

    def _bool(self, raw: dict, key: str, where: str, default: bool | None = None) -> bool:
        value = raw.get(key, default)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problems.append(f"{where}: {shorten(key)} must be true or false, got {shorten(value)}")
            return False
        return value

    def _date(self, raw: dict, key: str, where: str) -> _dt.date | None:
        value = raw.get(key)
        if value is None:
            return None
        date = as_date(value)
        if date is None:
            self.problems.append(f"{where}: {shorten(key)} must be a date written YYYY-MM-DD, got {shorten(value)}")
        return date

    def _choice(self, raw: dict, key: str, where: str, allowed: Sequence[str]) -> str:
        value = raw.get(key)
        if value is None:
            return ""
        if value not in allowed:
            self.problems.append(f"{where}: {shorten(key)} is {shorten(value)}; allowed: {', '.join(allowed)}")
        return str(value)

    def _str_map(self, raw: Any, where: str, what: str) -> dict[str, str]:
        """A mapping of name -> text, for example field -> justification."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problems.append(f"{where}: expected a mapping of {what}, got {type(raw).__name__}")
            return {}
        out = {}
        for name, text in raw.items():
            out[str(name)] = text.strip() if isinstance(text, str) else ""
        return out
