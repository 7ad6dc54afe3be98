"""The rules that tie one part of a specification to another: dates in order, Article 9 and Schedule 1 together,
no legitimate interests for public authorities, a route through confidentiality, every field justified.

They are the part a lawyer reviews, so they sit alone, apart from the parser that checks only structure.
"""

from __future__ import annotations

from playbook.purpose.errors import shorten
from playbook.purpose.model import PurposeSpec
from playbook.purpose.vocabulary import ARTICLE6_BASES, CONFIDENTIALITY_ROUTES, SCHEDULE1_FOR_ARTICLE9


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
        elif rec.partition_by and rec.partition_by not in rec.fields:
            problems.append(
                f"{where}: partition_by {shorten(rec.partition_by)} is not a field this recipient receives; each "
                "organisation checks its rows by it, so add it to the recipient's fields with a justification"
            )
    return problems


def needs_appropriate_policy_document(schedule1: tuple[int, int]) -> bool:
    """Whether a Schedule 1 condition needs an appropriate policy document.

    Part 1 paragraph 1 says so itself; Part 2 paragraph 5 asks for one for every Part 2 condition unless that
    condition says otherwise. This check asks for one for every Part 2 condition: read the paragraph to see if
    yours is an exception.
    """
    part, paragraph = schedule1
    return (part == 1 and paragraph == 1) or part == 2
