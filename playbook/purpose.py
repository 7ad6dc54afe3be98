"""Purpose specifications: governance that executes.

A purpose specification is a YAML file that says why data is shared, on what lawful basis, with whom, which
fields each recipient gets and why, which rows each recipient gets, and for how long. This module loads one,
checks it, and answers two questions from it:

- may this recipient have this field? (:func:`check_field`)
- is this request inside the purpose? (:func:`check_request`)

Every answer carries its reason, so a refusal can be explained to the person who asked. The validator never
guesses: it collects every problem it finds and raises one :class:`SpecError` that lists them all, each naming
the place in the file.

The checks here support a decision; they are not legal advice.
"""

from __future__ import annotations

import datetime as _dt
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml

from playbook.safe_names import shorten as cut  # one rule for cutting text in messages

# ---------------------------------------------------------------------------------------------------------------
# Vocabularies. Each is the full list of values the format allows, with a short label used in messages.
# ---------------------------------------------------------------------------------------------------------------

#: UK GDPR Article 6(1) lawful bases; (ea) was inserted by the Data (Use and Access) Act 2025, section 70, in force
#: from 5 February 2026.
ARTICLE6_BASES = {
    "a": "consent",
    "b": "contract",
    "c": "legal obligation",
    "d": "vital interests",
    "e": "public task",
    "ea": "recognised legitimate interest",
    "f": "legitimate interests",
}

#: UK GDPR Article 9(2) conditions for special category data.
ARTICLE9_CONDITIONS = {
    "a": "explicit consent",
    "b": "employment, social security and social protection",
    "c": "vital interests",
    "d": "not-for-profit bodies",
    "e": "made public by the data subject",
    "f": "legal claims or judicial acts",
    "g": "reasons of substantial public interest",
    "h": "health or social care",
    "i": "public health",
    "j": "archiving, research and statistics",
}

#: Article 9(2) conditions that DPA 2018 section 10 completes with a Schedule 1 condition, and the Schedule 1
#: paragraphs that can do it (Part 1 paragraphs 1 to 4; Part 2 paragraphs 6 to 28).
SCHEDULE1_FOR_ARTICLE9 = {
    "b": (1, range(1, 2)),
    "h": (1, range(2, 3)),
    "i": (1, range(3, 4)),
    "j": (1, range(4, 5)),
    "g": (2, range(6, 29)),
}

#: Routes that meet the common law duty of confidentiality for confidential patient information.
CONFIDENTIALITY_ROUTES = {
    "consent": "the person's consent",
    "copi_notice": "a notice under regulation 3(4) of the COPI Regulations 2002 (regulation 4 makes the "
    "processing lawful despite the duty)",
    "section_251_support": "support under section 251 of the NHS Act 2006 and regulation 5 of the COPI Regulations "
    "2002, on the advice of the Confidentiality Advisory Group",
    "legal_requirement": "a legal requirement to disclose",
    "overriding_public_interest": "an overriding public interest, decided case by case",
    "not_applicable": "not applicable: no confidential patient information",
}

ORGANISATION_TYPES = ("public_authority", "private_company", "charity")
CONTROLLER_ROLES = ("controller", "joint_controller", "source")
RECIPIENT_ROLES = ("controller", "joint_controller", "processor")
ROW_FILTER_OPERATORS = ("equals", "not_equals", "in", "is_blank")

#: How a field's ``source`` is written: the table and the column it comes from, for example ``spl.given_name``.
SOURCE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


#: Problems shown in a :class:`SpecError` message; the rest stay in ``problems``, so a hostile file cannot make a
#: huge message.
SHOWN_PROBLEMS = 100

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def shorten(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: values in messages come from files and data, and a long or
    hostile one must not make a huge message."""
    return cut(repr(value[: limit + 1]) if isinstance(value, str) else _REPR.repr(value), limit)


class SpecError(ValueError):
    """A purpose specification is incomplete or inconsistent. ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS])
        if count > SHOWN_PROBLEMS:
            lines += f"\n  - ... and {count - SHOWN_PROBLEMS} more (all are in the error's problems)"
        super().__init__(f"purpose specification {source} has {count} {noun}:\n{lines}")


