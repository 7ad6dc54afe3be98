"""The parser: turns the raw YAML mapping into the dataclasses of :mod:`playbook.purpose.model`, part by part.

It checks the structure only (keys, types, allowed values) and records every problem; rules that tie one part
to another are in :mod:`playbook.purpose.legal_checks`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from playbook.purpose.errors import shorten
from playbook.purpose.model import FieldDefinition, LawfulBasis, Organisation, PurposeSpec, Recipient, RowFilter
from playbook.purpose.reading import (
    _BASIS_KEYS,
    _DATA_KEYS,
    _FIELD_KEYS,
    _ORG_KEYS,
    _RECIPIENT_KEYS,
    _RETENTION_KEYS,
    _SCHEDULE1_KEYS,
    _TOP_KEYS,
    _USES_KEYS,
    _Reader,
)
from playbook.purpose.vocabulary import (
    ARTICLE6_BASES,
    ARTICLE9_CONDITIONS,
    CONFIDENTIALITY_ROUTES,
    CONTROLLER_ROLES,
    ORGANISATION_TYPES,
    RECIPIENT_ROLES,
    ROW_FILTER_OPERATORS,
    SOURCE_PATTERN,
)


class _Builder(_Reader):
    """Turns the raw YAML mapping into dataclasses, recording structural problems instead of stopping."""

    # -- the parts ---------------------------------------------------------------------------------------

    def _organisation(self, raw: Any, where: str, roles: Sequence[str]) -> Organisation:
        raw = self._keys(raw, where, _ORG_KEYS)
        return Organisation(
            name=self._text(raw, "name", where),
            role=self._choice(raw, "role", where, roles),
            organisation_type=self._choice(raw, "organisation_type", where, ORGANISATION_TYPES),
            responsibility=self._text(raw, "responsibility", where, required=False),
        )

    def _lawful_basis(self, raw: Any) -> LawfulBasis:
        where = "lawful_basis"
        raw = self._keys(raw, where, _BASIS_KEYS)
        article6 = raw.get("article6")
        if article6 is not None and (not isinstance(article6, str) or article6 not in ARTICLE6_BASES):
            self.problems.append(
                f"{where}: unknown Article 6 basis {shorten(article6)}; allowed: "
                + ", ".join(f"{k} ({v})" for k, v in ARTICLE6_BASES.items())
            )
        article9 = raw.get("article9")
        if article9 is not None and (not isinstance(article9, str) or article9 not in ARTICLE9_CONDITIONS):
            self.problems.append(
                f"{where}: unknown Article 9 condition {shorten(article9)}; allowed: "
                + ", ".join(f"{k} ({v})" for k, v in ARTICLE9_CONDITIONS.items())
            )
        schedule1 = None
        if raw.get("schedule1") is not None:
            s1 = self._keys(raw["schedule1"], f"{where}.schedule1", _SCHEDULE1_KEYS)
            part, paragraph = s1.get("part"), s1.get("paragraph")
            if isinstance(part, int) and isinstance(paragraph, int):
                schedule1 = (part, paragraph)
            elif part is not None and paragraph is not None:
                self.problems.append(f"{where}.schedule1: 'part' and 'paragraph' must be whole numbers")
        return LawfulBasis(
            article6=str(article6 or ""),
            article9=str(article9) if article9 is not None else None,
            schedule1=schedule1,
            appropriate_policy_document=self._text(raw, "appropriate_policy_document", where, required=False) or None,
            legal_power=self._text(raw, "legal_power", where),
            duty_of_confidentiality=self._choice(raw, "duty_of_confidentiality", where, list(CONFIDENTIALITY_ROUTES)),
            note=self._text(raw, "note", where, required=False),
        )

    def _fields(self, raw: Any) -> dict[str, FieldDefinition]:
        if not isinstance(raw, Mapping):
            if raw is not None:
                self.problems.append(f"fields: expected a mapping of field names, got {type(raw).__name__}")
            return {}
        out = {}
        for name, body in raw.items():
            where = f"field {shorten(name)}"
            body = self._keys(body, where, _FIELD_KEYS)
            out[str(name)] = FieldDefinition(
                name=str(name),
                description=self._text(body, "description", where),
                special_category=self._bool(body, "special_category", where, default=False),
                source=self._source(body.get("source"), where),
            )
        return out

    def _source(self, raw: Any, where: str) -> tuple[str, ...]:
        """``table.column``, or a list of them (the first that is not blank wins)."""
        if raw is None:
            return ()
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            self.problems.append(
                f"{where}: 'source' must be table.column, for example spl.given_name, or a list of "
                f"them, got {shorten(raw)}"
            )
            return ()
        items = [i.strip() for i in items]
        for item in items:
            if not SOURCE_PATTERN.fullmatch(item):
                self.problems.append(
                    f"{where}: source {shorten(item)} must be written table.column, for example spl.given_name"
                )
        for item in sorted({i for i in items if items.count(i) > 1}):
            self.problems.append(f"{where}: source {shorten(item)} is listed twice")
        return tuple(items)

    def _row_filter(self, raw: Any, where: str) -> RowFilter | None:
        if not isinstance(raw, Mapping):
            self.problems.append(f"{where}: expected a mapping such as {{column: registered, equals: true}}")
            return None
        operators = [k for k in raw if k in ROW_FILTER_OPERATORS]
        unknown = [k for k in raw if k not in ("column", "reason") and k not in ROW_FILTER_OPERATORS]
        for key in unknown:
            self.problems.append(
                f"{where}: unknown key {shorten(key)} (allowed: column, {', '.join(ROW_FILTER_OPERATORS)}, reason)"
            )
        if "column" not in raw:
            self.problems.append(f"{where}: missing 'column'")
        if len(operators) != 1:
            self.problems.append(f"{where}: give exactly one of {', '.join(ROW_FILTER_OPERATORS)}")
            return None
        op = operators[0]
        value = raw[op]
        if op == "in" and not isinstance(value, list):
            self.problems.append(f"{where}: 'in' needs a list of values")
            return None
        if op == "is_blank" and not isinstance(value, bool):
            self.problems.append(
                f"{where}: 'is_blank' must be true (keep rows where the column is blank) or false "
                f"(keep rows where it holds a value), got {shorten(value)}"
            )
            return None
        reason = raw.get("reason")
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            self.problems.append(f"{where}: 'reason' must be text that says why the recipient needs this condition")
            reason = ""
        if "column" not in raw:
            return None
        return RowFilter(
            column=str(raw["column"]),
            operator=op,
            value=tuple(value) if op == "in" else value,
            reason=(reason or "").strip(),
        )

    def _recipient(self, raw: Any, index: int) -> Recipient | None:
        rid = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"recipient {shorten(rid)}" if rid else f"recipients[{index}]"
        raw = self._keys(raw, where, _RECIPIENT_KEYS)
        if not raw:
            return None
        uses = raw.get("uses") or []
        if not isinstance(uses, list) or not all(isinstance(u, str) for u in uses):
            self.problems.append(f"{where}: 'uses' must be a list of use names")
            uses = []
        filters = []
        scope = raw.get("row_scope") or []
        if not isinstance(scope, list):
            self.problems.append(f"{where}: 'row_scope' must be a list of conditions")
            scope = []
        for i, item in enumerate(scope):
            rf = self._row_filter(item, f"{where}: row_scope[{i}]")
            if rf is not None:
                filters.append(rf)
        partition_by = raw.get("partition_by")
        if partition_by is not None and not isinstance(partition_by, str):
            self.problems.append(f"{where}: 'partition_by' must be a field name")
            partition_by = None
        return Recipient(
            id=str(rid or f"recipients[{index}]"),
            name=self._text(raw, "name", where),
            organisation_type=self._choice(raw, "organisation_type", where, ORGANISATION_TYPES),
            role=self._choice(raw, "role", where, RECIPIENT_ROLES),
            uses=tuple(uses),
            fields=self._str_map(raw.get("fields"), where, "field names to justifications"),
            row_scope=tuple(filters),
            partition_by=partition_by,
        )

    def build(self, raw: Any) -> PurposeSpec | None:
        if not isinstance(raw, Mapping):
            self.problems.append(f"the file must hold a mapping of keys at the top level, got {type(raw).__name__}")
            return None
        raw = self._keys(raw, "top level", _TOP_KEYS)
        where = "top level"
        retention = self._keys(raw.get("retention", {}), "retention", _RETENTION_KEYS)
        data = self._keys(raw.get("data", {}), "data", _DATA_KEYS)
        uses = self._keys(raw.get("uses", {}), "uses", _USES_KEYS)

        controllers_raw = raw.get("controllers") or []
        if not isinstance(controllers_raw, list):
            self.problems.append("controllers: expected a list")
            controllers_raw = []
        controllers = tuple(
            self._organisation(c, f"controllers[{i}]", CONTROLLER_ROLES) for i, c in enumerate(controllers_raw)
        )
        if "controllers" in raw and not controllers:
            self.problems.append("controllers: name at least one controller")

        recipients_raw = raw.get("recipients") or []
        if not isinstance(recipients_raw, list):
            self.problems.append("recipients: expected a list")
            recipients_raw = []
        recipients: dict[str, Recipient] = {}
        for i, r in enumerate(recipients_raw):
            rec = self._recipient(r, i)
            if rec is None:
                continue
            if rec.id in recipients:
                self.problems.append(f"recipient {shorten(rec.id)}: the id is used twice")
            recipients[rec.id] = rec
        if "recipients" in raw and not recipients:
            self.problems.append("recipients: name at least one recipient")

        return PurposeSpec(
            id=str(raw.get("id") or ""),
            title=self._text(raw, "title", where),
            purpose=self._text(raw, "purpose", where),
            public_benefit=self._text(raw, "public_benefit", where),
            # A missing or unreadable date is already a problem, so parse_spec raises before anyone uses it.
            start_date=cast(_dt.date, self._date(raw, "start_date", where)),
            end_date=cast(_dt.date, self._date(raw, "end_date", where)),
            review_date=cast(_dt.date, self._date(raw, "review_date", where)),
            delete_by=cast(_dt.date, self._date(retention, "delete_by", "retention")),
            retention_note=self._text(retention, "note", "retention", required=False),
            controllers=controllers,
            source=self._organisation(raw.get("source", {}), "source", CONTROLLER_ROLES),
            special_category=self._bool(data, "special_category", "data"),
            confidential_patient_information=self._bool(data, "confidential_patient_information", "data"),
            data_note=self._text(data, "note", "data", required=False),
            lawful_basis=self._lawful_basis(raw.get("lawful_basis", {})),
            fields=self._fields(raw.get("fields")),
            excluded_fields=self._str_map(raw.get("excluded_fields"), "excluded_fields", "field names to reasons"),
            permitted_uses=self._str_map(uses.get("permitted"), "uses.permitted", "use names to descriptions"),
            prohibited_uses=self._str_map(uses.get("prohibited"), "uses.prohibited", "use names to reasons"),
            recipients=recipients,
            version=None if raw.get("version") is None else str(raw["version"]),
            status=None if raw.get("status") is None else str(raw["status"]),
        )
