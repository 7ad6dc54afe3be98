"""The purpose specification as frozen dataclasses: what a checked specification holds.

Everything else in the package reads these; they hold no parsing and no legal rules, only the shape of the
answers and the few questions a single part can answer about itself (a row scope on one record, a
recipient by id).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from playbook.purpose.errors import shorten
from playbook.purpose.values import is_blank, is_date, is_date_column, yes_no
from playbook.purpose.vocabulary import ARTICLE6_BASES, ARTICLE9_CONDITIONS, CONFIDENTIALITY_ROUTES


@dataclass(frozen=True)
class Organisation:
    """A controller or the source of the data."""

    name: str
    role: str
    organisation_type: str
    responsibility: str


@dataclass(frozen=True)
class LawfulBasis:
    """The lawful basis record: what the share relies on, in data protection law and beyond it."""

    article6: str
    article9: str | None
    schedule1: tuple[int, int] | None  # (part, paragraph)
    appropriate_policy_document: str | None
    legal_power: str
    duty_of_confidentiality: str
    note: str = ""

    def describe(self) -> str:
        """One line a reader can check, for example 'Article 6(1)(e) public task; Article 9(2)(i) ...'."""
        parts = [f"Article 6(1)({self.article6}) {ARTICLE6_BASES.get(self.article6, '?')}"]
        if self.article9:
            parts.append(f"Article 9(2)({self.article9}) {ARTICLE9_CONDITIONS.get(self.article9, '?')}")
        if self.schedule1:
            parts.append(f"DPA 2018 Schedule 1 Part {self.schedule1[0]} paragraph {self.schedule1[1]}")
        parts.append(f"confidentiality: {CONFIDENTIALITY_ROUTES.get(self.duty_of_confidentiality, '?')}")
        return "; ".join(parts)


@dataclass(frozen=True)
class FieldDefinition:
    """A field the purpose has considered: what it holds and whether it is special category data."""

    name: str
    description: str
    special_category: bool
    #: Where the field comes from, as ``table.column``. Several means "the first of these that is not blank",
    #: for example a mobile number, else a landline. Empty when the specification does not say.
    source: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowFilter:
    """One declarative condition on rows, for example ``registered equals true`` or ``date_of_death is blank``.

    The minimisation step applies these to a whole table; :meth:`matches` does it for a single record, with the
    same answers. ``reason`` records why the recipient needs the condition, as a field's justification does.
    """

    column: str
    operator: str
    value: Any
    reason: str = ""

    def matches(self, record: Mapping[str, Any]) -> bool | None:
        """True when the record meets this condition, False when it does not, None when its value cannot be
        tested (minimisation puts such a row in its exceptions). A record without the column does not match."""
        if self.column not in record:
            return False
        return self.decide(record[self.column])

    def decide(self, got: Any) -> bool | None:
        """This condition for one value: True, False, or None when the value cannot be tested.

        Blank values (:func:`is_blank`) and, for a column of yes/no answers, values that are neither cannot be
        tested. ``is_blank`` always answers, except in a date column (:func:`is_date_column`), where a value that
        is neither blank nor a date (``unknown``, ``0``) cannot be tested: it is not a death, nor proof of life.
        """
        if self.operator == "is_blank":
            if is_blank(got):
                return self.value
            if is_date_column(self.column) and not is_date(got):
                return None
            return not self.value
        if is_blank(got):
            return None
        if self.reads_yes_no:
            got = yes_no(got)
            if got is None:
                return None
        if self.operator == "in":
            return bool(got in self.value)
        return bool(got == self.value) == (self.operator == "equals")

    @property
    def reads_yes_no(self) -> bool:
        """Whether the condition compares yes/no answers (its values are true or false), so ``yes`` counts as true."""
        values = self.value if self.operator == "in" else (self.value,)
        return self.operator != "is_blank" and all(isinstance(v, bool) for v in values)

    def describe(self) -> str:
        if self.operator == "is_blank":
            return f"{self.column} is {'blank' if self.value else 'not blank'}"
        value = ", ".join(map(str, self.value)) if self.operator == "in" else str(self.value).lower()
        return f"{self.column} {self.operator.replace('_', ' ')} {value}"


@dataclass(frozen=True)
class Recipient:
    """Who receives data, for which uses, which fields (each with its justification) and which rows."""

    id: str
    name: str
    organisation_type: str
    role: str
    uses: tuple[str, ...]
    fields: dict[str, str]  # field name -> justification
    row_scope: tuple[RowFilter, ...] = ()
    partition_by: str | None = None

    def in_scope(self, record: Mapping[str, Any]) -> bool | None:
        """True when a record falls inside this recipient's row scope (every condition holds), False when one
        condition fails, otherwise None: a value could not be tested (see :meth:`RowFilter.matches`)."""
        answers = [f.matches(record) for f in self.row_scope]
        return False if False in answers else None if None in answers else True

    def describe_rows(self) -> str:
        parts = [f.describe() for f in self.row_scope]
        if self.partition_by:
            parts.append(f"each organisation gets only its own rows, split by {self.partition_by}")
        return "; ".join(parts) if parts else "all rows"


@dataclass(frozen=True)
class PurposeSpec:
    """A whole purpose specification. Build one with :func:`load_spec`, :func:`parse_spec` or :func:`load_builtin`."""

    id: str
    title: str
    purpose: str
    public_benefit: str
    start_date: _dt.date
    end_date: _dt.date
    review_date: _dt.date
    delete_by: _dt.date
    retention_note: str
    controllers: tuple[Organisation, ...]
    source: Organisation
    special_category: bool
    confidential_patient_information: bool
    data_note: str
    lawful_basis: LawfulBasis
    fields: dict[str, FieldDefinition]
    excluded_fields: dict[str, str]  # field -> why no recipient may have it
    permitted_uses: dict[str, str]  # use -> description
    prohibited_uses: dict[str, str]  # use -> why it is refused
    recipients: dict[str, Recipient]
    version: str | None = None  # as written in the file, so drafts can name the version they came from
    status: str | None = None  # for example "teaching example" or "approved"

    def recipient(self, recipient_id: str, error: type[Exception] = KeyError) -> Recipient:
        """The recipient with this id. Otherwise raises ``error`` (a KeyError unless the caller has its own, such
        as an extract or a draft error) with :func:`not_a_recipient`, which lists the ids the specification knows.
        """
        try:
            return self.recipients[recipient_id]
        except KeyError:
            raise error(not_a_recipient(self, recipient_id)) from None


def not_a_recipient(spec: PurposeSpec, recipient_id: str, name_others: bool = True) -> str:
    """The one message for a recipient the specification does not name, wherever it is looked up.

    ``name_others`` adds the ids it does name, so a mistyped id is easy to fix; a refusal sent to the requester
    (:func:`~playbook.purpose.check_request`) leaves them out, as it does not need to know who else receives data.
    """
    message = (
        f"{shorten(recipient_id)} is not a recipient named in the specification. A new recipient needs its own "
        "decision on lawful basis and risk, not an extract."
    )
    if name_others:
        message += f" Specification {shorten(spec.id)} names: {', '.join(sorted(spec.recipients))}."
    return message
