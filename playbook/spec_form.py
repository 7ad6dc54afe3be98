"""The no-code route: fill in a purpose specification from a form and write the drafts.

A form shows a few flat values (the title, the dates, the lawful basis, and for each recipient which fields it
gets and why). These functions move values between a specification, as loaded from YAML, and such a form:

- :func:`form_values` reads the values a form shows from a specification;
- :func:`apply_form` writes a form's values back into a new copy of the specification;
- :func:`check` lists what is wrong with a specification, without raising;
- :func:`write_from_form` checks the result and writes the drafts, or refuses before writing anything.

The form in :func:`playbook.widgets.specification_form` is wiring around these functions, so everything it
decides is tested here. Nothing here guesses a fact: a field ticked without a justification stays unjustified,
and an answer the form leaves out stays out, so the validator refuses it with its usual message.

The checks support a decision; they are not legal advice.
"""

from __future__ import annotations

import copy
import datetime as _dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from playbook import documents
from playbook.purpose import (
    ARTICLE6_BASES,
    ARTICLE9_CONDITIONS,
    CONFIDENTIALITY_ROUTES,
    ORGANISATION_TYPES,
    SCHEDULE1_FOR_ARTICLE9,
    SpecError,
    as_date,
    parse_spec,
)

#: How every value still to be filled in starts in the blank specification (``playbook/specs/blank.yaml``), and
#: how its example names start (``TO_COMPLETE_field_name``).
PLACEHOLDER = re.compile(r"TO[ _]COMPLETE")

#: What :func:`check` gives as its only line when the specification is ready for drafting.
NO_PROBLEMS = "No problems found"

#: The formats :func:`write_from_form` can write, with the words a form shows for each.
FORMATS = {"md": "Markdown", "docx": "Word"}

#: What a form calls each value, in the order a form shows them.
LABELS = {
    "title": "Title",
    "purpose": "Purpose",
    "public_benefit": "Public benefit",
    "start_date": "Start date",
    "end_date": "End date",
    "review_date": "Review date",
    "delete_by": "Delete every copy by",
    "controller_name": "Controller",
    "controller_type": "Controller type",
    "source_name": "Source of the data",
    "source_type": "Source type",
    "special_category": "Special category data",
    "confidential_patient_information": "Confidential patient information",
    "article6": "UK GDPR Article 6(1)",
    "article9": "UK GDPR Article 9(2)",
    "schedule1_part": "DPA 2018 Schedule 1 part",
    "schedule1_paragraph": "Schedule 1 paragraph",
    "appropriate_policy_document": "Appropriate policy document",
    "legal_power": "Legal power",
    "duty_of_confidentiality": "Duty of confidentiality",
    "recipients": "Recipients",
}

#: The answers a form groups under "Lawful basis": the one list :func:`apply_form` writes back and a form shows.
LAWFUL_BASIS_FIELDS = (
    "article6",
    "article9",
    "schedule1_part",
    "schedule1_paragraph",
    "appropriate_policy_document",
    "legal_power",
    "duty_of_confidentiality",
)

_TEXT = ("title", "purpose", "public_benefit")
_DATES = ("start_date", "end_date", "review_date", "delete_by")

#: The headings a form shows, each with its values, in the order of :data:`LABELS` (recipients come last).
SECTIONS = {
    "The share": _TEXT,
    "Dates": _DATES,
    "Who": ("controller_name", "controller_type", "source_name", "source_type"),
    "The data": ("special_category", "confidential_patient_information"),
    "Lawful basis": LAWFUL_BASIS_FIELDS,
}
_RECIPIENT_KEYS = ("uses", "fields")
_FIELD_KEYS = ("ticked", "justification")
_NOT_CHOSEN = "Not chosen"
_YES_NO = [("Not answered", None), ("Yes", True), ("No", False)]
#: Shorter words for the longest routes through the duty of confidentiality, so a dropdown shows them whole.
_SHORT_ROUTES = {
    "copi_notice": "a notice under regulation 3(4) of the COPI Regulations 2002",
    "section_251_support": "support under section 251 of the NHS Act 2006 (Confidentiality Advisory Group)",
    "overriding_public_interest": "an overriding public interest, decided case by case",
}

