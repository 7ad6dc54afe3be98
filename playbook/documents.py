"""Paperwork from the purpose: draft a DPIA and one data sharing agreement per recipient from the specification.

The purpose specification already says what the share is for, who receives which fields and why, which rows, on
what lawful basis and until when. A DPIA and a data sharing agreement must say the same things, so they are drafted
from the same file and change when it changes. Nothing is invented: whatever the specification cannot know (risk
scores, security measures, who signed) is left as a "To complete:" prompt for a person to fill in.

Where the caller gives the decision model's remaining answers, the drafts also carry what
:func:`playbook.lawful_basis.assess` finds and its Annex B decision record; the legal logic stays in that module.

The drafts support the people who write the final documents; they are not legal advice.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from playbook import lawful_basis
from playbook.purpose import (ARTICLE6_BASES, ARTICLE9_CONDITIONS, CONFIDENTIALITY_ROUTES, PurposeSpec,
                              check_field, parse_spec)

#: The marker for everything a person must fill in by hand. Search a draft for it before anyone signs.
TO_COMPLETE = "To complete:"

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
SPEC_ANSWERS = ("special_category", "confidential_patient_information", "discloser", "recipient", "recipient_role",
                "recipient_own_purposes")

#: How the specification's duty_of_confidentiality names the decision model's confidentiality candidates.
_CONFIDENTIALITY_CHOICE = {"consent": "consent", "copi_notice": "copi_regulation_3",
                           "legal_requirement": "legal_requirement", "section_251_support": "section_251",
                           "overriding_public_interest": "overriding_public_interest", "not_applicable": None}

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class DraftError(ValueError):
    """The drafts cannot be made as asked: unknown recipient, bad answers, or a folder that already exists."""


# ---------------------------------------------------------------------------------------------------------------
# Small pieces every draft uses
# ---------------------------------------------------------------------------------------------------------------


def day(date: _dt.date) -> str:
    """A date as GOV.UK writes it, for example '31 December 2020', the same on every machine and locale."""
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def _todo(what: str) -> str:
    return f"**{TO_COMPLETE}** {what}"


def _cell(value: Any) -> str:
    return str(value).replace("\n", " ").replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _row_reasons(rec) -> list[str]:
    """Why each condition on rows is needed, for the conditions whose reason the specification records."""
    reasons = [f"- `{rule.describe()}`: {rule.reason}" for rule in rec.row_scope if rule.reason]
    return ["Why each condition on rows is needed:", "", *reasons, ""] if reasons else []


def _names(items: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def _words(name: str) -> str:
    return name.replace("_", " ")


def _resolve(spec: PurposeSpec | Mapping[str, Any] | os.PathLike) -> tuple[PurposeSpec, str]:
    """The checked specification and a label naming it and its version.

    The validator runs first, so a specification with gaps is refused before any paperwork is drafted.
    """
    if isinstance(spec, PurposeSpec):
        checked = spec
    elif isinstance(spec, os.PathLike):
        path = Path(spec)
        checked = parse_spec(yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name)
    elif isinstance(spec, Mapping):
        checked = parse_spec(spec, source=str(spec.get("id") or "<mapping>"))
    else:
        raise TypeError(f"spec must be a PurposeSpec, a mapping loaded from YAML or a path to a YAML file, "
                        f"got {type(spec).__name__}")
    label = f"purpose specification `{checked.id}`, " + (
        f"version {checked.version}" if checked.version is not None else "version not recorded")
    if checked.status:
        label += f" ({checked.status})"
    return checked, label


def _notice(title: str, label: str, generated_on: _dt.date | None) -> str:
    when = f" on {day(generated_on)}" if generated_on else ""
    return "\n".join([
        f"### {title}",
        "",
        f"**Draft generated from the {label}{when}.** It is not legal advice. The data protection officer and "
        "legal advisers must review it before anyone relies on it or signs it. Every item marked "
        f"\"{TO_COMPLETE}\" needs a fact that the specification does not hold.",
    ])


def _responsibility(text: str) -> str:
    return text or _todo("what this party is responsible for.")


# ---------------------------------------------------------------------------------------------------------------
# The decision model, fed by the specification
# ---------------------------------------------------------------------------------------------------------------


def assess_recipient(spec: PurposeSpec, recipient_id: str, answers: Mapping[str, Any]) -> lawful_basis.Assessment:
    """Run the lawful-basis decision model for one recipient.

    The specification supplies what it knows (special category data, confidential patient information, who
    discloses and who receives); ``answers`` supplies the rest (see :data:`playbook.lawful_basis.QUESTIONS`).
    The discloser is the first controller the specification names.
    """
    clash = sorted(set(answers) & set(SPEC_ANSWERS))
    if clash:
        raise DraftError(f"answers {', '.join(clash)} come from the specification; remove them from answers")
    recipient = _recipient(spec, recipient_id)
    return lawful_basis.assess({
        **answers,
        "special_category": spec.special_category,
        "confidential_patient_information": spec.confidential_patient_information,
        "discloser": spec.controllers[0].organisation_type,
        "recipient": recipient.organisation_type,
        "recipient_role": recipient.role,
        "recipient_own_purposes": recipient.role != "processor",
    })


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
    return {"article6": f"6(1)({basis.article6})" if basis.article6 != "ea" else None, "article9": article9,
            "confidentiality": _CONFIDENTIALITY_CHOICE[basis.duty_of_confidentiality]}


def _cite(point: lawful_basis.Point) -> str:
    return f"{SOURCE_NAMES.get(point.source, point.source)}, {point.pinpoint}"


def _points(points: Sequence[lawful_basis.Point]) -> list[str]:
    return [f"- {p.text} (source: {_cite(p)})" for p in points]


def _recipient(spec: PurposeSpec, recipient_id: str):
    if recipient_id not in spec.recipients:
        raise DraftError(f"no recipient {recipient_id!r} in specification {spec.id!r}; "
                         f"valid recipients: {', '.join(sorted(spec.recipients))}")
    return spec.recipients[recipient_id]


# ---------------------------------------------------------------------------------------------------------------
# The DPIA
# ---------------------------------------------------------------------------------------------------------------


def _lawful_basis_lines(spec: PurposeSpec) -> list[str]:
    """The lawful basis record as the specification states it, in words a reviewer can check line by line."""
    basis = spec.lawful_basis
    lines = [f"- UK GDPR Article 6(1)({basis.article6}): {ARTICLE6_BASES[basis.article6]}."]
    if basis.article9:
        lines.append(f"- UK GDPR Article 9(2)({basis.article9}): {ARTICLE9_CONDITIONS[basis.article9]}.")
    if basis.schedule1:
        lines.append(f"- Data Protection Act 2018 Schedule 1 Part {basis.schedule1[0]} "
                     f"paragraph {basis.schedule1[1]}.")
    if basis.appropriate_policy_document:
        lines.append(f"- Appropriate policy document: {basis.appropriate_policy_document}")
    lines.append(f"- Common law duty of confidentiality: {CONFIDENTIALITY_ROUTES[basis.duty_of_confidentiality]}.")
    lines.append(f"- Legal power: {basis.legal_power}")
    if basis.note:
        lines.append(f"- Note: {basis.note}")
    return lines


def _dpia_need(spec: PurposeSpec, assessments) -> list[str]:
    out = ["#### 1. The need for the processing and for a DPIA", "",
           f"**Purpose.** {spec.purpose}", "", f"**Public benefit.** {spec.public_benefit}", ""]
    if spec.special_category:
        out += [f"The specification records that the data is special category data. {spec.data_note}".rstrip(), ""]
    if spec.confidential_patient_information:
        out += ["The specification records that the data includes confidential patient information.", ""]
    screen = _unique(p for a in assessments for p in a.needs if p.topic == "dpia")
    if screen:
        out += ["What the lawful-basis decision model says about the need for a DPIA:", "", *_points(screen)]
    else:
        out.append(_todo("say whether UK GDPR Article 35 or the ICO's list of high-risk processing requires this "
                         "DPIA, and why. The answer depends on facts the specification does not hold, such as "
                         "the scale of the processing and whether it matches data from several sources."))
    return out


def _dpia_processing(spec: PurposeSpec) -> list[str]:
    recipients = list(spec.recipients.values())
    parties = [(spec.source.name, "source", _responsibility(spec.source.responsibility))]
    parties += [(c.name, _words(c.role), _responsibility(c.responsibility)) for c in spec.controllers]
    receivers = {name: [r.id for r in recipients if name in r.fields] for name in spec.fields}
    return [
        "#### 2. The nature, scope, context and purposes of the processing", "",
        "##### Nature", "",
        _table(["organisation", "role", "responsibility"], parties), "",
        _table(["recipient", "id", "organisation type", "role", "uses", "rows it receives"],
               [(r.name, f"`{r.id}`", _words(r.organisation_type), _words(r.role), _names(r.uses),
                 r.describe_rows()) for r in recipients]), "",
        _todo("how the data is collected, sent, stored and deleted, and which systems and processors handle it."),
        "",
        "##### Scope", "",
        _table(["field", "what it holds", "special category", "recipients"],
               [(f"`{f.name}`", f.description, "yes" if f.special_category else "no",
                 _names(receivers[f.name]) or "none") for f in spec.fields.values()]), "",
        f"The share runs from {day(spec.start_date)} to {day(spec.end_date)}, with a review by "
        f"{day(spec.review_date)}. Every copy is deleted by {day(spec.delete_by)}. {spec.retention_note}".rstrip(),
        "",
        _todo("how many people the data is about, and the area it covers."), "",
        "##### Context", "",
        _todo("the relationship with the people the data is about, whether they would expect this use, whether "
              "any are children or in vulnerable circumstances, and any public concerns."), "",
        "##### Purposes", "",
        _table(["permitted use", "what it allows", "recipients"],
               [(f"`{use}`", text, _names([r.id for r in recipients if use in r.uses]) or "none")
                for use, text in spec.permitted_uses.items()]), "",
        "##### Lawful basis", "",
        *_lawful_basis_lines(spec),
    ]


def _dpia_consultation(spec: PurposeSpec) -> list[str]:
    organisations = [spec.source.name, *(c.name for c in spec.controllers),
                     *(r.name for r in spec.recipients.values())]
    return [
        "#### 3. Consultation", "",
        "UK GDPR Article 35(2) requires the controller to seek the advice of its data protection officer. "
        "UK GDPR Article 35(9) asks it to seek the views of the people the data is about, or their "
        "representatives, where that is appropriate.", "",
        "Organisations the specification names, to involve:", "",
        *(f"- {name}" for name in organisations), "",
        _todo("who you consulted, including the people the data is about or their representatives, when, what "
              "they said and what changed as a result; or why you did not consult them."),
    ]


def _dpia_necessity(spec: PurposeSpec) -> list[str]:
    out = ["#### 4. Necessity and proportionality", "",
           "Each recipient receives only the fields with a justification recorded for it, and only the rows its "
           "scope allows. Code that makes the extracts reads the same specification, so it cannot send a field "
           "that is not listed here.", "",
           "##### Fields refused for every recipient", ""]
    if spec.excluded_fields:
        out.append(_table(["field", "why no recipient receives it"],
                          [(f"`{name}`", why) for name, why in spec.excluded_fields.items()]))
    else:
        out.append("The specification excludes no field for every recipient.")
    for rec in spec.recipients.values():
        refused = [n for n in spec.fields
                   if n not in spec.excluded_fields and not check_field(spec, rec.id, n).allowed]
        out += ["", f"##### {rec.name}", "",
                f"Recipient `{rec.id}`. Uses: {_names(rec.uses)}. Rows: {rec.describe_rows()}.", "",
                *_row_reasons(rec),
                _table(["field", "why this recipient needs it"],
                       [(f"`{name}`", why) for name, why in rec.fields.items()]), ""]
        out.append(f"Refused for this recipient because no justification is recorded for it: {_names(refused)}."
                   if refused else "Every field in the catalogue that is not excluded goes to this recipient.")
    out += ["", "##### Uses refused", "",
            _table(["use", "why it is refused"], [(f"`{u}`", why) for u, why in spec.prohibited_uses.items()])
            if spec.prohibited_uses else "The specification lists no prohibited use.", "",
            _todo("why a less intrusive approach, such as fewer fields, aggregate data or consent, would not meet "
                  "the purpose, and how the data will be kept accurate and up to date.")]
    return out


def _risks(spec: PurposeSpec) -> list[tuple[str, str]]:
    """Risks the specification itself points to, each with the part of the file it comes from."""
    risks = [(f"Someone loses, misuses or wrongly discloses the {len(r.fields)} fields held by {r.name}.",
              f"recipient `{r.id}`") for r in spec.recipients.values()]
    if spec.special_category:
        risks.append(("Someone learns about a person's health from the fact that they are in the data.",
                      "`data.special_category`"))
    risks += [(f"The data is used for {_words(use)}, which the purpose prohibits.", f"`uses.prohibited.{use}`")
              for use in spec.prohibited_uses]
    risks.append((f"Copies are kept after {day(spec.delete_by)}.", "`retention.delete_by`"))
    return risks


def _dpia_risks(spec: PurposeSpec) -> list[str]:
    blank = _todo("likelihood of harm; severity of harm; overall risk.")
    rows = [(i, risk, where, blank) for i, (risk, where) in enumerate(_risks(spec), 1)]
    return ["#### 5. Risks to individuals", "",
            "The specification points to the risks below but cannot score them: a person who knows the systems "
            "and the people involved must judge how likely and how severe each one is.", "",
            _table(["number", "risk to individuals", "where it comes from", "score"], rows), "",
            _todo("risks the specification cannot show, such as errors or gaps in the source data that leave "
                  "people without help, and the harm of not sharing.")]


def _dpia_measures(spec: PurposeSpec) -> list[str]:
    measures = [(f"Only {len(r.fields)} of the {len(spec.fields)} fields in the catalogue go to {r.name}; rows: "
                 f"{r.describe_rows()}.", f"recipient `{r.id}`") for r in spec.recipients.values()]
    if spec.excluded_fields:
        measures.append((f"No recipient receives {_names(list(spec.excluded_fields))}.", "`excluded_fields`"))
    if spec.prohibited_uses:
        measures.append((f"Prohibited uses are written down with their reasons: {_names(list(spec.prohibited_uses))}.",
                         "`uses.prohibited`"))
    measures.append((f"Review by {day(spec.review_date)}; copies deleted by {day(spec.delete_by)}.",
                     "`review_date`, `retention.delete_by`"))
    rows = [(m, where, _todo("residual risk"), _todo("who approved it")) for m, where in measures]
    return ["#### 6. Measures to reduce the risks", "",
            _table(["measure", "where it comes from", "residual risk", "approved by"], rows), "",
            _todo("security measures: how data is sent, stored and accessed, and by whom."), "",
            "If a high risk remains that these measures cannot reduce, UK GDPR Article 36 requires the controller "
            "to consult the ICO before the processing starts."]


def _dpia_sign_off(spec: PurposeSpec) -> list[str]:
    who = _todo("name, role and date")
    rows = [("Measures approved by", who), ("Remaining risks accepted by", who),
            ("Data protection officer's advice given by", who),
            ("Summary of the data protection officer's advice", _todo("the advice, in a few sentences")),
            ("Advice followed, or if not, why not", _todo("decision, reason, name and date")),
            (f"Review due by {day(spec.review_date)}, carried out by", _todo("name and role"))]
    return ["#### 7. Sign-off and outcome", "", _table(["item", "record"], rows)]


def _unique(points) -> list:
    seen, out = set(), []
    for p in points:
        if p.text not in seen:
            seen.add(p.text)
            out.append(p)
    return out


def draft_dpia(spec: PurposeSpec | Mapping[str, Any] | os.PathLike, answers: Mapping[str, Any] | None = None,
               generated_on: _dt.date | None = None) -> str:
    """Draft a DPIA in Markdown from the specification, with "To complete:" where it cannot know the answer.

    ``answers`` (optional) are the lawful-basis decision model's answers that the specification does not hold;
    given them, the draft includes the model's DPIA screen and what the share still needs.
    """
    spec, label = _resolve(spec)
    assessments = [assess_recipient(spec, rid, answers) for rid in spec.recipients] if answers is not None else []
    parts = [
        [_notice(f"Draft data protection impact assessment: {spec.title}", label, generated_on)],
        _dpia_need(spec, assessments),
        _dpia_processing(spec),
        _dpia_consultation(spec),
        _dpia_necessity(spec),
        _dpia_risks(spec),
        _dpia_measures(spec),
    ]
    if assessments:
        needs = _unique(p for a in assessments for p in a.needs if p.topic != "dpia")
        warnings = _unique(p for a in assessments for p in a.warnings)
        parts.append(["##### Steps the decision model says are still needed", "", *_points(needs), "",
                      "##### Warnings from the decision model", "", *(_points(warnings) or ["- None."])])
    parts.append(_dpia_sign_off(spec))
    return "\n\n".join("\n".join(p) for p in parts) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# The data sharing agreement, one per recipient
# ---------------------------------------------------------------------------------------------------------------


def _role_note(role: str) -> str:
    if role == "processor":
        return ("The recipient acts as a processor, so UK GDPR Article 28 requires a contract with the controller "
                "that sets out the processing; this draft describes the processing for that contract.")
    if role == "joint_controller":
        return ("The recipient is a joint controller, so UK GDPR Article 26 requires the controllers to set out "
                "their respective responsibilities in an arrangement; this draft is a starting point for it.")
    return ("The recipient is a controller in its own right for the data it receives, and needs its own lawful "
            "basis for what it does with it.")


def _agreement_lawful_basis(spec: PurposeSpec, rec, assessment) -> list[str]:
    out = ["#### 4. Lawful basis", "", "The specification records this basis for the share:", "",
           *_lawful_basis_lines(spec)]
    if rec.role in ("controller", "joint_controller"):
        out += ["", _todo("the recipient's own lawful basis for its processing, if it differs from the above.")]
    if assessment is not None:
        out += ["", "##### Sharing decision record", "",
                f"**Verdict of the decision model: {assessment.verdict.value}.**", ""]
        try:
            record = _decision_record(spec, rec, assessment)
        except lawful_basis.ScenarioError as exc:
            return out + [_todo("the specification's choices do not match what the decision model offers for "
                                "these answers. Resolve each point with the data protection officer before "
                                "anyone signs:"), "", *(f"- {problem}" for problem in exc.problems)]
        out += ["Laid out like the sharing decision form in Annex B of the ICO data sharing code of practice. The "
                "bases are the ones the specification chose; the decision model checked that it offers each of "
                "them for these answers.", "", _table(["item", "record"], record.itertuples(index=False))]
    return out


def _decision_record(spec: PurposeSpec, rec, assessment):
    """The Annex B record for one recipient, with the specification's choices and its sources named in words."""
    record = lawful_basis.decision_record(
            assessment,
            **spec_choices(spec),
            purpose=spec.purpose,
            necessity=f"{len(rec.fields)} fields, each justified in section 5; rows: {rec.describe_rows()}.",
            retention=f"Delete every copy by {day(spec.delete_by)}.",
            security=_todo("see section 8."),
            rights=_todo("see section 9."),
            decision=_todo("share or not, and on what conditions."),
            decided_by=_todo("name and role."),
            date=_todo("date of the decision."),
        )
    for source, words in SOURCE_NAMES.items():
        record["record"] = record["record"].str.replace(f"({source}: ", f"(source: {words}, ", regex=False)
    record["record"] = record["record"].str.replace("Still to choose from:", f"**{TO_COMPLETE}** choose from:",
                                                    regex=False)
    return record


