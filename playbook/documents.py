"""Paperwork from the purpose: draft a DPIA, the data sharing agreements and the other documents from the specification.

The purpose specification already says what the share is for, who receives which fields and why, which rows, on
what lawful basis and until when. A DPIA and a data sharing agreement must say the same things, so they are drafted
from the same file and change when it changes. Nothing is invented: whatever the specification cannot know (risk
scores, security measures, who signed) is left as a "To complete:" prompt for a person to fill in.

The wording of every document lives in a template in ``playbook/templates/`` (see :mod:`playbook.rendering`), so
it can be improved without touching Python. This module only works out the values the templates need: which
fields each recipient receives and is refused, the risks the specification points to, and what the lawful-basis
decision model finds. :data:`DOCUMENT_TYPES` lists every document; :func:`write_drafts` writes a full set for a
specification, and :func:`write_blank_templates` writes a blank version of each, in Markdown and Word.

Where the caller gives the decision model's remaining answers, the drafts also carry what
:func:`playbook.lawful_basis.assess` finds and its Annex B decision record; the legal logic stays in that module.

The drafts support the people who write the final documents; they are not legal advice.

From the command line::

    python -m playbook.documents SPEC.yaml --out DIR [--format md,docx] [--answers ANSWERS.yaml] [--date YYYY-MM-DD]
    python -m playbook.documents --blank --out DIR [--format md,docx]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import outbox
from playbook import lawful_basis
from playbook.purpose import (
    ARTICLE6_BASES,
    ARTICLE9_CONDITIONS,
    CONFIDENTIALITY_ROUTES,
    PurposeSpec,
    Recipient,
    SpecError,
    check_field,
    load_yaml,
    parse_spec,
)
from playbook.rendering import TO_COMPLETE, TemplateError, day, markdown_to_docx, render_markdown
from playbook.safe_names import UnsafeNameError, safe_file_stem, shorten

__all__ = [
    "DOCUMENT_TYPES",
    "FORMATS",
    "SOURCE_NAMES",
    "TO_COMPLETE",
    "DocumentType",
    "DraftError",
    "assess_recipient",
    "day",
    "draft",
    "draft_data_sharing_agreement",
    "draft_decision_record",
    "draft_dpia",
    "main",
    "spec_choices",
    "write_blank_templates",
    "write_drafts",
]

#: Words for the references.bib keys that :mod:`playbook.lawful_basis` cites, so a draft names sources in words.
SOURCE_NAMES = {
    "ukgdpr": "UK GDPR",
    "ukgdprannex1": "UK GDPR Annex 1",
    "dpa2018": "Data Protection Act 2018",
    "copi2002": "Control of Patient Information Regulations 2002",
    "dhsc2022copinotice": "Department of Health and Social Care, COPI notices",
    "nhsd2022copiexit": "NHS Digital guidance on the end of the COPI notices",
    "nhsd2022optout": "National data opt-out operational policy guidance",
    "nhsact2006": "National Health Service Act 2006",
    "hsca2012": "Health and Social Care Act 2012",
    "hracag": "Health Research Authority, Confidentiality Advisory Group",
    "hracopitransition": "Health Research Authority, COPI notice transition",
    "ndg2020caldicott": "National Data Guardian, the Caldicott Principles",
    "hra1998": "Human Rights Act 1998",
    "mca2005": "Mental Capacity Act 2005",
    "cca2005regs": "Civil Contingencies Act 2004 (Contingency Planning) Regulations 2005",
    "freeguard2023": "Institute for Government, Data sharing during coronavirus",
    "dea2017": "Digital Economy Act 2017",
    "ico2021datasharingcode": "ICO data sharing code of practice",
    "ico2022dpia": "ICO guidance on DPIAs",
    "ico2025anonymisation": "ICO guidance on anonymisation",
    "icovitalinterests": "ICO guidance on vital interests",
    "icorli": "ICO guidance on recognised legitimate interest",
    "icocompatibility": "ICO guidance on compatibility and reuse",
}

#: Decision-model answers that come from the specification, so a caller cannot contradict it.
SPEC_ANSWERS = (
    "special_category",
    "confidential_patient_information",
    "discloser",
    "recipient",
    "recipient_role",
    "recipient_own_purposes",
)

#: How the specification's duty_of_confidentiality names the decision model's confidentiality candidates.
_CONFIDENTIALITY_CHOICE = {
    "consent": "consent",
    "copi_notice": "copi_regulation_3",
    "legal_requirement": "legal_requirement",
    "section_251_support": "section_251",
    "overriding_public_interest": "overriding_public_interest",
    "not_applicable": None,
}

#: The formats a document can be written in.
FORMATS = ("md", "docx")


class DraftError(ValueError):
    """The drafts cannot be made as asked: unknown recipient or format, bad answers, or a folder already in use."""


# ---------------------------------------------------------------------------------------------------------------
# The specification and the decision model
# ---------------------------------------------------------------------------------------------------------------


def _resolve(spec: PurposeSpec | Mapping[str, Any] | os.PathLike) -> tuple[PurposeSpec, str]:
    """The checked specification and a label naming it and its version.

    The validator runs first, so a specification with gaps is refused before any paperwork is drafted.
    """
    if isinstance(spec, PurposeSpec):
        checked = spec
    elif isinstance(spec, os.PathLike):
        path = Path(spec)
        checked = parse_spec(path.read_text(encoding="utf-8"), source=path.name)
    elif isinstance(spec, Mapping):
        checked = parse_spec(spec, source=str(spec.get("id") or "<mapping>"))
    else:
        raise TypeError(
            f"spec must be a PurposeSpec, a mapping loaded from YAML or a path to a YAML file, "
            f"got {type(spec).__name__}"
        )
    label = f"purpose specification `{checked.id}`, " + (
        f"version {checked.version}" if checked.version is not None else "version not recorded"
    )
    if checked.status:
        label += f" ({checked.status})"
    return checked, label


def assess_recipient(spec: PurposeSpec, recipient_id: str, answers: Mapping[str, Any]) -> lawful_basis.Assessment:
    """Run the lawful-basis decision model for one recipient.

    The specification supplies what it knows (special category data, confidential patient information, who
    discloses and who receives); ``answers`` supplies the rest (see :data:`playbook.lawful_basis.QUESTIONS`).
    The discloser is the first controller the specification names.
    """
    clash = sorted(set(answers) & set(SPEC_ANSWERS))
    if clash:
        raise DraftError(f"answers {', '.join(clash)} come from the specification; remove them from answers")
    recipient = spec.recipient(recipient_id, DraftError)
    return lawful_basis.assess(
        {
            **answers,
            "special_category": spec.special_category,
            "confidential_patient_information": spec.confidential_patient_information,
            "discloser": spec.controllers[0].organisation_type,
            "recipient": recipient.organisation_type,
            "recipient_role": recipient.role,
            "recipient_own_purposes": recipient.role != "processor",
        }
    )


def spec_choices(spec: PurposeSpec) -> dict[str, str | None]:
    """The choices the specification records, named as the decision model names its candidates.

    The specification is where a person chose the basis; a decision record drafted from it repeats that choice,
    and :func:`playbook.lawful_basis.decision_record` refuses it if the model did not offer it for these answers.
    """
    basis = spec.lawful_basis
    article9 = None
    if basis.article9 == "g" and basis.schedule1:
        article9 = f"9(2)(g) para {basis.schedule1[1]}"
    elif basis.article9:
        article9 = f"9(2)({basis.article9})"
    return {
        "article6": f"6(1)({basis.article6})" if basis.article6 != "ea" else None,
        "article9": article9,
        "confidentiality": _CONFIDENTIALITY_CHOICE[basis.duty_of_confidentiality],
    }


def _cite(point: lawful_basis.Point) -> str:
    """A point's source in words and its pinpoint, for example 'UK GDPR, Article 35(3)(b)'."""
    return f"{SOURCE_NAMES.get(point.source, point.source)}, {point.pinpoint}"