# ---------------------------------------------------------------------------------------------------------------
# The specification as dataclasses
# ---------------------------------------------------------------------------------------------------------------


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

    def recipient(self, recipient_id: str) -> Recipient:
        """The recipient with this id, or a KeyError that lists the ids the specification knows."""
        try:
            return self.recipients[recipient_id]
        except KeyError:
            known = ", ".join(sorted(self.recipients))
            raise KeyError(
                f"no recipient {shorten(recipient_id)} in specification {shorten(self.id)}; known: {known}"
            ) from None


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------


def builtin_names() -> list[str]:
    """The specifications shipped with the package, by name (``shielding`` for ``playbook/specs/shielding.yaml``)."""
    folder = resources.files("playbook") / "specs"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml") and p.is_file())


def _builtin_text(name: str) -> str:
    """The text of a built-in specification. Only a name from :func:`builtin_names` is read, never a path."""
    available = builtin_names()
    if name not in available:
        raise FileNotFoundError(
            f"no built-in specification {shorten(name)}; available: {', '.join(available)}. "
            "To load your own file, use load_spec(path)."
        )
    return (resources.files("playbook") / "specs" / f"{name}.yaml").read_text(encoding="utf-8")


def load_builtin(name: str = "shielding") -> PurposeSpec:
    """Load a specification shipped with the package (``playbook/specs/<name>.yaml``).

    Notebooks use this so they never depend on a path relative to where they run.
    """
    return parse_spec(_builtin_text(name), source=f"{name}.yaml")


def builtin_mapping(name: str = "shielding") -> dict:
    """The built-in specification as a plain, editable mapping: for lessons that break it on purpose."""
    return load_yaml(_builtin_text(name), source=f"{name}.yaml")


def load_spec(path: str | Path) -> PurposeSpec:
    """Load and validate a specification from a YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(path.name, [f"not UTF-8 text (byte {exc.start}): save the file as UTF-8"]) from None
    return parse_spec(text, source=path.name)


class _SpecLoader(yaml.SafeLoader):
    """YAML's safe loader (no ``!!python/object`` tags) that also refuses aliases: a specification has no need
    of them, and an alias bomb (a few KB that expand to billions of values) must not reach the validator."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"found the alias *{cut(event.anchor)}: aliases (*name) are not allowed in a "
                "specification; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _duplicate_keys(root: yaml.Node) -> list[str]:
    """Every key written twice in one mapping, at any level. YAML keeps the last, so a reviewer reading the first
    ``row_scope`` would approve something other than what runs."""
    problems = []
    stack = [(root, "the top level")]
    while stack:
        node, place = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                ids = (
                    [v.value for k, v in item.value if k.value == "id" and isinstance(v, yaml.ScalarNode)]
                    if isinstance(item, yaml.MappingNode)
                    else []
                )
                stack.append((item, f"{place}[{i}]" + (f" ({shorten(ids[0])})" if ids else "")))
        elif isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if (key.tag, key.value) in first:
                        problems.append(
                            (
                                line,
                                f"line {line}: duplicate key {shorten(key.value)} in {place} (first "
                                f"on line {first[key.tag, key.value]}); YAML would silently keep the "
                                "last one: keep one and delete the other",
                            )
                        )
                    first.setdefault((key.tag, key.value), line)
                    name = cut(key.value)
                    stack.append((value, name if place == "the top level" else f"{place}.{name}"))
    return [text for _, text in sorted(problems)]


def load_yaml(text: str, source: str = "<text>") -> Any:
    """YAML text as Python values, refusing what a specification must not hold: ``!!python/object`` tags,
    aliases and duplicate keys. Raises :class:`SpecError` naming the line."""
    loader = _SpecLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = _duplicate_keys(node)
        if duplicates:
            raise SpecError(source, duplicates)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise SpecError(source, [f"not valid YAML: {exc}"]) from None
    except RecursionError:
        raise SpecError(source, ["not valid YAML: nested too deeply"]) from None
    finally:
        loader.dispose()


