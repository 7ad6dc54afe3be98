"""A lawful-basis decision model for sharing personal data in the UK public sector.

:func:`assess` takes a scenario's answers and returns what the share can rely on, what else it needs and what
to watch out for, each point with its source. :func:`decision_record` lays the outcome out in the shape of the
sharing decision form in Annex B of the ICO data sharing code.

It supports a decision made by people who know the facts; it is not legal advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

DISCLAIMER = ("This assessment supports a decision; it is not legal advice. Check it with your data protection "
              "officer and legal team, and record who made the decision.")

ORGANISATION_TYPES = ("public_authority", "private_company", "charity")
PURPOSES = ("individual_care", "public_health", "public_service_delivery", "research", "law_enforcement",
            "commercial")
POWERS = ("statutory_function", "dea_2017_part5", "copi_notice")
CONSENT = ("none", "consent", "explicit")

#: Every answer the model needs: name -> (type or allowed values, question).
QUESTIONS: dict[str, tuple[Any, str]] = {
    "personal_data": (bool, "Does the data relate to people who can be identified (before any anonymisation)?"),
    "special_category": (bool, "Does it include special category data, such as data about health?"),
    "confidential_patient_information": (bool, "Is it confidential patient information from health or care records?"),
    "anonymised": (bool, "Will it be anonymised before it is shared?"),
    "discloser": (ORGANISATION_TYPES, "Who shares the data?"),
    "recipient": (ORGANISATION_TYPES, "Who receives it?"),
    "purpose": (PURPOSES, "What is it for?"),
    "powers": (POWERS, "Which legal powers or gateways apply? (a list; may be empty)"),
    "emergency": (bool, "Is this sharing part of an emergency response?"),
    "consent": (CONSENT, "Have the people consented? none, consent, or explicit (for special category data)"),
    "large_scale": (bool, "Is it large scale (for example a national list)?"),
    "data_matching": (bool, "Does it combine or match data from several sources?"),
}

PUBLIC_PURPOSES = ("individual_care", "public_health", "public_service_delivery", "research")


class ScenarioError(ValueError):
    """The answers are incomplete, of the wrong type or inconsistent. ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the scenario's answers have {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Scenario:
    """A checked set of answers. Build it with :func:`validate_scenario`; see :data:`QUESTIONS`."""

    personal_data: bool
    special_category: bool
    confidential_patient_information: bool
    anonymised: bool
    discloser: str
    recipient: str
    purpose: str
    powers: frozenset[str]
    emergency: bool
    consent: str
    large_scale: bool
    data_matching: bool


@dataclass(frozen=True)
class Point:
    """One finding: which section it belongs to, its topic, what it says and where that comes from."""

    section: str  # "rely on", "needs" or "warning"
    topic: str  # for example "article6", "article9", "confidentiality", "dpia"
    text: str
    source: str  # a references.bib key
    pinpoint: str  # the article, section or part of the source


@dataclass(frozen=True)
class Assessment:
    """What a scenario can rely on, what else it needs, and warnings; plus the disclaimer."""

    scenario: Scenario
    points: tuple[Point, ...]
    disclaimer: str = DISCLAIMER

    def _section(self, name: str) -> list[Point]:
        return [p for p in self.points if p.section == name]

    @property
    def rely_on(self) -> list[Point]:
        return self._section("rely on")

    @property
    def needs(self) -> list[Point]:
        return self._section("needs")

    @property
    def warnings(self) -> list[Point]:
        return self._section("warning")

    def topics(self, section: str | None = None) -> set[str]:
        return {p.topic for p in self.points if section is None or p.section == section}

    def to_frame(self):
        """The points as a pandas table (section, topic, point, source), in a fixed order."""
        import pandas as pd

        rows = [{"section": p.section, "topic": p.topic, "point": p.text, "source": f"{p.source}: {p.pinpoint}"}
                for p in self.points]
        return pd.DataFrame(rows, columns=["section", "topic", "point", "source"])

    def to_text(self) -> str:
        """Plain text for printing: the three sections, then the disclaimer."""
        out = []
        for title, name in (("Can rely on", "rely on"), ("Also needs", "needs"), ("Warnings", "warning")):
            out.append(f"{title}:")
            items = self._section(name)
            out += [f"  - {p.text} [{p.source}: {p.pinpoint}]" for p in items] or ["  (none)"]
        out.append(self.disclaimer)
        return "\n".join(out)