def _sources_in_words(text: str) -> str:
    """The decision model's citations, such as '(ukgdpr: Article 6(1)(e))', with the source named in words."""
    for source, words in SOURCE_NAMES.items():
        text = text.replace(f"({source}: ", f"(source: {words}, ")
    return text


def _unique(points: Iterable[lawful_basis.Point]) -> list[lawful_basis.Point]:
    seen, out = set(), []
    for p in points:
        if p.text not in seen:
            seen.add(p.text)
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------------------------
# The values each template needs beyond the specification itself
# ---------------------------------------------------------------------------------------------------------------


def _risks(spec: PurposeSpec) -> list[tuple[str, Any]]:
    """Risks the specification itself points to, as (kind, item); the DPIA template words and numbers them."""
    risks: list[tuple[str, Any]] = [("recipient", r) for r in spec.recipients.values()]
    if spec.special_category:
        risks.append(("special_category", None))
    risks += [("prohibited_use", use) for use in spec.prohibited_uses]
    risks.append(("retention", spec.delete_by))
    return risks


def _dpia_values(
    spec: PurposeSpec | None, recipient: Recipient | None, answers: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Who receives each field and use, what each recipient is refused, the risks, and the model's findings."""
    if spec is None:
        return {
            "receivers": {},
            "use_recipients": {},
            "refused": {},
            "risks": [],
            "screen": [],
            "needs": None,
            "warnings": None,
            "cite": _cite,
        }
    recipients = list(spec.recipients.values())
    assessments = [assess_recipient(spec, r.id, answers) for r in recipients] if answers is not None else []
    return {
        "receivers": {name: [r.id for r in recipients if name in r.fields] for name in spec.fields},
        "use_recipients": {use: [r.id for r in recipients if use in r.uses] for use in spec.permitted_uses},
        "refused": {
            r.id: [n for n in spec.fields if n not in spec.excluded_fields and not check_field(spec, r.id, n).allowed]
            for r in recipients
        },
        "risks": _risks(spec),
        "screen": _unique(p for a in assessments for p in a.needs if p.topic == "dpia"),
        "needs": _unique(p for a in assessments for p in a.needs if p.topic != "dpia") if assessments else None,
        "warnings": _unique(p for a in assessments for p in a.warnings) if assessments else None,
        "cite": _cite,
    }


def _decision_values(
    spec: PurposeSpec | None, recipient: Recipient | None, answers: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The decision model's Annex B record for one recipient, with the specification's choices.

    ``decision`` is None when there is no assessment (a blank template, or no answers). Otherwise it holds the
    verdict and either ``rows`` (item, record, and for the rows a person fills in, ``entry``: which one) or
    ``problems``, when the specification chose a basis the model does not offer for these answers.
    ``annex_b`` lists the rows of the form, for the blank version.
    """
    values: dict[str, Any] = {"annex_b": [label for label, _ in lawful_basis._ANNEX_B_ROWS], "decision": None}
    if spec is None or recipient is None or answers is None:
        return values
    assessment = assess_recipient(spec, recipient.id, answers)
    choices: dict[str, Any] = spec_choices(spec)
    entries = lawful_basis._ENTRY_KEYS  # row label -> the entry a person (here, the template) writes
    try:
        # The template writes the entries; the model only needs to know that each one will be there.
        record = lawful_basis.decision_record(assessment, **choices, **{key: key for key in entries.values()})
    except lawful_basis.ScenarioError as exc:
        values["decision"] = {"verdict": assessment.verdict.value, "rows": None, "problems": exc.problems}
        return values
    rows = [
        {"item": item, "entry": entries.get(item), "record": _sources_in_words(text)}
        for item, text in record.itertuples(index=False)
    ]
    values["decision"] = {"verdict": assessment.verdict.value, "rows": rows, "problems": None}
    return values


# ---------------------------------------------------------------------------------------------------------------
# The registry of documents
# ---------------------------------------------------------------------------------------------------------------

#: What a document covers: one per specification, one per recipient, or one per recipient that is a processor.
SCOPES = ("specification", "recipient", "processor")


@dataclass(frozen=True)
class DocumentType:
    """One kind of document: its template, its title, and how many a specification gets.

    ``description`` says in one sentence what the document is for, for the list of downloads.
    ``file`` names the file: ``<file>.md`` for one per specification and for every blank template,
    ``<file>-<recipient id>.md`` for one per recipient. ``needs_answers``: drafted from a specification only when
    the decision model's answers are given (a blank version is always written). ``values`` works out any context
    the template needs beyond the specification, from (spec, recipient, answers); spec is None when blank.
    """

    name: str
    template: str
    title: str
    scope: str
    file: str
    description: str
    needs_answers: bool = False
    values: Callable[[PurposeSpec | None, Recipient | None, Mapping[str, Any] | None], dict[str, Any]] | None = None

    def stem(self, recipient_id: str | None = None) -> str:
        """The file name without its format: ``dpia``, ``agreement-supermarkets``, ``agreement`` when blank."""
        return self.file if recipient_id is None else f"{self.file}-{recipient_id}"

    def applies_to(self, recipient: Recipient) -> bool:
        return self.scope == "recipient" or (self.scope == "processor" and recipient.role == "processor")


#: Every document the playbook drafts, in the order a set is written.
DOCUMENT_TYPES: dict[str, DocumentType] = {
    d.name: d
    for d in (
        DocumentType(
            "dpia",
            "dpia.md.j2",
            "Data protection impact assessment",
            "specification",
            "dpia",
            "Assesses the risks of the share to people, and how to reduce them, before it starts (UK GDPR Article 35).",
            values=_dpia_values,
        ),
        DocumentType(
            "data-sharing-agreement",
            "data-sharing-agreement.md.j2",
            "Data sharing agreement",
            "recipient",
            "agreement",
            "Sets out what one recipient receives, what it may do with the data and how it "
            "protects it, as the ICO data sharing code recommends.",
            values=_decision_values,
        ),
        DocumentType(
            "decision-record",
            "decision-record.md.j2",
            "Sharing decision record",
            "recipient",
            "decision-record",
            "Records the decision to share with one recipient, on what basis and why, laid "
            "out like Annex B of the ICO data sharing code.",
            needs_answers=True,
            values=_decision_values,
        ),
        DocumentType(
            "privacy-information",
            "privacy-information.md.j2",
            "Privacy information",
            "specification",
            "privacy-information",
            "Tells the people the data is about what happens to it and what their "
            "rights are (UK GDPR Articles 13 and 14).",
        ),
        DocumentType(
            "processor-clauses",
            "processor-clauses.md.j2",
            "Processor clauses",
            "processor",
            "processor-clauses",
            "The terms a contract with a processor must contain (UK GDPR Article "
            "28(3)), for each recipient that acts only on the controller's instructions.",
        ),
        DocumentType(
            "sharing-checklist",
            "sharing-checklist.md.j2",
            "Data sharing checklist",
            "specification",
            "sharing-checklist",
            "Checks, step by step, that the share is ready to start and that each document is in place.",
        ),
        DocumentType(
            "self-assessment",
            "self-assessment.md.j2",
            "Data ethics self-assessment",
            "specification",
            "self-assessment",
            "A team scores itself on transparency, accountability and fairness before it "
            "shares, following the Data Ethics Framework.",
        ),
    )
}


def _document_type(name: str) -> DocumentType:
    if name not in DOCUMENT_TYPES:
        raise DraftError(f"no document type {name!r}; document types: {', '.join(DOCUMENT_TYPES)}")
    return DOCUMENT_TYPES[name]


# ---------------------------------------------------------------------------------------------------------------
# Drafting
# ---------------------------------------------------------------------------------------------------------------


def draft(
    name: str,
    spec: PurposeSpec | Mapping[str, Any] | os.PathLike | None = None,
    recipient_id: str | None = None,
    answers: Mapping[str, Any] | None = None,
    generated_on: _dt.date | None = None,
) -> str:
    """Draft one document (a name in :data:`DOCUMENT_TYPES`) in Markdown.

    With ``spec=None`` the result is the blank template, every value a "To complete:" item. A document with one
    per recipient needs ``recipient_id`` from the specification; a blank one takes none.
    """
    doc = _document_type(name)
    checked: PurposeSpec | None = None
    label = recipient = None
    if spec is None:
        if recipient_id is not None or answers is not None:
            raise DraftError("a blank template takes no recipient and no answers; give a specification")
    else:
        checked, label = _resolve(spec)
        if doc.scope == "specification":
            if recipient_id is not None:
                raise DraftError(f"there is one {doc.title.lower()} per specification; give no recipient")
        else:
            if recipient_id is None:
                raise DraftError(
                    f"there is one {doc.title.lower()} per recipient; give a recipient, one of: "
                    f"{', '.join(sorted(checked.recipients))}"
                )
            recipient = checked.recipient(recipient_id, DraftError)
            if not doc.applies_to(recipient):
                raise DraftError(
                    f"{doc.title.lower()} are only for processors, and recipient {recipient_id!r} "
                    f"is a {recipient.role.replace('_', ' ')}"
                )
    context: dict[str, Any] = {
        "spec": checked,
        "label": label,
        "generated_on": generated_on,
        "ARTICLE6_BASES": ARTICLE6_BASES,
        "ARTICLE9_CONDITIONS": ARTICLE9_CONDITIONS,
        "CONFIDENTIALITY_ROUTES": CONFIDENTIALITY_ROUTES,
    }
    if doc.scope != "specification":
        context["recipient"] = recipient
    if doc.values is not None:
        context.update(doc.values(checked, recipient, answers))
    return render_markdown(doc.template, **context)


def draft_dpia(
    spec: PurposeSpec | Mapping[str, Any] | os.PathLike | None,
    answers: Mapping[str, Any] | None = None,
    generated_on: _dt.date | None = None,
) -> str:
    """Draft a DPIA in Markdown from the specification, with "To complete:" where it cannot know the answer.

    ``answers`` (optional) are the lawful-basis decision model's answers that the specification does not hold;
    given them, the draft includes the model's DPIA screen and what the share still needs. ``spec=None`` gives
    the blank template.
    """
    return draft("dpia", spec, None, answers, generated_on)


def draft_data_sharing_agreement(
    spec: PurposeSpec | Mapping[str, Any] | os.PathLike | None,
    recipient_id: str | None = None,
    answers: Mapping[str, Any] | None = None,
    generated_on: _dt.date | None = None,
) -> str:
    """Draft the data sharing agreement for one recipient in Markdown, from the specification alone.

    It lists exactly the fields and rows the specification gives this recipient. ``answers`` (optional) are the
    decision model's remaining answers; given them, the draft includes a sharing decision record. ``spec=None``
    gives the blank template.
    """
    return draft("data-sharing-agreement", spec, recipient_id, answers, generated_on)


def draft_decision_record(
    spec: PurposeSpec | Mapping[str, Any] | os.PathLike | None,
    recipient_id: str | None = None,
    answers: Mapping[str, Any] | None = None,
    generated_on: _dt.date | None = None,
) -> str:
    """Draft the sharing decision record for one recipient, laid out like Annex B of the ICO data sharing code.

    Without ``answers`` (or with ``spec=None``) every row is left "To complete:"; with them, the record starts
    with the decision model's verdict and repeats the bases the specification chose.
    """
    return draft("decision-record", spec, recipient_id, answers, generated_on)


# ---------------------------------------------------------------------------------------------------------------
# Writing a set of documents
# ---------------------------------------------------------------------------------------------------------------


def _formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """The formats asked for, checked: 'md', 'docx', or both (a sequence, or text such as 'md,docx')."""
    if isinstance(formats, str):
        formats = formats.split(",")
    asked = tuple(dict.fromkeys(str(f).strip() for f in formats if str(f).strip()))
    unknown = [f for f in asked if f not in FORMATS]
    if unknown:
        raise DraftError(f"unknown format {', '.join(repr(f) for f in unknown)}; allowed formats: {', '.join(FORMATS)}")
    if not asked:
        raise DraftError(f"no format given; allowed formats: {', '.join(FORMATS)}")
    return asked


def _chosen(documents: Sequence[str] | None) -> list[DocumentType]:
    """The document types asked for, in registry order; None means every one."""
    if documents is None:
        return list(DOCUMENT_TYPES.values())
    if isinstance(documents, str):
        documents = [documents]
    for name in documents:
        _document_type(name)
    return [doc for doc in DOCUMENT_TYPES.values() if doc.name in documents]


def _planned(
    spec: PurposeSpec, answers: Mapping[str, Any] | None, types: Sequence[DocumentType]
) -> Iterator[tuple[DocumentType, str | None]]:
    """Each document of these types the specification gets, with its recipient (None for one per specification)."""
    for doc in types:
        if doc.needs_answers and answers is None:
            continue
        if doc.scope == "specification":
            yield doc, None
        else:
            yield from ((doc, rid) for rid, rec in spec.recipients.items() if doc.applies_to(rec))


def _short(value: object, limit: int = 80) -> str:
    """A value for an error message, its start cut to ``limit`` characters (the end of a path says most)."""
    return shorten(value, limit, keep_end=True)


def _write_file(text: str, path: Path, fmt: str) -> None:
    """Write one document in one format."""
    if fmt == "md":
        path.write_text(text, encoding="utf-8")
    else:
        markdown_to_docx(text, path)


def _write_set(folder: str | os.PathLike, texts: Mapping[str, str], formats: Sequence[str]) -> list[Path]:
    """Write each Markdown text (by file stem) in each format into a new folder, all or nothing.

    The files go into a temporary folder beside it, ``.<folder>.documents-<process id>-<random>.partial``, that is
    renamed into place, so a reader never sees half a set; on any failure (an interrupt included) the temporary
    folder is removed, and those a killed run left are removed by the next run. An existing folder that is not
    empty is refused rather than overwritten: drafts that people have started to complete must not be lost.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DraftError(
            f"{_short(folder.name)} already exists and is not an empty folder; choose a new folder so "
            "no draft in progress is overwritten"
        )
    blocker = next((p for p in folder.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise DraftError(f"cannot write to {_short(folder)}: {_short(blocker)} is a file, not a folder")
    names: list[str] = []

    def fill(temporary: Path) -> None:
        for stem, text in texts.items():
            for fmt in formats:
                name = f"{stem}.{fmt}"
                _write_file(text, temporary / name, fmt)
                names.append(name)

    # Documents are not personal data: the usual permissions. An empty folder is replaced; nothing else is.
    outbox.write_folder(folder, fill, tag="documents", replace=True)
    return [folder / name for name in names]


def write_drafts(
    spec: PurposeSpec | Mapping[str, Any] | os.PathLike,
    folder: str | os.PathLike,
    answers: Mapping[str, Any] | None = None,
    generated_on: _dt.date | None = None,
    formats: str | Sequence[str] = ("md",),
    documents: Sequence[str] | None = None,
) -> list[Path]:
    """Write every document for the specification into a new folder, in each format, all or nothing.

    That is the DPIA, one agreement per recipient, one decision record per recipient when ``answers`` are given,
    and the rest of :data:`DOCUMENT_TYPES` (``documents`` names a subset). Every draft is made before anything is
    written, so a bad specification, bad answers or a broken template leave nothing behind. An existing folder
    that is not empty is refused. Returns the paths in the order of :data:`DOCUMENT_TYPES`, the DPIA first, each
    document in each format.
    """
    formats = _formats(formats)
    chosen = _chosen(documents)  # unknown names are refused before the specification is read
    checked, _ = _resolve(spec)
    for rid in checked.recipients:
        try:
            safe_file_stem(rid, "recipient id")  # one rule for every file name built from data
        except UnsafeNameError as exc:
            raise DraftError(str(exc)) from None
    texts = {
        doc.stem(rid): draft(doc.name, checked, rid, answers, generated_on)
        for doc, rid in _planned(checked, answers, chosen)
    }
    return _write_set(folder, texts, formats)


def write_blank_templates(folder: str | os.PathLike, formats: str | Sequence[str] = ("md", "docx")) -> list[Path]:
    """Write the blank version of every document type into a new folder, one file per type and format.

    The same rules as :func:`write_drafts`: all or nothing, and an existing folder that is not empty is refused.
    """
    formats = _formats(formats)
    texts = {doc.stem(): draft(doc.name) for doc in DOCUMENT_TYPES.values()}
    return _write_set(folder, texts, formats)


# ---------------------------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------------------------

_PROG = "python -m playbook.documents"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit code 2, no usage block
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date written YYYY-MM-DD, got {text!r}") from None


def _read_text(path: Path, what: str) -> str:
    """The text of an input file; a DraftError naming the file says what is wrong with it."""
    if path.is_dir():
        raise DraftError(f"{what} {_short(path)} is a folder, not a file")
    if not path.is_file():
        raise DraftError(f"no {what} file {_short(path)!r}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DraftError(f"{what} {_short(path.name)} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _too_deep(path: Path, what: str) -> DraftError:
    return DraftError(f"{what} {_short(path.name)} is nested too deeply to read")


def _load_spec(path: Path) -> PurposeSpec:
    text = _read_text(path, "specification")
    try:
        return parse_spec(text, source=path.name)
    except RecursionError:
        raise _too_deep(path, "specification") from None


def _load_answers(path: Path) -> Mapping[str, Any]:
    text = _read_text(path, "answers")
    try:
        answers = load_yaml(text, source=path.name)  # the specification's rules: no aliases or duplicate keys
    except SpecError as exc:
        raise DraftError(f"answers file {path.name}: {'; '.join(exc.problems)}") from None
    except RecursionError:
        raise _too_deep(path, "answers") from None
    if not isinstance(answers, Mapping):
        raise DraftError(
            f"answers file {path.name} must be a mapping of question to answer, got {type(answers).__name__}"
        )
    return answers


def _problems(exc: BaseException) -> list[str]:
    """One line per problem, for the command line."""
    if isinstance(exc, SpecError):
        lines = [f"specification {exc.source}: {p}" for p in exc.problems]
    elif isinstance(exc, lawful_basis.ScenarioError):
        lines = [f"answers: {p}" for p in exc.problems]
    elif isinstance(exc, OSError) and exc.filename:
        lines = [f"{exc.strerror or exc}: {_short(exc.filename)}"]
    else:
        lines = [str(exc)]
    return [" ".join(line.split()) for line in lines]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the drafts for a specification, or the blank templates; return the exit code (2 for bad input)."""
    parser = _Parser(
        prog=_PROG,
        description="Draft the paperwork for a data share from its purpose specification, in Markdown and Word, "
        "or write blank templates of every document.",
    )
    parser.add_argument("spec", nargs="?", type=Path, help="the purpose specification (a YAML file)")
    parser.add_argument("--blank", action="store_true", help="write blank templates instead of drafts")
    parser.add_argument("--out", required=True, type=Path, help="a new (or empty) folder for the documents")
    parser.add_argument(
        "--format",
        help=f"formats, separated by commas: {', '.join(FORMATS)} (default: md for "
        "drafts, md,docx for blank templates)",
    )
    parser.add_argument(
        "--answers", type=Path, help="the lawful-basis decision model's answers (YAML) the specification does not hold"
    )
    parser.add_argument("--date", type=_date, help="the date to print on the drafts, written YYYY-MM-DD")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or an argument error already reported
        return stop.code if isinstance(stop.code, int) else 0
    if args.blank and args.spec is not None:
        print(f"{_PROG}: error: give a specification or --blank, not both", file=sys.stderr)
        return 2
    if not args.blank and args.spec is None:
        print(f"{_PROG}: error: give a specification (a YAML file), or --blank for blank templates", file=sys.stderr)
        return 2
    if args.blank and (args.answers is not None or args.date is not None):
        print(f"{_PROG}: error: --answers and --date need a specification, not --blank", file=sys.stderr)
        return 2
    formats = {} if args.format is None else {"formats": args.format}
    try:
        if args.blank:
            paths = write_blank_templates(args.out, **formats)
        else:
            spec = _load_spec(args.spec)
            answers = _load_answers(args.answers) if args.answers is not None else None
            paths = write_drafts(spec, args.out, answers, args.date, **formats)
    except (SpecError, DraftError, lawful_basis.ScenarioError, TemplateError, OSError, RuntimeError) as exc:
        for line in _problems(exc):
            print(f"{_PROG}: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted; no partial set of documents was left", file=sys.stderr)
        return 130
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