def parse_spec(text_or_mapping: str | Mapping[str, Any], source: str = "<text>") -> PurposeSpec:
    """Parse and validate a specification from YAML text or an already-loaded mapping.

    Raises :class:`SpecError` listing every problem, each naming where it is.
    """
    raw = load_yaml(text_or_mapping, source) if isinstance(text_or_mapping, str) else text_or_mapping
    builder = _Builder()
    spec = builder.build(raw)
    problems = builder.problems
    if spec is not None:
        problems += semantic_problems(spec)
    if problems or spec is None:  # the builder returns None only with problems recorded
        raise SpecError(source, problems)
    return spec


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


class _Builder:
    """Turns the raw YAML mapping into dataclasses, recording structural problems instead of stopping."""

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


# ---------------------------------------------------------------------------------------------------------------
# Consistency rules
# ---------------------------------------------------------------------------------------------------------------


def semantic_problems(spec: PurposeSpec) -> list[str]:
    """Every rule that ties one part of a specification to another. Returns a list of problems (empty if none)."""
    problems: list[str] = []
    basis = spec.lawful_basis

    # Dates: the share must start before it ends, be reviewed while it runs, and not delete before it starts.
    if spec.start_date and spec.end_date and spec.end_date < spec.start_date:
        problems.append(f"end_date {spec.end_date} is before start_date {spec.start_date}")
    if (
        spec.review_date
        and spec.start_date
        and spec.end_date
        and spec.start_date <= spec.end_date
        and not (spec.start_date <= spec.review_date <= spec.end_date)
    ):
        problems.append(f"review_date {spec.review_date} must fall between start_date and end_date")
    if spec.delete_by and spec.start_date and spec.delete_by < spec.start_date:
        problems.append(f"retention: delete_by {spec.delete_by} is before start_date {spec.start_date}")

    # Special category data needs an Article 9 condition; some conditions need a Schedule 1 condition too.
    special_fields = sorted(n for n, f in spec.fields.items() if f.special_category)
    shared_special = sorted({n for r in spec.recipients.values() for n in r.fields if n in special_fields})
    if (spec.special_category or spec.confidential_patient_information or shared_special) and not basis.article9:
        what = f"fields {', '.join(shared_special)} are" if shared_special else "the data is"
        problems.append(f"lawful_basis: {what} special category data but no Article 9 condition is given")
    if basis.article9 in SCHEDULE1_FOR_ARTICLE9:
        part, paragraphs = SCHEDULE1_FOR_ARTICLE9[basis.article9]
        wanted = (
            f"Part 1 paragraph {paragraphs[0]}"
            if part == 1
            else f"a Part 2 paragraph from {paragraphs[0]} to {paragraphs[-1]}"
        )
        if basis.schedule1 is None:
            problems.append(
                f"lawful_basis: Article 9(2)({basis.article9}) also needs a DPA 2018 Schedule 1 "
                f"condition (section 10): give schedule1 {wanted}"
            )
        elif basis.schedule1[0] != part or basis.schedule1[1] not in paragraphs:
            problems.append(
                f"lawful_basis: Schedule 1 Part {basis.schedule1[0]} paragraph {basis.schedule1[1]} "
                f"does not complete Article 9(2)({basis.article9}); use {wanted}"
            )
    elif basis.schedule1 is not None and basis.article9:
        problems.append(
            f"lawful_basis: Article 9(2)({basis.article9}) does not use a Schedule 1 condition; "
            "remove schedule1 or change the Article 9 condition"
        )
    if basis.schedule1 and needs_appropriate_policy_document(basis.schedule1) and not basis.appropriate_policy_document:
        problems.append(
            f"lawful_basis: Schedule 1 Part {basis.schedule1[0]} paragraph {basis.schedule1[1]} needs an "
            "appropriate policy document: name it in appropriate_policy_document"
        )

    # Public authorities cannot rely on legitimate interests for their tasks.
    public = [c.name for c in spec.controllers if c.organisation_type == "public_authority" and c.role != "source"]
    if basis.article6 in ("ea", "f") and public:
        problems.append(
            f"lawful_basis: {', '.join(public)} is a public authority and cannot rely on Article "
            f"6(1)({basis.article6}) {ARTICLE6_BASES[basis.article6]} for its tasks; consider (e) "
            "public task"
        )

    # Confidential patient information needs a way through the common law duty of confidentiality.
    if spec.confidential_patient_information and basis.duty_of_confidentiality == "not_applicable":
        problems.append(
            "lawful_basis: the data includes confidential patient information, so "
            "duty_of_confidentiality cannot be not_applicable; record the route "
            f"({', '.join(k for k in CONFIDENTIALITY_ROUTES if k != 'not_applicable')})"
        )

    # Fields and uses must be known; every field a recipient gets needs a justification.
    for name in sorted(spec.excluded_fields):
        if name not in spec.fields:
            problems.append(f"excluded_fields: {shorten(name)} is not in the field catalogue")
        if not spec.excluded_fields[name]:
            problems.append(f"excluded_fields: {shorten(name)} has no reason")
    for use in sorted(set(spec.permitted_uses) & set(spec.prohibited_uses)):
        problems.append(f"uses: {shorten(use)} is both permitted and prohibited")
    for use in sorted(spec.prohibited_uses):
        if not spec.prohibited_uses[use]:
            problems.append(f"uses.prohibited: {shorten(use)} has no reason")
    if not spec.permitted_uses:
        problems.append("uses.permitted: name at least one permitted use")

    for rid, rec in spec.recipients.items():
        where = f"recipient {shorten(rid)}"
        if not rec.fields:
            problems.append(f"{where}: lists no fields")
        for name, justification in rec.fields.items():
            if name not in spec.fields:
                problems.append(f"{where}: field {shorten(name)} is not in the field catalogue")
            if not justification:
                problems.append(f"{where}: field {shorten(name)} has no justification")
            if name in spec.excluded_fields:
                problems.append(
                    f"{where}: field {shorten(name)} is excluded for every recipient ({spec.excluded_fields[name]})"
                )
        if not rec.uses:
            problems.append(f"{where}: lists no uses")
        for use in rec.uses:
            if use not in spec.permitted_uses:
                problems.append(f"{where}: use {shorten(use)} is not a permitted use")
        for rf in rec.row_scope:
            if rf.column not in spec.fields:
                problems.append(f"{where}: row_scope column {shorten(rf.column)} is not in the field catalogue")
        if rec.partition_by and rec.partition_by not in spec.fields:
            problems.append(f"{where}: partition_by {shorten(rec.partition_by)} is not in the field catalogue")
    return problems