def validate_scenario(answers: Mapping[str, Any] | Scenario) -> Scenario:
    """Check the answers and return a :class:`Scenario`, or raise :class:`ScenarioError` listing every problem.

    Every question in :data:`QUESTIONS` must be answered; unknown keys, wrong types and answers that contradict
    each other are refused. Nothing is filled in by default.
    """
    if isinstance(answers, Scenario):
        return answers
    if not isinstance(answers, Mapping):
        raise ScenarioError([f"answers must be a mapping of question to answer, got {type(answers).__name__}"])
    problems = []
    for key in answers:
        if key not in QUESTIONS:
            problems.append(f"unknown answer {key!r}; the questions are: {', '.join(QUESTIONS)}")
    values: dict[str, Any] = {}
    for key, (kind, question) in QUESTIONS.items():
        if key not in answers:
            problems.append(f"missing answer {key!r}: {question}")
            continue
        value = answers[key]
        if kind is bool:
            if not isinstance(value, bool):
                problems.append(f"{key!r} must be true or false, got {value!r}")
                continue
        elif key == "powers":
            if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
                problems.append(f"'powers' must be a list (may be empty) of: {', '.join(POWERS)}; got {value!r}")
                continue
            bad = sorted(str(v) for v in value if v not in POWERS)
            if bad:
                problems.append(f"'powers' has unknown value(s) {', '.join(bad)}; allowed: {', '.join(POWERS)}")
                continue
            value = frozenset(value)
        elif value not in kind:
            problems.append(f"{key!r} is {value!r}; allowed: {', '.join(kind)}")
            continue
        values[key] = value
    if not problems:
        if not values["personal_data"] and (values["special_category"] or values["confidential_patient_information"]):
            problems.append("special_category and confidential_patient_information are personal data: "
                            "answer personal_data true, or answer false to both")
        if values["anonymised"] and not values["personal_data"]:
            problems.append("anonymised is only meaningful for personal data: answer personal_data true "
                            "(the data before anonymisation) or anonymised false")
        if values["confidential_patient_information"] and not values["special_category"]:
            problems.append("confidential patient information is data about health, which is special category "
                            "data: answer special_category true")
    if problems:
        raise ScenarioError(problems)
    return Scenario(**values)


