"""A lawful-basis decision model for sharing personal data in the UK, on the law as at :data:`LAW_AS_AT`.

:func:`assess` takes the facts of a share and returns a :class:`Verdict` first, then the points behind it:
candidate bases, conditions, powers and confidentiality routes to discuss; what must be in place before sharing;
warnings; reasons to stop; and questions the model cannot answer. Every point names its source.

Candidates are not choices. :func:`decision_record` lays the outcome out in the shape of the sharing decision
form in Annex B of the ICO data sharing code, and makes a person choose one Article 6 basis (and, for special
category data, one Article 9 condition) from the candidates. It refuses a choice the model did not offer and
never fills one in by itself.

The rules sit in named groups (scope, Article 6, Article 9, confidentiality, legal power, other restrictions,
roles, emergency, DPIA, documents), each a short function tested on its own; ``tests/scenarios/lawful_basis.yaml``
is the specification they must meet. The model supports a decision by people who know the facts; it is not legal
advice.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: The date on which the rules below were last checked against the law.
LAW_AS_AT = _dt.date(2026, 11, 23)

DISCLAIMER = (
    "This assessment supports a decision; it is not legal advice. It states the law as at "
    f"{LAW_AS_AT.day} November {LAW_AS_AT.year}. Check it with your data protection officer and legal "
    "team, and record who made the decision."
)

IDENTIFIABILITY = ("not_personal_data", "identifiable", "de_identified", "anonymised")
ORGANISATION_TYPES = ("ministerial_department", "public_authority", "competent_authority", "private_company", "charity")
RECIPIENT_ROLES = ("controller", "joint_controller", "processor")
PURPOSES = (
    "individual_care",
    "public_health",
    "public_service_delivery",
    "safeguarding",
    "research",
    "law_enforcement",
    "commercial",
)
POWERS = (
    "statutory_function",
    "crown_common_law",
    "legal_requirement",
    "dea_public_service_delivery",
    "dea_research",
    "civil_contingencies",
    "copi_notice",
    "section_251_support",
)
CONSENT = ("none", "consent", "explicit")
OTHER_RESTRICTIONS = ("checked_none", "found", "not_checked")

#: Every answer the model needs: name -> (type or allowed values, question). Nothing has a default.
QUESTIONS: dict[str, tuple[Any, str]] = {
    "identifiability": (
        IDENTIFIABILITY,
        "What will the recipient get? not_personal_data (never about identifiable "
        "people), identifiable, de_identified (pseudonymised: still personal data) or anonymised "
        "(to the ICO standard)",
    ),
    "special_category": (bool, "Does it include special category data, such as data about health?"),
    "confidential_patient_information": (bool, "Is it confidential patient information from health or care records?"),
    "discloser": (
        ORGANISATION_TYPES,
        "Who shares the data? (ministerial_department: a government department "
        "headed by a minister; public_authority: any other public body, such as a council or an NHS "
        "body; competent_authority: a law enforcement body under DPA 2018 Part 3, such as a police "
        "force)",
    ),
    "discloser_health_or_care": (
        bool,
        "Does the discloser hold this data for health or adult social care "
        "functions (an NHS body, a GP practice, a council's adult social care)?",
    ),
    "recipient": (ORGANISATION_TYPES, "Who receives it?"),
    "recipient_role": (RECIPIENT_ROLES, "Is the recipient a controller, a joint controller or a processor?"),
    "recipient_own_purposes": (bool, "Will the recipient use the data for purposes of its own?"),
    "purpose": (PURPOSES, "What is the share for?"),
    "powers": (POWERS, "Which legal powers or routes exist for this share? (a list; may be empty)"),
    "emergency": (bool, "Is this an emergency in the sense of the Civil Contingencies Act 2004?"),
    "life_or_death": (bool, "Is the share needed to protect someone's life, with no less intrusive way to do it?"),
    "can_consent": (bool, "Can the people the data is about give consent, physically and legally?"),
    "consent": (CONSENT, "What consent do you have? none, consent, or explicit (for special category data)"),
    "professional_responsibility": (
        bool,
        "Is a health or social work professional, or someone with an equivalent "
        "duty of confidentiality, responsible for the processing?",
    ),
    "other_restrictions": (
        OTHER_RESTRICTIONS,
        "Have you checked for other legal restrictions (a statutory bar, "
        "another duty of confidence, Article 8 of the Human Rights Convention)? checked_none, "
        "found or not_checked",
    ),
    "large_scale": (bool, "Is it large scale (for example a national list)?"),
    "data_matching": (bool, "Does it combine or match data from several sources?"),
    "vulnerable_people": (bool, "Are the people vulnerable (for example ill, elderly or children)?"),
}

#: Purposes a public body can pursue as a task set out in law. Commercial gain is not one of them.
PUBLIC_PURPOSES = (
    "individual_care",
    "public_health",
    "public_service_delivery",
    "safeguarding",
    "research",
    "law_enforcement",
)
PUBLIC_BODIES = ("ministerial_department", "public_authority", "competent_authority")

#: The sections a point can sit in, in the order they are shown.
SECTIONS = ("candidate", "needs", "warning", "stop", "outside")
SECTION_TITLES = {
    "candidate": "Candidates to discuss (choose one of each in the decision record)",
    "needs": "Needed before sharing",
    "warning": "Warnings",
    "stop": "Reasons not to share",
    "outside": "Outside this model",
}

#: Topics whose candidates a decision record chooses from; the first two must always be chosen.
CHOICE_TOPICS = ("article6", "article9", "legal_power", "confidentiality")
REQUIRED_CHOICES = ("article6", "article9")


class Verdict(Enum):
    """The overall answer, shown before anything else."""

    PROCEED = "can proceed"
    PROCEED_WHEN_MET = "can proceed once the listed needs are met"
    DO_NOT_SHARE = "do not share on this basis"
    LEGAL_ADVICE = "outside this model: get legal advice"

    @property
    def id(self) -> str:
        """The short name the scenario suite uses, for example ``proceed_when_met``."""
        return self.name.lower()


class ScenarioError(ValueError):
    """The answers are incomplete, of the wrong type or contradict each other. ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the answers have {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Scenario:
    """A checked set of answers. Build it with :func:`validate_scenario`; see :data:`QUESTIONS`."""

    identifiability: str
    special_category: bool
    confidential_patient_information: bool
    discloser: str
    discloser_health_or_care: bool
    recipient: str
    recipient_role: str
    recipient_own_purposes: bool
    purpose: str
    powers: frozenset[str]
    emergency: bool
    life_or_death: bool
    can_consent: bool
    consent: str
    professional_responsibility: bool
    other_restrictions: str
    large_scale: bool
    data_matching: bool
    vulnerable_people: bool

    @property
    def public(self) -> bool:
        """The discloser is a public body, so its sharing must be one of its tasks set out in law."""
        return self.discloser in PUBLIC_BODIES

    @property
    def health(self) -> bool:
        return self.special_category or self.confidential_patient_information


@dataclass(frozen=True)
class Point:
    """One finding: its section, topic and code, what it says, and where that comes from."""

    section: str  # one of SECTIONS
    topic: str  # for example "article6", "article9", "confidentiality", "dpia"
    code: str  # a stable name: a candidate's option (for example "6(1)(e)") or the finding's name
    text: str
    source: str  # a references.bib key
    pinpoint: str  # the article, section or part of the source


@dataclass(frozen=True)
class Assessment:
    """The verdict, then the points behind it, and the disclaimer."""

    scenario: Scenario
    verdict: Verdict
    points: tuple[Point, ...]
    disclaimer: str = DISCLAIMER

    def section(self, name: str) -> list[Point]:
        return [p for p in self.points if p.section == name]

    @property
    def candidates(self) -> list[Point]:
        return self.section("candidate")

    @property
    def needs(self) -> list[Point]:
        return self.section("needs")

    @property
    def warnings(self) -> list[Point]:
        return self.section("warning")

    def codes(self, section: str | None = None) -> set[str]:
        return {p.code for p in self.points if section is None or p.section == section}

    def options(self, topic: str) -> list[str]:
        """The candidate codes offered for one topic, for example ``options("article6")``."""
        return [p.code for p in self.candidates if p.topic == topic]

    def to_frame(self) -> pd.DataFrame:
        """The verdict, then the points, as a pandas table (section, topic, point, source)."""
        import pandas as pd

        rows = [{"section": "verdict", "topic": "verdict", "point": self.verdict.value, "source": ""}]
        rows += [
            {"section": p.section, "topic": p.topic, "point": _label(p), "source": f"{p.source}: {p.pinpoint}"}
            for p in self.points
        ]
        return pd.DataFrame(rows, columns=["section", "topic", "point", "source"])

    def to_text(self) -> str:
        """Plain text for printing: the verdict, each section that has points, then the disclaimer."""
        out = [f"Verdict: {self.verdict.value.upper()}"]
        for name in SECTIONS:
            items = self.section(name)
            if items:
                out.append(f"{SECTION_TITLES[name]}:")
                out += [f"  - {_label(p)} [{p.source}: {p.pinpoint}]" for p in items]
        out.append(self.disclaimer)
        return "\n".join(out)


def _label(point: Point) -> str:
    """A candidate shows its code, so a reader can name it in the decision record."""
    return f"[{point.code}] {point.text}" if point.section == "candidate" else point.text


# ---------------------------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------------------------


def validate_scenario(answers: Mapping[str, Any] | Scenario) -> Scenario:
    """Check the answers and return a :class:`Scenario`, or raise :class:`ScenarioError` listing every problem.

    Every question in :data:`QUESTIONS` must be answered; unknown keys, wrong types and answers that contradict
    each other are refused. Nothing is filled in by default.
    """
    if isinstance(answers, Scenario):
        return answers
    if not isinstance(answers, Mapping):
        raise ScenarioError([f"answers must be a mapping of question to answer, got {type(answers).__name__}"])
    problems = [
        f"unknown answer {key!r}; the questions are: {', '.join(QUESTIONS)}" for key in answers if key not in QUESTIONS
    ]
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
        problems = _contradictions(values)
    if problems:
        raise ScenarioError(problems)
    return Scenario(**values)


def _contradictions(v: Mapping[str, Any]) -> list[str]:
    problems = []
    if v["identifiability"] == "not_personal_data" and (v["special_category"] or v["confidential_patient_information"]):
        problems.append(
            "special_category and confidential_patient_information are about identifiable people: "
            "answer identifiability identifiable, de_identified or anonymised, or answer false to both"
        )
    if v["confidential_patient_information"] and not v["special_category"]:
        problems.append(
            "confidential patient information is data about health, which is special category data: "
            "answer special_category true"
        )
    if v["consent"] != "none" and not v["can_consent"]:
        problems.append(
            f"consent is {v['consent']!r} but can_consent is false: people who cannot consent cannot "
            "have consented; correct one of the two"
        )
    if v["recipient_role"] == "processor" and v["recipient_own_purposes"]:
        problems.append(
            "a processor acts only on the controller's instructions; a recipient that uses the data for "
            "purposes of its own is a controller (UK GDPR Article 28(10)): answer recipient_role "
            "controller, or recipient_own_purposes false"
        )
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Rule groups. Each takes the scenario and returns its points; each is short enough to read at once.
# ---------------------------------------------------------------------------------------------------------------

Rule = Callable[[Scenario], list[Point]]


def _p(section: str, topic: str, code: str, text: str, source: str, pinpoint: str) -> Point:
    return Point(section, topic, code, text, source, pinpoint)


def scope_rules(s: Scenario) -> list[Point]:
    """Whether UK GDPR applies at all, and whether the processing is law enforcement processing under Part 3."""
    if s.identifiability == "not_personal_data":
        return [
            _p(
                "candidate",
                "scope",
                "not_personal_data",
                "The data is not personal data, so UK GDPR does not apply to sharing it.",
                "ukgdpr",
                "Article 4(1)",
            ),
            _p(
                "warning",
                "scope",
                "check_identifiability",
                "Check that nobody can be identified from it, alone or with other data; if someone can, answer again.",
                "ukgdpr",
                "Recital 26",
            ),
        ]
    if s.identifiability == "anonymised":
        points = [
            _p(
                "candidate",
                "scope",
                "anonymised",
                "Data anonymised so that nobody can be identified is not "
                "personal data in the recipient's hands, so UK GDPR does not apply to the shared output.",
                "ico2025anonymisation",
                "what is anonymisation",
            ),
            _p(
                "needs",
                "anonymisation",
                "anonymisation_shown",
                "Show that the output is anonymised: apply "
                "statistical disclosure control and judge the means reasonably likely to be used to identify "
                "someone.",
                "ukgdpr",
                "Recital 26",
            ),
            _p(
                "warning",
                "scope",
                "anonymising_is_processing",
                "Making the anonymised data is itself processing "
                "of personal data by the discloser, and needs its own lawful basis.",
                "ico2025anonymisation",
                "anonymisation is processing",
            ),
        ]
        if s.confidential_patient_information:
            points.append(
                _p(
                    "warning",
                    "opt_out",
                    "opt_out_not_applicable",
                    "The national data opt-out does not apply to data anonymised in line with the ICO's guidance.",
                    "nhsd2022optout",
                    "section 6",
                )
            )
        return points
    if s.discloser == "competent_authority" and s.purpose == "law_enforcement":
        return [
            _p(
                "outside",
                "scope",
                "part3_processing",
                "Processing by a competent authority for law "
                "enforcement falls under Part 3 of the Data Protection Act 2018, not UK GDPR. This model does "
                "not cover it.",
                "dpa2018",
                "Part 3, sections 29 to 31",
            )
        ]
    return []


def article6_rules(s: Scenario) -> list[Point]:
    """Candidate Article 6 bases. Vital interests only with an answer that it is life or death."""
    points: list[Point] = []
    add = points.append
    if s.consent != "none":
        add(
            _p(
                "candidate",
                "article6",
                "6(1)(a)",
                "Consent, if freely given, specific, informed and as easy to withdraw as to give.",
                "ukgdpr",
                "Articles 6(1)(a) and 7",
            )
        )
        if s.public:
            add(
                _p(
                    "warning",
                    "article6",
                    "consent_imbalance",
                    "Consent is rarely a sound basis for a public body, "
                    "because of the imbalance of power between it and the people it serves.",
                    "ukgdpr",
                    "Recital 43",
                )
            )
    if "legal_requirement" in s.powers:
        add(
            _p(
                "candidate",
                "article6",
                "6(1)(c)",
                "Legal obligation: a law, Directions or a court order requires "
                "the discloser to share. Name the provision.",
                "ukgdpr",
                "Articles 6(1)(c) and 6(3)",
            )
        )
    elif _copi_covers(s):
        add(
            _p(
                "candidate",
                "article6",
                "6(1)(c)",
                "Legal obligation: the COPI notice requires the bodies it names to process the data. Name the notice.",
                "dhsc2022copinotice",
                "the notices",
            )
        )
    if s.life_or_death:
        add(
            _p(
                "candidate",
                "article6",
                "6(1)(d)",
                "Vital interests: the share is needed to protect someone's life and no less intrusive way would do.",
                "icovitalinterests",
                "at a glance",
            )
        )
        add(
            _p(
                "warning",
                "article6",
                "vital_interests_last_resort",
                "Vital interests covers matters of life and "
                "death only. For a planned or routine flow, use another basis.",
                "ukgdpr",
                "Recital 46",
            )
        )
    if s.public:
        points += _public_task(s)
    else:
        points += _recognised_legitimate_interests(s)
        add(
            _p(
                "candidate",
                "article6",
                "6(1)(f)",
                "Legitimate interests, if the interest is not overridden by the people's interests and rights.",
                "ukgdpr",
                "Article 6(1)(f)",
            )
        )
        add(
            _p(
                "needs",
                "article6",
                "balancing_test",
                "For legitimate interests, record a legitimate interests "
                "assessment: purpose, necessity and the balancing test.",
                "ico2021datasharingcode",
                "lawfulness",
            )
        )
    if not any(p.section == "candidate" for p in points):
        add(
            _p(
                "stop",
                "article6",
                "no_article6",
                "No Article 6 lawful basis fits these answers: do not share on this basis.",
                "ukgdpr",
                "Article 6(1)",
            )
        )
    return points


def _public_task(s: Scenario) -> list[Point]:
    points: list[Point] = []
    if s.purpose in PUBLIC_PURPOSES:
        points.append(
            _p(
                "candidate",
                "article6",
                "6(1)(e)",
                "Public task: the share is necessary for a task in "
                "the public interest or in the exercise of official authority, set out in law.",
                "ukgdpr",
                "Article 6(1)(e)",
            )
        )
        if not s.powers & {
            "statutory_function",
            "crown_common_law",
            "legal_requirement",
            "dea_public_service_delivery",
            "dea_research",
            "civil_contingencies",
        }:
            points.append(
                _p(
                    "needs",
                    "article6",
                    "article6_3_law",
                    "Name the law that sets out the task: public task needs a basis in law.",
                    "ukgdpr",
                    "Article 6(3)",
                )
            )
    else:
        points.append(
            _p(
                "warning",
                "article6",
                "not_a_public_task",
                "A commercial purpose is not a public body's task, so public task does not fit.",
                "ukgdpr",
                "Article 6(1)(e) and 6(3)",
            )
        )
    points.append(
        _p(
            "warning",
            "article6",
            "public_authority_no_legitimate_interests",
            "A public authority "
            "cannot rely on legitimate interests, or recognised legitimate interests, for its tasks.",
            "ukgdpr",
            "Article 6(1), words after point (f)",
        )
    )
    return points


def _recognised_legitimate_interests(s: Scenario) -> list[Point]:
    """Article 6(1)(ea), in force from 5 February 2026, for bodies that are not public authorities."""
    conditions = []
    if (
        s.recipient in PUBLIC_BODIES
        and s.purpose in PUBLIC_PURPOSES
        and not (s.recipient == "competent_authority" and s.purpose == "law_enforcement")
    ):  # Part 3, not Article 6(1)(e)
        conditions.append(
            (
                "public body request",
                "a public body has asked for the data and said in its request "
                "that it needs it for a task in the public interest set out in law; keep the request",
                "Annex 1, public task disclosure condition",
            )
        )
    if s.emergency and s.purpose not in ("commercial", "law_enforcement"):
        conditions.append(
            (
                "emergencies",
                "the share is necessary to respond to an emergency as the Civil Contingencies Act 2004 defines it",
                "Annex 1, emergencies condition",
            )
        )
    if s.purpose == "law_enforcement":
        conditions.append(
            (
                "crime",
                "the share is necessary to detect, investigate or prevent crime, or to "
                "apprehend or prosecute offenders",
                "Annex 1, crime condition",
            )
        )
    if s.purpose == "safeguarding":
        conditions.append(
            (
                "safeguarding",
                "the share is necessary to safeguard a vulnerable person",
                "Annex 1, safeguarding condition",
            )
        )
    points = [
        _p(
            "candidate",
            "article6",
            f"6(1)(ea) {name}",
            f"Recognised legitimate interest: {why}.",
            "ukgdprannex1",
            pinpoint,
        )
        for name, why, pinpoint in conditions
    ]
    if points:
        points.append(
            _p(
                "needs",
                "article6",
                "necessity_test",
                "For a recognised legitimate interest, record why the share is necessary; no balancing test is needed.",
                "icorli",
                "how to apply",
            )
        )
    return points


def article9_rules(s: Scenario) -> list[Point]:
    """Candidate Article 9 conditions, each with its DPA 2018 Schedule 1 condition. No emergency bypass."""
    if not s.health:
        return []
    points: list[Point] = []
    add = points.append
    if s.consent == "explicit":
        add(_p("candidate", "article9", "9(2)(a)", "Explicit consent.", "ukgdpr", "Article 9(2)(a)"))
    if s.life_or_death and not s.can_consent:
        add(
            _p(
                "candidate",
                "article9",
                "9(2)(c)",
                "Vital interests, where the person cannot physically or legally give consent.",
                "icovitalinterests",
                "at a glance",
            )
        )
    if s.purpose in ("individual_care", "public_health"):
        points += _health_professional_conditions(s)
    elif s.purpose == "public_service_delivery":
        if s.powers & {"statutory_function", "legal_requirement"} or (
            "crown_common_law" in s.powers and s.discloser == "ministerial_department"
        ):
            add(
                _p(
                    "candidate",
                    "article9",
                    "9(2)(g) para 6",
                    "Substantial public interest, with DPA 2018 "
                    "Schedule 1 paragraph 6: a function conferred by an enactment or rule of law, or a function of "
                    "the Crown, a Minister or a government department.",
                    "dpa2018",
                    "Schedule 1 paragraph 6",
                )
            )
        else:
            add(
                _p(
                    "warning",
                    "article9",
                    "para6_needs_function",
                    "Schedule 1 paragraph 6 needs a function "
                    "conferred by law or a Crown function: name it among the powers.",
                    "dpa2018",
                    "Schedule 1 paragraph 6",
                )
            )
    elif s.purpose == "safeguarding":
        add(
            _p(
                "candidate",
                "article9",
                "9(2)(g) para 18",
                "Substantial public interest, with DPA 2018 Schedule 1 "
                "paragraph 18 (safeguarding of children and of individuals at risk), only where consent cannot be "
                "given, cannot reasonably be obtained, or asking would put the protection at risk.",
                "dpa2018",
                "Schedule 1 paragraph 18",
            )
        )
    elif s.purpose == "research":
        add(
            _p(
                "candidate",
                "article9",
                "9(2)(j)",
                "Archiving, research and statistics, with DPA 2018 Schedule 1 "
                "paragraph 4: the research must be in the public interest and have Article 89(1) safeguards.",
                "dpa2018",
                "section 10(2); Schedule 1 paragraph 4",
            )
        )
    elif s.purpose == "law_enforcement":
        add(
            _p(
                "candidate",
                "article9",
                "9(2)(g) para 10",
                "Substantial public interest, with DPA 2018 Schedule 1 "
                "paragraph 10 (preventing or detecting unlawful acts), where asking for consent would prejudice "
                "that purpose.",
                "dpa2018",
                "Schedule 1 paragraph 10",
            )
        )
    if any(p.code.startswith("9(2)(g)") for p in points) and not (
        s.purpose == "law_enforcement" and s.recipient == "competent_authority"
    ):
        add(
            _p(
                "needs",
                "appropriate_policy_document",
                "appropriate_policy_document",
                "An appropriate policy "
                "document: Schedule 1 Part 2 conditions need one unless the condition says otherwise.",
                "dpa2018",
                "Schedule 1 paragraphs 5 and 39",
            )
        )
    if not any(p.section == "candidate" for p in points):
        add(
            _p(
                "stop",
                "article9",
                "no_article9",
                "No Article 9 condition fits these answers: do not share the "
                "special category data on this basis. An emergency does not change this.",
                "ukgdpr",
                "Article 9(1) and 9(2)",
            )
        )
    return points


def _health_professional_conditions(s: Scenario) -> list[Point]:
    """9(2)(h) and 9(2)(i) need a professional, or someone under a duty of confidentiality, to be responsible."""
    code, text, pinpoint = {
        "individual_care": (
            "9(2)(h)",
            "Health or social care, with DPA 2018 Schedule 1 paragraph 2.",
            "section 11(1); Schedule 1 paragraph 2",
        ),
        "public_health": ("9(2)(i)", "Public health, with DPA 2018 Schedule 1 paragraph 3.", "Schedule 1 paragraph 3"),
    }[s.purpose]
    if s.professional_responsibility:
        return [_p("candidate", "article9", code, text, "dpa2018", pinpoint)]
    return [
        _p(
            "warning",
            "article9",
            "section_11_not_met",
            f"Article {code} applies only where a health or social "
            "work professional, or someone who owes an equivalent duty of confidentiality, is responsible for "
            "the processing.",
            "dpa2018",
            pinpoint,
        )
    ]


def confidentiality_rules(s: Scenario) -> list[Point]:
    """Routes through the common law duty of confidentiality, and the national data opt-out."""
    if not s.confidential_patient_information:
        return []
    points: list[Point] = []
    add = points.append
    if s.consent != "none":
        add(
            _p(
                "candidate",
                "confidentiality",
                "consent",
                "The person's consent, if it covers this use.",
                "ico2021datasharingcode",
                "lawfulness: the common law duty of confidence",
            )
        )
    elif s.purpose == "individual_care" and s.can_consent:
        add(
            _p(
                "candidate",
                "confidentiality",
                "implied_consent",
                "Implied consent for the person's own care, "
                "where they would reasonably expect the share; health and care bodies also have a duty to share "
                "for individual care.",
                "hsca2012",
                "section 251B",
            )
        )
    elif s.purpose == "individual_care":
        add(
            _p(
                "candidate",
                "confidentiality",
                "best_interests",
                "A disclosure in the best interests of a person who lacks capacity to consent, for their care.",
                "mca2005",
                "sections 1(5) and 4",
            )
        )
    if "legal_requirement" in s.powers:
        add(
            _p(
                "candidate",
                "confidentiality",
                "legal_requirement",
                "A legal requirement to disclose, such as Directions or a court order.",
                "nhsd2022optout",
                "section 6",
            )
        )
    if "copi_notice" in s.powers:
        points += _copi_notice(s)
    if "section_251_support" in s.powers:
        add(
            _p(
                "candidate",
                "confidentiality",
                "section_251",
                "Support under section 251 of the NHS Act 2006 and "
                "regulation 5 of the COPI Regulations, given on the advice of the Confidentiality Advisory Group, "
                "for this flow.",
                "nhsact2006",
                "section 251; COPI regulation 5",
            )
        )
    points += _public_interest(s, routes=[p for p in points if p.section == "candidate"])
    if not any(p.section == "candidate" for p in points):
        add(
            _p(
                "stop",
                "confidentiality",
                "no_confidentiality_route",
                "Nothing meets the duty of confidentiality: "
                "a data protection basis alone does not. Seek consent, apply to the Confidentiality Advisory "
                "Group for section 251 support, or share only de-identified data that the recipient cannot link "
                "back to anyone.",
                "hracag",
                "section 251 support",
            )
        )
    points += _opt_out(s, points)
    return points


def _copi_covers(s: Scenario) -> bool:
    """A COPI notice is answered and this purpose can fall within regulation 3(1)."""
    return "copi_notice" in s.powers and s.purpose not in ("law_enforcement", "commercial")


def _copi_notice(s: Scenario) -> list[Point]:
    if not _copi_covers(s):
        return [
            _p(
                "warning",
                "confidentiality",
                "copi_not_for_purpose",
                "A COPI notice covers only the purposes "
                "in regulation 3(1): communicable disease and other risks to public health. This purpose is not "
                "one.",
                "copi2002",
                "regulation 3(1)",
            )
        ]
    return [
        _p(
            "candidate",
            "confidentiality",
            "copi_regulation_3",
            "A notice under regulation 3(4) of the COPI "
            "Regulations; regulation 4 makes the processing it covers lawful despite the duty of confidence.",
            "copi2002",
            "regulations 3(4) and 4",
        ),
        _p(
            "needs",
            "confidentiality",
            "copi_notice_details",
            "Record which notice you rely on, its date, the "
            "bodies it names and the purposes it covers, and check that it is still in force.",
            "dhsc2022copinotice",
            "the notices",
        ),
        _p(
            "warning",
            "confidentiality",
            "copi_not_a_basis",
            "A COPI notice deals with confidentiality; it is not "
            "itself a lawful basis. The duty it places on the bodies it names can support Article 6(1)(c), and "
            "health data still needs an Article 9 condition.",
            "nhsd2022copiexit",
            "background",
        ),
        _p(
            "warning",
            "confidentiality",
            "copi_ends",
            "COPI notices end: the general notice expired on 30 June 2022. Plan for the day the notice ends.",
            "hracopitransition",
            "what does this mean for me",
        ),
    ]


def _public_interest(s: Scenario, routes: list[Point]) -> list[Point]:
    """An overriding public interest is for exceptional, case-by-case disclosures, never a bulk flow."""
    if s.purpose in ("individual_care", "commercial", "research"):
        return []  # research without consent has its own route: section 251 support
    if s.large_scale:
        if routes:
            return []
        return [
            _p(
                "stop",
                "confidentiality",
                "public_interest_not_for_bulk",
                "An overriding public interest is "
                "decided case by case for exceptional disclosures. It cannot carry a large-scale flow.",
                "nhsd2022optout",
                "section 6.3",
            )
        ]
    return [
        _p(
            "candidate",
            "confidentiality",
            "overriding_public_interest",
            "An overriding public interest, decided "
            "for this disclosure alone, where the public interest in sharing outweighs the duty of confidence.",
            "nhsd2022optout",
            "section 6.3",
        ),
        _p(
            "needs",
            "confidentiality",
            "public_interest_test",
            "If you rely on the public interest, record the test "
            "for this case and who decided it (usually the Caldicott Guardian).",
            "ndg2020caldicott",
            "principle 7",
        ),
    ]


def _opt_out(s: Scenario, routes: list[Point]) -> list[Point]:
    """The opt-out binds health and adult social care bodies in England, and applies to section 251 flows."""
    if s.purpose == "individual_care" or not s.discloser_health_or_care:
        return []
    offered = {p.code for p in routes if p.section == "candidate"}
    if "section_251" in offered:
        return [
            _p(
                "needs",
                "opt_out",
                "opt_out",
                "Apply the national data opt-out to a flow under section 251 "
                "support, unless the approval says it does not apply.",
                "nhsd2022optout",
                "section 5.1",
            )
        ]
    if offered & {"copi_regulation_3", "legal_requirement", "consent", "overriding_public_interest"}:
        return [
            _p(
                "warning",
                "opt_out",
                "opt_out_not_applicable",
                "The national data opt-out does not apply to "
                "disclosures under COPI regulation 3, a legal requirement, consent or an overriding public "
                "interest. Record which exemption you rely on.",
                "nhsd2022optout",
                "section 6",
            )
        ]
    return []


def legal_power_rules(s: Scenario) -> list[Point]:
    """A public body must act within its powers, and a power is never a data protection basis."""
    if not s.public:
        return []
    points: list[Point] = []
    add = points.append
    if "statutory_function" in s.powers:
        add(
            _p(
                "candidate",
                "legal_power",
                "statutory_function",
                "The discloser's statutory functions, express or implied: name the Act and section.",
                "ico2021datasharingcode",
                "lawfulness",
            )
        )
    if "crown_common_law" in s.powers and s.discloser == "ministerial_department":
        add(
            _p(
                "candidate",
                "legal_power",
                "crown_common_law",
                "The common-law powers of the Crown, where no statute limits them.",
                "dpa2018",
                "section 8(d)",
            )
        )
    elif "crown_common_law" in s.powers:
        add(
            _p(
                "warning",
                "legal_power",
                "crown_powers_not_available",
                "Only a ministerial department has the "
                "Crown's common-law powers. Another public body must find its power in the law that created it.",
                "dpa2018",
                "section 8(c) and (d)",
            )
        )
    if "legal_requirement" in s.powers:
        add(
            _p(
                "candidate",
                "legal_power",
                "legal_requirement",
                "The law that requires the disclosure.",
                "ico2021datasharingcode",
                "lawfulness",
            )
        )
    if "civil_contingencies" in s.powers:
        add(
            _p(
                "candidate",
                "legal_power",
                "civil_contingencies",
                "The Civil Contingencies Act 2004 contingency "
                "planning regulations, for sharing between Category 1 and 2 responders in connection with their "
                "emergency functions.",
                "cca2005regs",
                "Part 8",
            )
        )
    points += _digital_economy_act(s)
    if not any(p.section == "candidate" for p in points):
        add(
            _p(
                "needs",
                "legal_power",
                "legal_power_missing",
                "Identify the legal power that lets the public body share this data.",
                "ico2021datasharingcode",
                "lawfulness",
            )
        )
    return points


def _digital_economy_act(s: Scenario) -> list[Point]:
    points: list[Point] = []
    if "dea_public_service_delivery" in s.powers:
        if s.purpose in ("public_service_delivery", "safeguarding"):
            points.append(
                _p(
                    "candidate",
                    "legal_power",
                    "dea_public_service_delivery",
                    "Digital Economy Act 2017 "
                    "section 35, for an objective set out in regulations, between the specified persons "
                    "they list; follow the code of practice.",
                    "dea2017",
                    "Part 5, section 35",
                )
            )
        else:
            points.append(
                _p(
                    "warning",
                    "legal_power",
                    "dea_not_for_purpose",
                    "Section 35 covers only public service delivery objectives set out in regulations.",
                    "dea2017",
                    "section 35",
                )
            )
    if "dea_research" in s.powers:
        if s.purpose == "research" and s.identifiability == "de_identified" and not s.discloser_health_or_care:
            points.append(
                _p(
                    "candidate",
                    "legal_power",
                    "dea_research",
                    "Digital Economy Act 2017 research power, for de-identified data only.",
                    "dea2017",
                    "section 64",
                )
            )
            points.append(
                _p(
                    "needs",
                    "legal_power",
                    "dea_accreditation",
                    "Accreditation of the research, the "
                    "researchers and every processor by the UK Statistics Authority.",
                    "dea2017",
                    "section 64(8) and (9)",
                )
            )
        else:
            points.append(
                _p(
                    "warning",
                    "legal_power",
                    "dea_research_not_available",
                    "The research power covers "
                    "only research using de-identified data, and never information a health or adult "
                    "social care body holds for those functions.",
                    "dea2017",
                    "Part 5, Chapter 5 (research)",
                )
            )
    if points and any(p.section == "candidate" for p in points):
        points.append(
            _p(
                "warning",
                "legal_power",
                "dea_not_a_basis",
                "A Digital Economy Act power is not a lawful "
                "basis under UK GDPR and does not override data protection law.",
                "dea2017",
                "Part 5",
            )
        )
    return points


def other_restriction_rules(s: Scenario) -> list[Point]:
    """Statutory bars, other duties of confidence and Article 8 of the Convention, asked as one question."""
    if s.other_restrictions == "found":
        return [
            _p(
                "outside",
                "other_restrictions",
                "other_restriction_found",
                "Another legal restriction applies to this data. Get legal advice on whether any gateway overrides it.",
                "ico2021datasharingcode",
                "lawfulness",
            )
        ]
    if s.other_restrictions == "not_checked":
        return [
            _p(
                "needs",
                "other_restrictions",
                "check_other_restrictions",
                "Check for a statutory bar on "
                "disclosure, another duty of confidence, and, for a public body, that sharing respects private "
                "life: necessary and proportionate.",
                "hra1998",
                "section 6; Schedule 1, Article 8",
            )
        ]
    return []


def purpose_rules(s: Scenario) -> list[Point]:
    """A new use of data collected for another purpose must be compatible, or have its own basis."""
    points: list[Point] = []
    if s.purpose in ("law_enforcement", "commercial"):
        points.append(
            _p(
                "warning",
                "purpose",
                "purpose_compatibility",
                "Using data for a new purpose must be "
                "compatible with the purpose it was collected for, or have its own basis. Annex 2 lists "
                "purposes treated as compatible, such as crime and emergencies.",
                "icocompatibility",
                "Article 8A and Annex 2",
            )
        )
    if s.purpose == "law_enforcement":
        points.append(
            _p(
                "needs",
                "purpose",
                "schedule2_crime_exemption",
                "Where a disclosure for law enforcement "
                "would breach purpose limitation or transparency, the crime exemption applies only as far "
                "as complying would prejudice the prevention or detection of crime. Decide and record it "
                "case by case.",
                "dpa2018",
                "Schedule 2 paragraph 2",
            )
        )
    return points


def role_rules(s: Scenario) -> list[Point]:
    """Controller or processor: each controller needs its own basis; a processor needs a contract."""
    if s.recipient_role == "processor":
        return [
            _p(
                "needs",
                "roles",
                "article28_contract",
                "A contract under Article 28 with the processor. It is "
                "not a data sharing agreement: the processor acts only on your instructions.",
                "ukgdpr",
                "Article 28(3)",
            )
        ]
    points = [
        _p(
            "needs",
            "roles",
            "recipient_basis",
            "The recipient is a controller and needs its own lawful "
            "basis, and its own Article 9 condition for special category data.",
            "ico2021datasharingcode",
            "lawfulness",
        )
    ]
    if s.recipient_role == "joint_controller":
        points.append(
            _p(
                "needs",
                "roles",
                "article26_arrangement",
                "An arrangement under Article 26 setting out each joint controller's responsibilities.",
                "ukgdpr",
                "Article 26",
            )
        )
    return points


def emergency_rules(s: Scenario) -> list[Point]:
    """An emergency is a reason to act quickly within the law, never a basis or a bypass."""
    if not s.emergency:
        return []
    return [
        _p(
            "warning",
            "emergency",
            "emergency_proportionate",
            "In an emergency, share what is necessary and "
            "proportionate; not sharing can also cause harm. An emergency is not itself a lawful basis. Record "
            "decisions as you go and review them when it ends.",
            "ico2021datasharingcode",
            "data sharing in an urgent situation or in an emergency",
        )
    ]


def dpia_rules(s: Scenario) -> list[Point]:
    """The DPIA screen: Article 35(3), the ICO's list, and the two-criteria test for sensitive data."""
    if s.health and s.large_scale:
        reason, source, pinpoint = ("large-scale processing of special category data", "ukgdpr", "Article 35(3)(b)")
    elif s.data_matching:
        reason, source, pinpoint = (
            "the ICO lists combining or matching data from several sources as likely to be high risk",
            "ico2022dpia",
            "examples of processing likely to result in high risk",
        )
    elif s.health and s.vulnerable_people:
        reason, source, pinpoint = (
            "special category data about vulnerable people meets two of the criteria "
            "for likely high risk, which calls for a DPIA in most cases",
            "ico2022dpia",
            "criteria for likely high risk",
        )
    else:
        return [
            _p(
                "needs",
                "dpia",
                "dpia_recommended",
                "A DPIA is not clearly required, but the ICO recommends one as a first step for a data share.",
                "ico2021datasharingcode",
                "data protection impact assessments",
            )
        ]
    return [_p("needs", "dpia", "dpia_required", f"A DPIA is required: {reason}.", source, pinpoint)]


def document_rules(s: Scenario) -> list[Point]:
    """Documents every share between controllers needs."""
    points = [
        _p(
            "needs",
            "transparency",
            "privacy_information",
            "Privacy information telling people about the share.",
            "ukgdpr",
            "Articles 13 and 14",
        )
    ]
    if s.recipient_role != "processor":
        points.append(
            _p(
                "needs",
                "agreement",
                "data_sharing_agreement",
                "A data sharing agreement setting out the "
                "purpose, the data, each party's role, retention and deletion.",
                "ico2021datasharingcode",
                "data sharing agreements",
            )
        )
    if s.recipient == "private_company" and s.health:
        points.append(
            _p(
                "warning",
                "agreement",
                "limit_company_use",
                "Write the limits of the purpose into the "
                "agreement with the company: no other use, and deletion dates.",
                "freeguard2023",
                "Purpose",
            )
        )
    return points


#: The rule groups in the order their points are shown.
RULES: tuple[Rule, ...] = (
    article6_rules,
    article9_rules,
    legal_power_rules,
    confidentiality_rules,
    other_restriction_rules,
    purpose_rules,
    role_rules,
    emergency_rules,
    dpia_rules,
    document_rules,
)


def verdict_of(points: list[Point] | tuple[Point, ...]) -> Verdict:
    """Outside beats stop; stop beats needs; with nothing needed the share can proceed."""
    sections = {p.section for p in points}
    if "outside" in sections:
        return Verdict.LEGAL_ADVICE
    if "stop" in sections:
        return Verdict.DO_NOT_SHARE
    if "needs" in sections:
        return Verdict.PROCEED_WHEN_MET
    return Verdict.PROCEED


def assess(answers: Mapping[str, Any] | Scenario) -> Assessment:
    """Assess a data share: a verdict first, then candidates to discuss, needs, warnings, stops and questions
    outside the model, each with its source.

    ``answers`` must answer every question in :data:`QUESTIONS` (nothing has a default). Raises
    :class:`ScenarioError` listing every missing, unknown, wrongly typed or contradictory answer.
    """
    s = validate_scenario(answers)
    points = scope_rules(s)
    if not points:
        for rule in RULES:
            points += rule(s)
    return Assessment(s, verdict_of(points), tuple(points))


# ---------------------------------------------------------------------------------------------------------------
# The decision record
# ---------------------------------------------------------------------------------------------------------------

# Rows of the ICO code's Annex B sharing decision form: (label, how it is filled). A topic fills the row from the
# assessment's needs; "choice:<topic>" from the candidate the person chose; None from the person's own entry.
_ANNEX_B_ROWS = (
    ("Verdict of the decision model", "verdict"),
    ("Purpose of the sharing", None),
    ("Lawful basis (Article 6)", "choice:article6"),
    ("Necessity and proportionality", None),
    ("Special category condition (Article 9)", "choice:article9"),
    ("Appropriate policy document", "appropriate_policy_document"),
    ("Legal power", "choice:legal_power"),
    ("Duty of confidentiality", "choice:confidentiality"),
    ("National data opt-out", "opt_out"),
    ("Other legal restrictions", "other_restrictions"),
    ("Roles and contracts", "roles"),
    ("DPIA outcome", "dpia"),
    ("Retention", None),
    ("Security", None),
    ("Individuals' rights", None),
    ("Decision", None),
    ("Decided by", None),
    ("Date", None),
)
_ENTRY_KEYS = {
    "Purpose of the sharing": "purpose",
    "Necessity and proportionality": "necessity",
    "Retention": "retention",
    "Security": "security",
    "Individuals' rights": "rights",
    "Decision": "decision",
    "Decided by": "decided_by",
    "Date": "date",
}


def check_choices(assessment: Assessment, choices: Mapping[str, str | None]) -> list[str]:
    """Problems with the person's choices: each must be one of the candidates the assessment offered.

    Where the verdict lets the share go ahead, one Article 6 basis must be chosen and, for special category data,
    one Article 9 condition. A legal power and a confidentiality route may be chosen too; until they are, the
    record lists the candidates still to choose from. Where the verdict stops the share, nothing may be chosen.
    """
    problems = []
    going_ahead = assessment.verdict in (Verdict.PROCEED, Verdict.PROCEED_WHEN_MET)
    for topic in CHOICE_TOPICS:
        choice, offered = choices.get(topic), assessment.options(topic)
        if choice is not None and not isinstance(choice, str):
            problems.append(f"{topic}: the choice must be text, got {type(choice).__name__}")
        elif choice is not None and not going_ahead:
            problems.append(
                f"{topic}: the verdict is {assessment.verdict.value!r}, so no basis can be chosen; "
                "record the decision not to share"
            )
        elif choice is not None and choice not in offered:
            listed = ", ".join(repr(o) for o in offered) or "none"
            problems.append(f"{topic}: {choice!r} was not offered for these answers; choose one of: {listed}")
        elif choice is None and going_ahead and offered and topic in REQUIRED_CHOICES:
            problems.append(f"{topic}: choose one of: {', '.join(repr(o) for o in offered)}")
    return problems


def decision_record(
    assessment: Assessment,
    *,
    article6: str | None = None,
    article9: str | None = None,
    legal_power: str | None = None,
    confidentiality: str | None = None,
    **entries: str,
) -> pd.DataFrame:
    """A sharing decision record in the shape of Annex B of the ICO data sharing code, as a pandas table.

    The verdict comes first. The person chooses the Article 6 basis, the Article 9 condition, the legal power and
    the confidentiality route from the assessment's candidates (see :func:`check_choices`); the model never fills
    them in. The rows filled by hand come from ``entries``: ``purpose``, ``necessity``, ``retention``,
    ``security``, ``rights``, ``decision``, ``decided_by`` and ``date`` (all required, as text). Raises
    :class:`ScenarioError` listing every problem.
    """
    import pandas as pd

    choices = {
        "article6": article6,
        "article9": article9,
        "legal_power": legal_power,
        "confidentiality": confidentiality,
    }
    problems = [
        f"unknown entry {k!r}; allowed: {', '.join(_ENTRY_KEYS.values())}"
        for k in sorted(set(entries) - set(_ENTRY_KEYS.values()))
    ]
    problems += [
        f"missing entry {k!r} (text)"
        for k in _ENTRY_KEYS.values()
        if not isinstance(entries.get(k), str) or not entries[k].strip()
    ]
    problems += check_choices(assessment, choices)
    if problems:
        raise ScenarioError(problems)
    rows = [
        # a row with no entry of its own looks up None and gets None
        {"item": label, "record": _record_row(assessment, how, choices, entries.get(_ENTRY_KEYS.get(label)))}  # type: ignore[arg-type]
        for label, how in _ANNEX_B_ROWS
    ]
    rows.append({"item": "Note", "record": assessment.disclaimer})
    return pd.DataFrame(rows, columns=["item", "record"])


def _record_row(assessment: Assessment, how: str | None, choices: Mapping[str, str | None], entry: str | None) -> str:
    if how is None:
        return entry or ""
    if how == "verdict":
        return assessment.verdict.value
    if how.startswith("choice:"):
        topic = how.split(":", 1)[1]
        chosen = [p for p in assessment.candidates if p.topic == topic and p.code == choices[topic]]
        found = chosen + [p for p in assessment.needs if p.topic == topic]
        prefix = (
            "Still to choose from: " + ", ".join(assessment.options(topic)) + ". "
            if not chosen and assessment.options(topic)
            else ""
        )
        if not found:
            return prefix.strip() or "Not applicable."
        return prefix + _cited(found)
    found = [p for p in assessment.points if p.topic == how and p.section in ("needs", "warning", "outside")]
    if not found and how == "other_restrictions" and assessment.scenario.other_restrictions == "checked_none":
        return "Checked: none found."
    return _cited(found) or "Not applicable."


def _cited(points: list[Point]) -> str:
    return " ".join(f"{_label(p)} ({p.source}: {p.pinpoint})" for p in points)