def draft_data_sharing_agreement(spec: PurposeSpec | Mapping[str, Any] | os.PathLike, recipient_id: str,
                                 answers: Mapping[str, Any] | None = None,
                                 generated_on: _dt.date | None = None) -> str:
    """Draft the data sharing agreement for one recipient in Markdown, from the specification alone.

    It lists exactly the fields and rows the specification gives this recipient. ``answers`` (optional) are the
    decision model's remaining answers; given them, the draft includes a sharing decision record.
    """
    spec, label = _resolve(spec)
    rec = _recipient(spec, recipient_id)
    assessment = assess_recipient(spec, recipient_id, answers) if answers is not None else None
    parties = [(spec.source.name, _words(spec.source.organisation_type), "source",
                _responsibility(spec.source.responsibility))]
    parties += [(c.name, _words(c.organisation_type), _words(c.role), _responsibility(c.responsibility))
                for c in spec.controllers]
    parties.append((rec.name, _words(rec.organisation_type), f"recipient ({_words(rec.role)})",
                    f"Receives data for: {_names(rec.uses)}."))
    onward = ("The specification names no onward recipient, so the recipient must not pass the data to anyone "
              "else.")
    if rec.role == "processor":
        onward += (" It may use another processor only with the controller's written permission (UK GDPR Article "
                   "28(2)). " + _todo("any other processors the recipient uses, with the permission given."))
    parts = [
        [_notice(f"Draft data sharing agreement with {rec.name}", label, generated_on), "",
         f"This agreement covers one recipient, {rec.name} (`{rec.id}`), under the purpose \"{spec.title}\"."],
        ["#### 1. Parties and roles", "",
         _table(["party", "organisation type", "role", "responsibility"], parties), "", _role_note(rec.role), "",
         _todo("the legal name, address and contact of each party, and who is responsible for this agreement at "
               "each.")],
        ["#### 2. Purpose and permitted uses", "", f"**Purpose.** {spec.purpose}", "",
         f"**Public benefit.** {spec.public_benefit}", "", "The recipient may use the data only for:", "",
         *(f"- `{use}`: {spec.permitted_uses[use]}" for use in rec.uses)],
        ["#### 3. Prohibited uses", "",
         "The recipient must not use the data for anything not listed in section 2. The purpose rules out these "
         "uses in particular:", "",
         *(f"- `{use}`: {why}" for use, why in spec.prohibited_uses.items())]
        if spec.prohibited_uses else
        ["#### 3. Prohibited uses", "", "The recipient must not use the data for anything not listed in section 2."],
        _agreement_lawful_basis(spec, rec, assessment),
        ["#### 5. Data shared", "",
         f"The recipient receives these {len(rec.fields)} fields and no others:", "",
         _table(["field", "what it holds", "why the recipient needs it"],
                [(f"`{name}`", spec.fields[name].description, why) for name, why in rec.fields.items()]), "",
         f"Rows: {rec.describe_rows()}.", "",
         *_row_reasons(rec),
         "Any other field needs a recorded justification and an updated specification, DPIA and agreement before "
         "the recipient may receive it."],
        ["#### 6. Retention and deletion", "",
         f"The purpose ends on {day(spec.end_date)}. The recipient deletes every copy of the data, including "
         f"copies it made, by {day(spec.delete_by)} at the latest. {spec.retention_note}".rstrip(), "",
         _todo("how the recipient deletes the data, including backups, and how it confirms deletion.")],
        ["#### 7. Review", "",
         f"The parties review this agreement by {day(spec.review_date)}, and again whenever a field, a use or a "
         "recipient changes in the specification."],
        ["#### 8. Security and onward sharing", "",
         _todo("how the data is sent and stored, who at the recipient may see it, and the security standard it "
               "must meet."), "", onward],
        ["#### 9. Individuals' rights", "",
         "People must be told how their data is used (UK GDPR Articles 13 and 14), and have rights over it, such "
         "as the rights of access and rectification (UK GDPR Articles 15 to 22).", "",
         _todo("where the privacy information is published, which party answers requests from people, and how "
               "the parties pass requests to each other.")],
        ["#### 10. Breaches", "",
         "A controller must report a personal data breach to the ICO without undue delay and, where possible, "
         "within 72 hours of becoming aware of it, unless the breach is unlikely to put people at risk; a "
         "processor must tell the controller without undue delay (UK GDPR Article 33).", "",
         _todo("who each party contacts about a breach, and how quickly the recipient tells the other parties.")],
        ["#### 11. Termination", "",
         f"This agreement ends on {day(spec.end_date)}, when the purpose ends, unless the parties renew it with an "
         f"updated specification. When it ends, the recipient deletes the data by {day(spec.delete_by)}.", "",
         _todo("how a party can end the agreement early, the notice it must give, and what happens if a party "
               "breaks the agreement.")],
        ["#### 12. Signatures", "",
         _table(["party", "signed by (name and role)", "date"],
                [(name, _todo("name and role"), _todo("date")) for name, *_ in parties])],
    ]
    return "\n\n".join("\n".join(p) for p in parts) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Writing the drafts