def assess(answers: Mapping[str, Any] | Scenario) -> Assessment:
    """Assess a data share and say what it can rely on, what else it needs, and what to watch.

    Inputs (all required; see :data:`QUESTIONS`):

    - ``personal_data``, ``special_category``, ``confidential_patient_information``, ``anonymised`` (bool):
      what data is shared.
    - ``discloser``, ``recipient``: one of ``public_authority``, ``private_company``, ``charity``.
    - ``purpose``: one of ``individual_care``, ``public_health``, ``public_service_delivery``, ``research``,
      ``law_enforcement``, ``commercial``.
    - ``powers``: a list, possibly empty, of ``statutory_function``, ``dea_2017_part5``, ``copi_notice``.
    - ``emergency`` (bool); ``consent``: ``none``, ``consent`` or ``explicit``.
    - ``large_scale``, ``data_matching`` (bool): for the DPIA screen.

    Output: an :class:`Assessment` whose points fall in three sections: ``rely on`` (lawful bases, conditions,
    powers and routes that fit the answers), ``needs`` (documents and steps still required, for example an
    appropriate policy document, a DPIA, opt-out handling, a data sharing agreement or a legal power) and
    ``warning``. Each point names its source in ``references.bib`` and the article or section. The assessment
    carries :data:`DISCLAIMER`: it supports a decision and is not legal advice.

    Raises :class:`ScenarioError` for missing, unknown, wrongly typed or contradictory answers.
    """
    s = validate_scenario(answers)
    points: list[Point] = []

    def add(section: str, topic: str, text: str, source: str, pinpoint: str) -> None:
        points.append(Point(section, topic, text, source, pinpoint))

    # Not personal data, or anonymised before sharing: data protection law falls away for what is shared.
    if not s.personal_data:
        add("rely on", "scope", "The data is not personal data, so UK GDPR does not apply to sharing it.",
            "ukgdpr", "Article 4(1)")
        add("warning", "scope", "Check that nobody can be identified from it, alone or combined with other data; "
            "if someone can, answer again with personal_data true.", "ukgdpr", "Recital 26")
        return Assessment(s, tuple(points))
    if s.anonymised:
        add("rely on", "scope", "Data anonymised so that people can no longer be identified is not personal data, "
            "so UK GDPR does not apply to the shared output.", "ukgdpr", "Recital 26")
        if s.confidential_patient_information:
            add("rely on", "opt_out", "The national data opt-out does not apply to data anonymised to the ICO "
                "standard.", "nhsd2022optout", "exemptions")
        add("needs", "anonymisation", "Show that the output is anonymised: apply statistical disclosure control "
            "and judge the means reasonably likely to be used to identify someone.", "ukgdpr", "Recital 26")
        add("warning", "scope", "Making the anonymised data is itself processing of personal data, and needs its "
            "own lawful basis.", "ukgdpr", "Article 4(2)")
        return Assessment(s, tuple(points))

    health = s.special_category or s.confidential_patient_information
    public = s.discloser == "public_authority"

    # Article 6 lawful basis.
    if public and s.purpose in PUBLIC_PURPOSES:
        add("rely on", "article6", "Article 6(1)(e) public task: the share is necessary for a task in the public "
            "interest or in the exercise of official authority.", "ukgdpr", "Article 6(1)(e)")
        if not s.powers & {"statutory_function", "dea_2017_part5"}:
            add("needs", "article6", "Name the law that sets out the task: public task needs a basis in law.",
                "ukgdpr", "Article 6(3)")
    elif public:
        add("warning", "article6", f"A {s.purpose.replace('_', ' ')} purpose is unlikely to be one of the "
            "discloser's public tasks, so public task is unlikely to fit.", "ukgdpr", "Article 6(1)(e) and 6(3)")
    else:
        add("rely on", "article6", "Article 6(1)(f) legitimate interests, if the interest is not overridden by the "
            "people's interests and rights: record the balancing test.", "ukgdpr", "Article 6(1)(f)")
    if public:
        add("warning", "article6", "A public authority cannot rely on legitimate interests for processing in "
            "the performance of its tasks.", "ukgdpr", "Article 6(1), final paragraph")
    if s.consent != "none":
        add("rely on", "article6", "Article 6(1)(a) consent, if it is freely given, specific, informed and can be "
            "withdrawn as easily as it was given.", "ukgdpr", "Articles 6(1)(a) and 7")
        if public:
            add("warning", "article6", "Consent is rarely a sound basis for a public authority, because of the "
                "imbalance of power between it and the people it serves.", "ukgdpr", "Recital 43")
    if s.emergency:
        add("rely on", "article6", "Article 6(1)(d) vital interests, only where the share is needed to protect "
            "someone's life and no other basis fits.", "ukgdpr", "Article 6(1)(d) and Recital 46")

    # Purposes this model does not resolve.
    if s.purpose == "law_enforcement":
        add("warning", "purpose", "Processing by a competent authority for law enforcement falls under Part 3 of "
            "the Data Protection Act 2018, which this model does not cover.", "dpa2018", "Part 3")
        add("needs", "purpose", "Legal advice before any disclosure for law enforcement.", "dpa2018", "Part 3")
    if s.purpose in ("law_enforcement", "commercial"):
        add("warning", "purpose", "Using data for a new purpose must be compatible with the purpose it was "
            "collected for, or have its own basis (purpose limitation).", "ukgdpr", "Articles 5(1)(b) and 6(4)")

    # Article 9 condition for special category data, completed by DPA 2018 Schedule 1 where section 10 says so.
    if health:
        found = False
        if s.consent == "explicit":
            found = True
            add("rely on", "article9", "Article 9(2)(a) explicit consent.", "ukgdpr", "Article 9(2)(a)")
        if s.purpose == "individual_care":
            found = True
            add("rely on", "article9", "Article 9(2)(h) health or social care, with DPA 2018 Schedule 1 Part 1 "
                "paragraph 2 (health or social care purposes).", "dpa2018", "section 10(2); Schedule 1 paragraph 2")
        elif s.purpose == "public_health":
            found = True
            add("rely on", "article9", "Article 9(2)(i) public health, with DPA 2018 Schedule 1 Part 1 paragraph 3 "
                "(public health).", "dpa2018", "section 10(2); Schedule 1 paragraph 3")
            add("needs", "article9", "Paragraph 3 applies only if a health professional, or someone who owes a duty "
                "of confidentiality under an enactment or rule of law, is responsible for the processing.",
                "dpa2018", "Schedule 1 paragraph 3(b)")
        elif s.purpose == "public_service_delivery":
            found = True
            add("rely on", "article9", "Article 9(2)(g) substantial public interest, with a DPA 2018 Schedule 1 "
                "Part 2 condition, for example paragraph 6 (statutory and government purposes) or paragraph 18 "
                "(safeguarding of children and of individuals at risk).", "dpa2018",
                "section 10(3); Schedule 1 Part 2")
            add("needs", "appropriate_policy_document", "An appropriate policy document: Schedule 1 Part 2 "
                "conditions need one unless the condition says otherwise.", "dpa2018",
                "Schedule 1 paragraphs 5 and 39")
        elif s.purpose == "research":
            found = True
            add("rely on", "article9", "Article 9(2)(j) archiving, research and statistics, with DPA 2018 Schedule "
                "1 Part 1 paragraph 4: the research must be in the public interest and have Article 89(1) "
                "safeguards.", "dpa2018", "section 10(2); Schedule 1 paragraph 4")
        if s.emergency:
            found = True
            add("rely on", "article9", "Article 9(2)(c) vital interests, only where the person cannot physically "
                "or legally give consent.", "ukgdpr", "Article 9(2)(c)")
        if not found:
            add("warning", "article9", "No Article 9 condition fits these answers: do not share the special "
                "category data on this basis.", "ukgdpr", "Article 9(1) and 9(2)")

    # The common law duty of confidentiality and the national data opt-out.
    if s.confidential_patient_information:
        route = False
        if s.consent != "none":
            route = True
            add("rely on", "confidentiality", "Consent, if it covers this use, meets the duty of confidentiality, "
                "and the national data opt-out does not apply where people have consented.", "nhsd2022optout",
                "exemptions")
        if "copi_notice" in s.powers:
            if s.emergency and s.purpose in PUBLIC_PURPOSES:
                route = True
                add("rely on", "confidentiality", "A notice under regulation 3(4) of the COPI Regulations sets the "
                    "duty of confidentiality aside for the purposes it names.", "copi2002", "regulation 3(4)")
                add("warning", "confidentiality", "A COPI notice is not an Article 6 lawful basis: you still "
                    "need one.", "nhsd2022copiexit", "guidance")
                add("warning", "confidentiality", "COPI notices are time-limited: plan for the day the notice ends "
                    "and record what happens to the data then.", "nhsd2022copiexit", "guidance")
            else:
                add("warning", "confidentiality", "A COPI notice covers only the purposes it names, while it is in "
                    "force; these answers do not fit one.", "copi2002", "regulation 3(4)")
        if not route:
            add("needs", "confidentiality", "A way through the common law duty of confidentiality, for example "
                "consent, a COPI notice, a legal requirement or an overriding public interest: a data protection "
                "lawful basis alone does not meet it.", "freeguard2023", "Purpose")
        if s.purpose != "individual_care" and s.consent == "none":
            if "copi_notice" in s.powers and route:
                add("needs", "opt_out", "Check and record whether the national data opt-out applies to this flow "
                    "under the notice.", "nhsd2022optout", "operational policy guidance")
            else:
                add("needs", "opt_out", "Apply the national data opt-out unless an exemption applies (consent, a "
                    "legal requirement, an overriding public interest, or anonymised data).", "nhsd2022optout",
                    "operational policy guidance")

    # Legal power to share (vires) for public bodies.
    if public:
        if "dea_2017_part5" in s.powers:
            if s.purpose == "public_service_delivery":
                add("rely on", "legal_power", "Digital Economy Act 2017 section 35: disclosure for a public service "
                    "delivery objective set out in regulations, between the bodies the regulations list; follow "
                    "the code of practice.", "dea2017", "Part 5, section 35")
                if s.recipient != "public_authority":
                    add("warning", "legal_power", "Check that the regulations list the recipient: a body that is "
                        "not a public authority can take part only if it is named there.", "dea2017",
                        "Part 5, section 35")
            elif s.purpose == "research":
                add("rely on", "legal_power", "Digital Economy Act 2017 Part 5 research power, through an "
                    "accredited research process; follow the code of practice.", "dea2017", "Part 5")
            else:
                add("warning", "legal_power", "The Digital Economy Act 2017 Part 5 powers cover set purposes "
                    "(public service delivery, debt, fraud, research, statistics); this purpose is not one.",
                    "dea2017", "Part 5")
        if "statutory_function" in s.powers:
            add("rely on", "legal_power", "The discloser's statutory functions give it power to share for them: "
                "name the Act and section.", "ico2021datasharingcode", "lawfulness")
        if not s.powers & {"statutory_function", "dea_2017_part5"}:
            add("needs", "legal_power", "Identify the legal power that lets the public body share this data.",
                "ico2021datasharingcode", "lawfulness")

    # Emergencies.
    if s.emergency:
        add("warning", "emergency", "In an emergency, share what is necessary and proportionate; not sharing can "
            "also cause harm. Record decisions as you go and review them when the emergency ends.",
            "ico2021datasharingcode", "data sharing in an urgent situation or in an emergency")

    # DPIA screen.
    if health and s.large_scale:
        add("needs", "dpia", "A DPIA is required: large-scale processing of special category data.",
            "ukgdpr", "Article 35(3)(b)")
    elif s.data_matching:
        add("needs", "dpia", "A DPIA is required: the ICO lists combining or matching data from several sources "
            "as likely to be high risk.", "ico2022dpia", "examples of processing likely to result in high risk")
    else:
        add("needs", "dpia", "A DPIA is not clearly required, but the ICO recommends one as a first step for a "
            "data share.", "ico2021datasharingcode", "data protection impact assessments")

    # Documents every share needs.
    add("needs", "agreement", "A data sharing agreement setting out the purpose, the data, each party's role, "
        "retention and deletion.", "ico2021datasharingcode", "data sharing agreements")
    add("needs", "transparency", "Privacy information telling people about the share.", "ukgdpr",
        "Articles 13 and 14")
    if s.recipient == "private_company" and health:
        add("warning", "agreement", "Write the limits of the purpose into the agreement with the company (no "
            "other use, deletion dates): a clear purpose is what gave the shielding programme confidence to share "
            "with supermarkets.", "freeguard2023", "Purpose")
    return Assessment(s, tuple(points))