def needs_appropriate_policy_document(schedule1: tuple[int, int]) -> bool:
    """Whether a Schedule 1 condition needs an appropriate policy document.

    Part 1 paragraph 1 says so itself; Part 2 paragraph 5 asks for one for every Part 2 condition unless that
    condition says otherwise. This check asks for one for every Part 2 condition: read the paragraph to see if
    yours is an exception.
    """
    part, paragraph = schedule1
    return (part == 1 and paragraph == 1) or part == 2


# ---------------------------------------------------------------------------------------------------------------
# Enforcement: fields and requests
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The answer to a check: allowed or refused, and why."""

    allowed: bool
    recipient: str
    item: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def outcome(self) -> str:
        return "allowed" if self.allowed else "refused"

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)

    def __str__(self) -> str:
        return f"{self.outcome.upper()}: {self.recipient} / {self.item}: {self.reason}"


def _period_reason(spec: PurposeSpec, on: _dt.date | None) -> str | None:
    if on is None:
        return None
    if on < spec.start_date:
        return f"The purpose starts on {spec.start_date}; nothing is shared before then."
    if on > spec.end_date:
        return (
            f"The purpose ended on {spec.end_date}; sharing after that needs a new decision "
            "and an updated specification."
        )
    return None


def check_field(spec: PurposeSpec, recipient_id: str, field_name: str, on: _dt.date | None = None) -> Decision:
    """May this recipient receive this field under the purpose? Returns a :class:`Decision` with the reason.

    Refused when the recipient is not named, the field is excluded for everyone, the field is not in the
    catalogue, the field is not justified for this recipient, or ``on`` falls outside the purpose's dates.
    """
    late = _period_reason(spec, on)
    if late:
        return Decision(False, recipient_id, field_name, (late,))
    if recipient_id not in spec.recipients:
        return Decision(
            False,
            recipient_id,
            field_name,
            (
                f"{shorten(recipient_id)} is not a recipient under this purpose (recipients: "
                f"{', '.join(sorted(spec.recipients))}).",
            ),
        )
    rec = spec.recipients[recipient_id]
    if field_name in rec.fields:
        return Decision(True, recipient_id, field_name, (rec.fields[field_name],))
    if field_name in spec.excluded_fields:
        return Decision(
            False, recipient_id, field_name, (f"Excluded for every recipient: {spec.excluded_fields[field_name]}",)
        )
    if field_name not in spec.fields:
        return Decision(
            False,
            recipient_id,
            field_name,
            (
                f"{shorten(field_name)} is not in the field catalogue: the purpose has not considered it. "
                "Add it to the specification with a justification before anyone receives it.",
            ),
        )
    others = sorted(r.id for r in spec.recipients.values() if field_name in r.fields)
    where = f"It is justified for {', '.join(others)}, but not" if others else "It is not justified"
    return Decision(
        False,
        recipient_id,
        field_name,
        (f"{where} for {rec.name}. To add it, record why this recipient needs it and update the specification.",),
    )


def check_request(
    spec: PurposeSpec, requester: str, use: str, fields: Sequence[str] = (), on: _dt.date | None = None
) -> Decision:
    """Is a request (who asks, for what use, for which fields) inside the purpose?

    A request is allowed only when the requester is a named recipient, the use is permitted and is one of
    that recipient's uses, every field is allowed for that recipient, and ``on`` falls within the dates.
    Every reason for refusal is given, most important first.
    """
    reasons: list[str] = []
    late = _period_reason(spec, on)
    if late:
        reasons.append(late)
    if use in spec.prohibited_uses:
        reasons.append(f"The use {shorten(use)} is outside the purpose and is refused: {spec.prohibited_uses[use]}")
    elif use not in spec.permitted_uses:
        reasons.append(
            f"The use {shorten(use)} is not one of the permitted uses "
            f"({', '.join(sorted(spec.permitted_uses))}). The purpose is: {spec.purpose}"
        )
    if requester not in spec.recipients:
        reasons.append(
            f"{shorten(requester)} is not a recipient named in the specification. A new recipient needs its "
            "own decision on lawful basis and risk, not an extract."
        )
    else:
        rec = spec.recipients[requester]
        if use in spec.permitted_uses and use not in rec.uses:
            reasons.append(f"{rec.name} receives data only for: {', '.join(rec.uses)}.")
        for name in fields:
            decision = check_field(spec, requester, name)
            if not decision.allowed:
                reasons.append(f"Field {shorten(name)}: {decision.reason}")
    if reasons:
        return Decision(False, requester, use, tuple(reasons))
    what = f" with fields {', '.join(fields)}" if fields else ""
    return Decision(True, requester, use, (f"Inside the purpose: {spec.permitted_uses[use]}{what}.",))


def field_table(spec: PurposeSpec, fields: Sequence[str] | None = None, recipients: Sequence[str] | None = None):
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


def field_matrix(spec: PurposeSpec):
    """A recipients-by-fields grid of 'yes' / '-' showing at a glance who receives what."""
    import pandas as pd

    names = sorted(spec.fields)
    data = {rid: ["yes" if n in spec.recipients[rid].fields else "-" for n in names] for rid in sorted(spec.recipients)}
    frame = pd.DataFrame(data, index=names)
    frame.index.name = "field"
    return frame


def source_columns(spec: PurposeSpec, table: str, fields: Sequence[str] | None = None) -> dict[str, tuple[str, ...]]:
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


def catalogue_table(spec: PurposeSpec):
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


def recipients_table(spec: PurposeSpec):
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