#: The options of every value a form offers as a choice, as (label, value) pairs, from the vocabularies in
#: :mod:`playbook.purpose`. ``None`` means "not chosen": the validator refuses it where an answer is required.
CHOICES: dict[str, list[tuple[str, Any]]] = {
    "controller_type": [(_NOT_CHOSEN, None)] + [(t.replace("_", " "), t) for t in ORGANISATION_TYPES],
    "source_type": [(_NOT_CHOSEN, None)] + [(t.replace("_", " "), t) for t in ORGANISATION_TYPES],
    "special_category": _YES_NO,
    "confidential_patient_information": _YES_NO,
    "article6": [(_NOT_CHOSEN, None)] + [(f"({k}) {label}", k) for k, label in ARTICLE6_BASES.items()],
    "article9": [("None: no special category data", None)]
    + [(f"({k}) {label}", k) for k, label in ARTICLE9_CONDITIONS.items()],
    "schedule1_part": [("None", None), ("Part 1", 1), ("Part 2", 2)],
    "schedule1_paragraph": [("None", None)]
    + [(f"paragraph {n}", n) for n in range(1, max(max(r) for _, r in SCHEDULE1_FOR_ARTICLE9.values()) + 1)],
    "duty_of_confidentiality": [(_NOT_CHOSEN, None)]
    + [(_SHORT_ROUTES.get(k, label), k) for k, label in CONFIDENTIALITY_ROUTES.items()],
}


class FormError(ValueError):
    """The form's values are not shaped as :func:`form_values` gives them: an unknown key, or a wrong type."""


# ---------------------------------------------------------------------------------------------------------------
# Reading a specification into form values
# ---------------------------------------------------------------------------------------------------------------


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _first_controller(spec_mapping: Mapping) -> Mapping:
    controllers = spec_mapping.get("controllers")
    return _mapping(controllers[0]) if isinstance(controllers, list) and controllers else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _date(value: Any) -> _dt.date | None:
    """A date a date picker can show; anything else (a placeholder, a mistyped date) shows as no date."""
    return as_date(value)


def _choice(key: str, value: Any) -> Any:
    """The value when the form offers it, else ``None`` ("not chosen"): a form cannot show an unknown option."""
    allowed = [v for _, v in CHOICES[key]]
    return value if any(value is v or (type(value) is type(v) and value == v) for v in allowed) else None


def _recipients(spec_mapping: Mapping) -> list[Mapping]:
    recipients = spec_mapping.get("recipients")
    return [r for r in recipients if isinstance(r, Mapping)] if isinstance(recipients, list) else []


def _names(value: Any) -> list[str]:
    return [str(k) for k in value] if isinstance(value, Mapping) else []


def _use_list(value: Any) -> list[str]:
    return [u for u in value if isinstance(u, str)] if isinstance(value, list) else []


def form_values(spec_mapping: Mapping) -> dict:
    """The values a form shows for this specification (a mapping as loaded from YAML).

    Top-level keys are those of :data:`LABELS`. ``recipients`` maps each recipient id to
    ``{"uses": {use: ticked}, "fields": {field: {"ticked": bool, "justification": text}}}``, listing every
    permitted use and every field in the catalogue (and any the recipient names that the catalogue lacks, so
    they can be unticked). The form shows the first controller. A value the form cannot show (a placeholder in a
    date, an option not in the vocabulary) is ``None``.
    """
    data = _mapping(spec_mapping.get("data"))
    basis = _mapping(spec_mapping.get("lawful_basis"))
    schedule1 = _mapping(basis.get("schedule1"))
    controller = _first_controller(spec_mapping)
    source = _mapping(spec_mapping.get("source"))
    values: dict[str, Any] = {key: _text(spec_mapping.get(key)) for key in _TEXT}
    values.update({key: _date(spec_mapping.get(key)) for key in _DATES[:3]})
    values["delete_by"] = _date(_mapping(spec_mapping.get("retention")).get("delete_by"))
    values.update(
        {
            "controller_name": _text(controller.get("name")),
            "controller_type": _choice("controller_type", controller.get("organisation_type")),
            "source_name": _text(source.get("name")),
            "source_type": _choice("source_type", source.get("organisation_type")),
            "special_category": _choice("special_category", data.get("special_category")),
            "confidential_patient_information": _choice(
                "confidential_patient_information", data.get("confidential_patient_information")
            ),
            "article6": _choice("article6", basis.get("article6")),
            "article9": _choice("article9", basis.get("article9")),
            "schedule1_part": _choice("schedule1_part", schedule1.get("part")),
            "schedule1_paragraph": _choice("schedule1_paragraph", schedule1.get("paragraph")),
            "appropriate_policy_document": _text(basis.get("appropriate_policy_document")),
            "legal_power": _text(basis.get("legal_power")),
            "duty_of_confidentiality": _choice("duty_of_confidentiality", basis.get("duty_of_confidentiality")),
        }
    )
    catalogue = _names(spec_mapping.get("fields"))
    permitted = _names(_mapping(spec_mapping.get("uses")).get("permitted"))
    values["recipients"] = {}
    for rec in _recipients(spec_mapping):
        ticked = rec.get("fields")
        given = ticked if isinstance(ticked, Mapping) else {}
        uses = _use_list(rec.get("uses"))
        fields = {
            name: {"ticked": name in given, "justification": _text(given.get(name)).strip()}
            for name in [*catalogue, *(str(n) for n in given if str(n) not in catalogue)]
        }
        values["recipients"][str(rec.get("id"))] = {
            "uses": {use: use in uses for use in [*permitted, *(u for u in uses if u not in permitted)]},
            "fields": fields,
        }
    return values