# Rows of the ICO code's Annex B sharing decision form, and the topics that fill each from an assessment.
_ANNEX_B_ROWS = (
    ("Purpose of the sharing", None),
    ("Lawful basis (Article 6)", "article6"),
    ("Necessity and proportionality", None),
    ("Special category condition", "article9"),
    ("Appropriate policy document", "appropriate_policy_document"),
    ("Legal power", "legal_power"),
    ("Duty of confidentiality", "confidentiality"),
    ("National data opt-out", "opt_out"),
    ("DPIA outcome", "dpia"),
    ("Retention", None),
    ("Security", None),
    ("Individuals' rights", None),
    ("Decision", None),
    ("Decided by", None),
    ("Date", None),
)


def decision_record(assessment: Assessment, **entries: str):
    """A sharing decision record in the shape of Annex B of the ICO data sharing code, as a pandas table.

    Rows filled by hand come from ``entries``: ``purpose``, ``necessity``, ``retention``, ``security``,
    ``rights``, ``decision``, ``decided_by`` and ``date`` (all required, as text). The legal rows are filled from
    the assessment's points. The last row repeats the disclaimer.
    """
    import pandas as pd

    keys = {"Purpose of the sharing": "purpose", "Necessity and proportionality": "necessity",
            "Retention": "retention", "Security": "security", "Individuals' rights": "rights",
            "Decision": "decision", "Decided by": "decided_by", "Date": "date"}
    unknown = sorted(set(entries) - set(keys.values()))
    missing = [k for k in keys.values() if not isinstance(entries.get(k), str) or not entries[k].strip()]
    if unknown or missing:
        problems = [f"unknown entry {k!r}; allowed: {', '.join(keys.values())}" for k in unknown]
        problems += [f"missing entry {k!r} (text)" for k in missing]
        raise ScenarioError(problems)
    rows = []
    for label, topic in _ANNEX_B_ROWS:
        if topic is None:
            text = entries[keys[label]]
        else:
            found = [p for p in assessment.points if p.topic == topic and p.section in ("rely on", "needs")]
            text = " ".join(f"{p.text} ({p.source}: {p.pinpoint})" for p in found) or "Not applicable."
        rows.append({"item": label, "record": text})
    rows.append({"item": "Note", "record": assessment.disclaimer})
    return pd.DataFrame(rows, columns=["item", "record"])


def answer_names() -> list[str]:
    """The names of the answers :func:`assess` needs, in the order of :data:`QUESTIONS`."""
    return list(QUESTIONS)