# ---------------------------------------------------------------------------------------------------------------


def write_drafts(spec: PurposeSpec | Mapping[str, Any] | os.PathLike, folder: str | os.PathLike,
                 answers: Mapping[str, Any] | None = None, generated_on: _dt.date | None = None) -> list[Path]:
    """Write the DPIA and one agreement per recipient into a new folder, all or nothing.

    Every draft is made before anything is written, then the files go into a temporary folder that is renamed
    into place, so a reader never sees half a set. An existing folder that is not empty is refused rather than
    overwritten: drafts that people have started to complete must not be lost. Returns the paths, DPIA first.
    """
    checked, _ = _resolve(spec)
    for rid in checked.recipients:
        if not _SAFE_ID.fullmatch(rid):
            raise DraftError(f"recipient id {rid!r} cannot name a file; use letters, digits, '_' and '-' only")
    texts = {"dpia.md": draft_dpia(spec, answers, generated_on)}
    for rid in checked.recipients:
        texts[f"agreement-{rid}.md"] = draft_data_sharing_agreement(spec, rid, answers, generated_on)
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DraftError(f"{folder.name} already exists and is not an empty folder; choose a new folder so no "
                         "draft in progress is overwritten")
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name, text in texts.items():
            (temporary / name).write_text(text, encoding="utf-8")
        os.replace(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return [folder / name for name in texts]