# ---------------------------------------------------------------------------------------------------------------
# Writing form values back
# ---------------------------------------------------------------------------------------------------------------


def _refuse_unknown(given: Iterable, allowed: Sequence[str], where: str) -> None:
    unknown = sorted(str(k) for k in given if k not in allowed)
    if unknown:
        raise FormError(
            f"{where}: unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(unknown)} "
            f"(allowed: {', '.join(allowed)})"
        )


def _chosen(original: Sequence[str], ticks: Mapping[str, bool]) -> list[str]:
    """The names still ticked, in their original order, then the newly ticked ones in the form's order."""
    kept = [name for name in original if ticks.get(name, True)]
    return kept + [name for name, ticked in ticks.items() if ticked and name not in kept]


def _section(spec: dict, key: str) -> dict:
    """``spec[key]`` as a mapping the form can write into, made if missing."""
    if not isinstance(spec.get(key), dict):
        spec[key] = {}
    return spec[key]


def _set_or_drop(target: dict, key: str, value: Any) -> None:
    """Write an optional value, or remove the key when the form leaves it empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        target.pop(key, None)
    else:
        target[key] = value


def _apply_recipient(rec: dict, changes: Any, rid: str) -> None:
    where = f"recipients.{rid}"
    if not isinstance(changes, Mapping):
        raise FormError(f"{where}: expected a mapping with {', '.join(_RECIPIENT_KEYS)}")
    _refuse_unknown(changes, _RECIPIENT_KEYS, where)
    if "uses" in changes:
        ticks = changes["uses"]
        if not isinstance(ticks, Mapping) or not all(isinstance(t, bool) for t in ticks.values()):
            raise FormError(f"{where}.uses: expected a mapping of use names to true or false")
        rec["uses"] = _chosen(_use_list(rec.get("uses")), ticks)
    if "fields" in changes:
        fields = changes["fields"]
        if not isinstance(fields, Mapping):
            raise FormError(f"{where}.fields: expected a mapping of field names")
        old = dict(rec["fields"]) if isinstance(rec.get("fields"), Mapping) else {}
        ticks, texts = {}, {}
        for name, entry in fields.items():
            at = f"{where}.fields.{name}"
            if not isinstance(entry, Mapping):
                raise FormError(f"{at}: expected a mapping with {', '.join(_FIELD_KEYS)}")
            _refuse_unknown(entry, _FIELD_KEYS, at)
            ticked = entry.get("ticked", name in old)
            if not isinstance(ticked, bool):
                raise FormError(f"{at}.ticked: expected true or false, got {ticked!r}")
            text = entry.get("justification", old.get(name))
            if text is not None and not isinstance(text, str):
                raise FormError(f"{at}.justification: expected text, got {type(text).__name__}")
            ticks[name], texts[name] = ticked, (text or "").strip()
        # A ticked field keeps exactly the justification the form gives, even none: the validator then refuses
        # it with its usual message. Nothing here writes a justification a person did not.
        rec["fields"] = {name: (texts[name] if name in texts else old[name]) for name in _chosen(list(old), ticks)}


def apply_form(spec_mapping: Mapping, values: Mapping) -> dict:
    """A new specification mapping with the form's values written in; ``spec_mapping`` is left as it was.

    ``values`` is shaped as :func:`form_values` gives it, and may hold only the values that changed. Keys it
    does not know are refused with a :class:`FormError` that names them. The result is not checked here: pass
    it to :func:`check` or :func:`playbook.purpose.parse_spec`.
    """
    if not isinstance(values, Mapping):
        raise FormError(f"form values must be a mapping, got {type(values).__name__}")
    _refuse_unknown(values, list(LABELS), "form values")
    spec = copy.deepcopy(dict(spec_mapping))
    for key in _TEXT:
        if key in values:
            spec[key] = values[key]
    for key in _DATES[:3]:
        if key in values:
            spec[key] = values[key]
    if "delete_by" in values:
        _section(spec, "retention")["delete_by"] = values["delete_by"]

    if {"controller_name", "controller_type"} & set(values):
        controllers = spec.get("controllers")
        if not isinstance(controllers, list) or not controllers:
            controllers = spec["controllers"] = [{}]
        if not isinstance(controllers[0], dict):
            controllers[0] = {}
        if "controller_name" in values:
            controllers[0]["name"] = values["controller_name"]
        if "controller_type" in values:
            controllers[0]["organisation_type"] = values["controller_type"]
    if "source_name" in values:
        _section(spec, "source")["name"] = values["source_name"]
    if "source_type" in values:
        _section(spec, "source")["organisation_type"] = values["source_type"]
    for key in ("special_category", "confidential_patient_information"):
        if key in values:
            _section(spec, "data")[key] = values[key]

    basis = _section(spec, "lawful_basis") if set(values) & set(LAWFUL_BASIS_FIELDS) else {}
    for key in ("article6", "legal_power", "duty_of_confidentiality"):
        if key in values:
            basis[key] = values[key]
    for key in ("article9", "appropriate_policy_document"):
        if key in values:
            _set_or_drop(basis, key, values[key])
    if "schedule1_part" in values or "schedule1_paragraph" in values:
        old = _mapping(basis.get("schedule1"))
        part = values.get("schedule1_part", old.get("part"))
        paragraph = values.get("schedule1_paragraph", old.get("paragraph"))
        # Both empty means no Schedule 1 condition; one without the other is written so the validator names it.
        _set_or_drop(
            basis, "schedule1", None if part is None and paragraph is None else {"part": part, "paragraph": paragraph}
        )

    if "recipients" in values:
        changes = values["recipients"]
        if not isinstance(changes, Mapping):
            raise FormError("recipients: expected a mapping of recipient ids")
        by_id = {str(r.get("id")): r for r in spec.get("recipients") or [] if isinstance(r, dict)}
        _refuse_unknown(changes, list(by_id), "recipients")
        for rid, change in changes.items():
            _apply_recipient(by_id[rid], change, rid)
    return spec


# ---------------------------------------------------------------------------------------------------------------
# Checking and writing
# ---------------------------------------------------------------------------------------------------------------


def _source_name(spec_mapping: Any) -> str:
    name = spec_mapping.get("id") if isinstance(spec_mapping, Mapping) else None
    return str(name) if isinstance(name, str) and name.strip() and not PLACEHOLDER.search(name) else "<form>"


def placeholders(spec_mapping: Any, where: str = "", _seen: frozenset[int] = frozenset()) -> list[tuple[str, str]]:
    """Every place that still holds a placeholder from the blank specification, as (where, placeholder).

    A mapping or list that contains itself (YAML aliases can build one) is walked once, not forever.
    """
    found: list[tuple[str, str]] = []
    if isinstance(spec_mapping, (Mapping, list)):
        if id(spec_mapping) in _seen:
            return found
        _seen = _seen | {id(spec_mapping)}
    if isinstance(spec_mapping, Mapping):
        for key, value in spec_mapping.items():
            at = f"{where}.{key}" if where else str(key)
            if PLACEHOLDER.search(str(key)):
                found.append((at, str(key)))
            found += placeholders(value, at, _seen)
    elif isinstance(spec_mapping, list):
        for i, value in enumerate(spec_mapping):
            found += placeholders(value, f"{where}[{i}]", _seen)
    elif isinstance(spec_mapping, str) and PLACEHOLDER.search(spec_mapping):
        found.append((where, spec_mapping))
    return found


def check(spec_mapping: Any) -> list[str]:
    """Everything wrong with the specification, as a list of problems; empty when it is ready for drafting.

    The list is the validator's problems (:func:`playbook.purpose.parse_spec`), then every placeholder from the
    blank specification that is still there and that the validator has not already named: a title that still
    says "TO COMPLETE" passes the validator, but no draft should be written from it. Never raises for a problem
    in the specification.
    """
    try:
        parse_spec(spec_mapping, source=_source_name(spec_mapping))
        problems: list[str] = []
    except SpecError as exc:
        problems = list(exc.problems)
    named = list(problems)
    problems += [
        f"{where}: replace the placeholder {text!r}"
        for where, text in placeholders(spec_mapping)
        if not any(text in p for p in named)
    ]
    return problems


def write_from_form(
    spec_mapping: Mapping,
    values: Mapping,
    folder: str | os.PathLike,
    formats: Sequence[str] = ("md",),
    generated_on: _dt.date | None = None,
) -> list[Path]:
    """Apply the form, check the result, then write the DPIA and agreements with
    :func:`playbook.documents.write_drafts`. Returns the paths written.

    A specification with any problem that :func:`check` finds raises :class:`playbook.purpose.SpecError` listing
    them, before anything is written. ``formats`` holds keys of :data:`FORMATS`, at least one.
    """
    formats = tuple(formats)
    _refuse_unknown(formats, list(FORMATS), "formats")
    if not formats:
        raise FormError(f"formats: choose at least one of {', '.join(FORMATS.values())}")
    if not str(folder).strip():
        raise FormError("folder: give the name of a new folder for the drafts")
    spec_mapping = apply_form(spec_mapping, values)
    problems = check(spec_mapping)
    if problems:
        raise SpecError(_source_name(spec_mapping), problems)
    spec = parse_spec(spec_mapping, source=_source_name(spec_mapping))
    return documents.write_drafts(spec, folder, generated_on=generated_on, formats=formats)
