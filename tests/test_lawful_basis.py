"""Tests for playbook.lawful_basis: input checks, one group of tests per rule group, the verdict, the decision
record, invariants over every scenario, and the scenario suite (tests/scenarios/lawful_basis.yaml), which is the
model's specification."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import lawful_basis as lb
from playbook.lawful_basis import ScenarioError, Verdict, assess

ROOT = Path(__file__).parents[1]
BIB_KEYS = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), flags=re.M))
SUITE = yaml.safe_load((Path(__file__).parent / "scenarios" / "lawful_basis.yaml").read_text(encoding="utf-8"))

#: The shielding share: NHS Digital sends the Shielded Patient List to GDS under a COPI notice, spring 2020.
SHIELDING = {
    "identifiability": "identifiable", "special_category": True, "confidential_patient_information": True,
    "discloser": "public_authority", "discloser_health_or_care": True, "recipient": "public_authority",
    "recipient_role": "controller", "recipient_own_purposes": True, "purpose": "public_health",
    "powers": ["copi_notice", "statutory_function"], "emergency": True, "life_or_death": False,
    "can_consent": True, "consent": "none", "professional_responsibility": True,
    "other_restrictions": "checked_none", "large_scale": True, "data_matching": True, "vulnerable_people": True,
}

#: Ordinary personal data, public body to public body, no emergency: the plainest case.
PLAIN = {
    "identifiability": "identifiable", "special_category": False, "confidential_patient_information": False,
    "discloser": "public_authority", "discloser_health_or_care": False, "recipient": "public_authority",
    "recipient_role": "controller", "recipient_own_purposes": True, "purpose": "public_service_delivery",
    "powers": ["statutory_function"], "emergency": False, "life_or_death": False, "can_consent": True,
    "consent": "none", "professional_responsibility": False, "other_restrictions": "checked_none",
    "large_scale": False, "data_matching": False, "vulnerable_people": False,
}

#: A company sharing health data it holds (not patient records) with another company.
COMPANY_HEALTH = {**PLAIN, "special_category": True, "discloser": "private_company", "recipient": "private_company",
                  "powers": []}

ENTRIES = {"purpose": "p", "necessity": "n", "retention": "r", "security": "s", "rights": "ri", "decision": "d",
           "decided_by": "b", "date": "t"}


def run(base: dict, **changes) -> lb.Assessment:
    return assess({**base, **changes})


# ------------------------------------------------------------------------------------------------------------
# Input checks: every problem listed, nothing filled in
# ------------------------------------------------------------------------------------------------------------

def test_every_question_must_be_answered_and_nothing_is_defaulted():
    with pytest.raises(ScenarioError) as err:
        assess({})
    assert len(err.value.problems) == len(lb.QUESTIONS)
    assert all(p.startswith("missing answer") for p in err.value.problems)


def test_unknown_keys_wrong_types_and_unknown_values_are_all_listed():
    with pytest.raises(ScenarioError) as err:
        run(PLAIN, emergency="yes", purpose="marketing", powers=["magic"], colour="blue")
    problems = err.value.problems
    assert any("unknown answer 'colour'" in p for p in problems)
    assert any("'emergency' must be true or false" in p for p in problems)
    assert any("'purpose' is 'marketing'" in p for p in problems)
    assert any("unknown value(s) magic" in p for p in problems)
    with pytest.raises(ScenarioError, match="must be a list"):
        run(PLAIN, powers="statutory_function")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        assess(["not", "a", "mapping"])


@pytest.mark.parametrize("changes, fragment", [
    ({"identifiability": "not_personal_data", "special_category": True}, "about identifiable people"),
    ({"confidential_patient_information": True}, "answer special_category true"),
    ({"can_consent": False, "consent": "explicit"}, "cannot have consented"),
    ({"recipient_role": "processor", "recipient_own_purposes": True}, "Article 28(10)"),
])
def test_contradictory_answers_are_refused(changes, fragment):
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        run(PLAIN, **changes)


def test_all_contradictions_are_reported_together():
    with pytest.raises(ScenarioError) as err:
        run(PLAIN, confidential_patient_information=True, can_consent=False, consent="consent",
            recipient_role="processor", recipient_own_purposes=True)
    assert len(err.value.problems) == 3


def test_a_checked_scenario_passes_through():
    s = lb.validate_scenario(SHIELDING)
    assert lb.validate_scenario(s) is s and s.powers == frozenset({"copi_notice", "statutory_function"})


# ------------------------------------------------------------------------------------------------------------
# Scope
# ------------------------------------------------------------------------------------------------------------

def test_data_that_is_not_personal_data_can_proceed():
    a = run(PLAIN, identifiability="not_personal_data")
    assert a.verdict is Verdict.PROCEED and a.codes() == {"not_personal_data", "check_identifiability"}


def test_anonymised_output_needs_the_anonymisation_shown_and_the_opt_out_falls_away():
    a = run(SHIELDING, identifiability="anonymised")
    assert a.verdict is Verdict.PROCEED_WHEN_MET
    assert {"anonymised", "anonymisation_shown", "anonymising_is_processing", "opt_out_not_applicable"} == a.codes()
    assert "opt_out_not_applicable" not in run(PLAIN, identifiability="anonymised").codes()


def test_law_enforcement_by_a_competent_authority_is_outside_the_model():
    a = run(PLAIN, discloser="competent_authority", purpose="law_enforcement")
    assert a.verdict is Verdict.LEGAL_ADVICE and a.codes() == {"part3_processing"}


# ------------------------------------------------------------------------------------------------------------
# Article 6
# ------------------------------------------------------------------------------------------------------------

def test_public_task_for_a_public_body_needs_a_basis_in_law_without_a_power():
    assert run(PLAIN).options("article6") == ["6(1)(e)"]
    assert "article6_3_law" not in run(PLAIN).codes()
    assert "article6_3_law" in run(PLAIN, powers=[]).codes()


def test_a_public_body_with_a_commercial_purpose_has_no_basis():
    a = run(PLAIN, purpose="commercial")
    assert a.options("article6") == [] and {"no_article6", "not_a_public_task"} <= a.codes()
    assert a.verdict is Verdict.DO_NOT_SHARE


def test_consent_is_a_candidate_with_a_warning_for_public_bodies():
    assert "6(1)(a)" in run(PLAIN, consent="consent").options("article6")
    assert "consent_imbalance" in run(PLAIN, consent="consent").codes()
    assert "consent_imbalance" not in run(COMPANY_HEALTH, consent="consent").codes()


def test_legal_obligation_only_where_a_law_or_a_notice_requires_the_share():
    assert "6(1)(c)" in run(PLAIN, powers=["legal_requirement"]).options("article6")
    assert "6(1)(c)" not in run(PLAIN).options("article6")
    assert run(SHIELDING).options("article6") == ["6(1)(c)", "6(1)(e)"]  # a regulation 3(4) notice requires (M1)
    notice_outside_its_purposes = run(SHIELDING, purpose="commercial", consent="explicit")
    assert "6(1)(c)" not in notice_outside_its_purposes.options("article6")


def test_vital_interests_only_with_an_answer_that_it_is_life_or_death():
    assert "6(1)(d)" not in run(SHIELDING).codes()  # an emergency is not enough (review H1)
    a = run(SHIELDING, life_or_death=True)
    assert "6(1)(d)" in a.options("article6") and "vital_interests_last_resort" in a.codes()


def test_bodies_that_are_not_public_get_legitimate_interests_and_recognised_legitimate_interests():
    a = run(PLAIN, discloser="private_company", powers=[], emergency=True)
    assert a.options("article6") == ["6(1)(ea) public body request", "6(1)(ea) emergencies", "6(1)(f)"]
    assert {"necessity_test", "balancing_test"} <= a.codes()
    assert "public_authority_no_legitimate_interests" not in a.codes()
    crime = run(PLAIN, discloser="charity", recipient="competent_authority", purpose="law_enforcement")
    assert "6(1)(ea) crime" in crime.options("article6")
    safeguarding = run(PLAIN, discloser="charity", recipient="charity", purpose="safeguarding")
    assert safeguarding.options("article6") == ["6(1)(ea) safeguarding", "6(1)(f)"]
    commercial = run(COMPANY_HEALTH, purpose="commercial", emergency=True)
    assert commercial.options("article6") == ["6(1)(f)"]  # no emergencies condition for a commercial purpose


def test_public_bodies_are_told_legitimate_interests_is_not_for_them():
    assert "public_authority_no_legitimate_interests" in run(PLAIN).codes()
    assert not any(o.startswith(("6(1)(f)", "6(1)(ea)")) for o in run(PLAIN, emergency=True).options("article6"))


# ------------------------------------------------------------------------------------------------------------
# Article 9
# ------------------------------------------------------------------------------------------------------------

def test_no_article9_condition_stops_even_in_an_emergency():
    for emergency in (False, True):  # review H2: the emergency flag is not a bypass
        a = run(COMPANY_HEALTH, purpose="commercial", emergency=emergency)
        assert "no_article9" in a.codes() and a.verdict is Verdict.DO_NOT_SHARE
        assert a.options("article9") == []


def test_explicit_consent_is_a_condition():
    assert run(COMPANY_HEALTH, purpose="commercial", consent="explicit").options("article9") == ["9(2)(a)"]


def test_vital_interests_for_health_data_only_when_the_person_cannot_consent():
    assert "9(2)(c)" not in run(SHIELDING, life_or_death=True).codes()
    assert "9(2)(c)" in run(SHIELDING, life_or_death=True, can_consent=False).options("article9")
    assert "9(2)(c)" not in run(SHIELDING, can_consent=False).codes()


@pytest.mark.parametrize("purpose, code", [("individual_care", "9(2)(h)"), ("public_health", "9(2)(i)")])
def test_health_and_public_health_conditions_need_a_professional_responsible(purpose, code):
    assert run(SHIELDING, purpose=purpose).options("article9") == [code]
    a = run(SHIELDING, purpose=purpose, professional_responsibility=False)
    assert a.options("article9") == [] and {"section_11_not_met", "no_article9"} <= a.codes()


def test_substantial_public_interest_needs_a_function_and_an_appropriate_policy_document():
    health = {**PLAIN, "special_category": True}
    a = run(health)
    assert a.options("article9") == ["9(2)(g) para 6"] and "appropriate_policy_document" in a.codes()
    b = run(health, powers=[])
    assert {"para6_needs_function", "no_article9"} <= b.codes()


def test_safeguarding_research_and_law_enforcement_conditions():
    health = {**PLAIN, "special_category": True}
    assert run(health, purpose="safeguarding").options("article9") == ["9(2)(g) para 18"]
    assert run(health, purpose="research").options("article9") == ["9(2)(j)"]
    to_police = run(health, purpose="law_enforcement", recipient="competent_authority")
    assert to_police.options("article9") == ["9(2)(g) para 10"]
    assert "appropriate_policy_document" not in to_police.codes()  # paragraph 10(2): disclosure to the police
    assert "appropriate_policy_document" in run(health, purpose="law_enforcement").codes()


# ------------------------------------------------------------------------------------------------------------
# Confidentiality and the national data opt-out
# ------------------------------------------------------------------------------------------------------------

def test_a_copi_notice_is_a_route_with_its_details_recorded_and_no_opt_out():
    a = run(SHIELDING)
    assert a.options("confidentiality") == ["copi_regulation_3"]
    assert {"copi_notice_details", "copi_not_a_basis", "copi_ends", "opt_out_not_applicable"} <= a.codes()
    assert "opt_out" not in a.codes()


def test_a_copi_notice_does_not_cover_law_enforcement_or_commercial_use():
    a = run(SHIELDING, purpose="law_enforcement", recipient="competent_authority")
    assert "copi_not_for_purpose" in a.codes() and "copi_regulation_3" not in a.codes()
    assert {"public_interest_not_for_bulk"} <= a.codes() and a.verdict is Verdict.DO_NOT_SHARE


def test_research_without_consent_needs_section_251_support_and_then_the_opt_out_applies():
    research = run(SHIELDING, purpose="research", powers=[], emergency=False, recipient="charity")
    assert "no_confidentiality_route" in research.codes() and research.verdict is Verdict.DO_NOT_SHARE
    assert "overriding_public_interest" not in research.codes()  # review H4: not an equal option
    supported = run(SHIELDING, purpose="research", powers=["section_251_support", "statutory_function"],
                    emergency=False, recipient="charity")
    assert supported.options("confidentiality") == ["section_251"]
    assert "opt_out" in supported.codes() and supported.verdict is Verdict.PROCEED_WHEN_MET


def test_the_opt_out_binds_only_health_and_care_bodies():
    supported = {**SHIELDING, "purpose": "research", "powers": ["section_251_support", "statutory_function"]}
    assert "opt_out" not in run(supported, discloser_health_or_care=False).codes()  # review L15


def test_public_interest_is_case_by_case_and_never_for_a_bulk_flow():
    small = run(SHIELDING, purpose="safeguarding", powers=["statutory_function"], large_scale=False)
    assert small.options("confidentiality") == ["overriding_public_interest"]
    assert "public_interest_test" in small.codes()
    bulk = run(SHIELDING, purpose="safeguarding", powers=["statutory_function"])
    assert "public_interest_not_for_bulk" in bulk.codes() and bulk.verdict is Verdict.DO_NOT_SHARE


def test_consent_implied_consent_best_interests_and_legal_requirement_are_routes():
    assert run(SHIELDING, consent="consent", powers=[]).options("confidentiality") == ["consent"]
    care = run(SHIELDING, purpose="individual_care", powers=[])
    assert care.options("confidentiality") == ["implied_consent"]
    no_capacity = run(SHIELDING, purpose="individual_care", powers=[], can_consent=False)
    assert no_capacity.options("confidentiality") == ["best_interests"]
    assert "opt_out_not_applicable" not in care.codes() and "opt_out" not in care.codes()
    directed = run(SHIELDING, powers=["legal_requirement"])
    assert "legal_requirement" in directed.options("confidentiality")
    assert "legal_requirement" in directed.options("legal_power")


def test_data_that_is_not_patient_information_asks_nothing_about_confidentiality():
    assert not {p for p in run(PLAIN).points if p.topic in ("confidentiality", "opt_out")}


# ------------------------------------------------------------------------------------------------------------
# Legal power, other restrictions, purpose, roles, emergency, DPIA, documents
# ------------------------------------------------------------------------------------------------------------

def test_public_bodies_need_a_legal_power_and_others_are_not_asked():
    assert "legal_power_missing" in run(PLAIN, powers=[]).codes()
    department = run(PLAIN, discloser="ministerial_department", powers=["crown_common_law", "civil_contingencies"])
    assert department.options("legal_power") == ["crown_common_law", "civil_contingencies"]


def test_only_a_ministerial_department_has_the_crowns_powers():
    council = run({**PLAIN, "special_category": True}, powers=["crown_common_law"])
    assert "crown_common_law" not in council.options("legal_power")
    assert {"crown_powers_not_available", "legal_power_missing", "para6_needs_function"} <= council.codes()
    department = run({**PLAIN, "special_category": True}, discloser="ministerial_department",
                     powers=["crown_common_law"])
    assert department.options("article9") == ["9(2)(g) para 6"]
    assert not [p for p in run(COMPANY_HEALTH, consent="explicit").points if p.topic == "legal_power"]


def test_the_dea_public_service_power_only_for_its_objectives_and_never_a_basis():
    a = run(PLAIN, powers=["dea_public_service_delivery"])
    assert a.options("legal_power") == ["dea_public_service_delivery"] and "dea_not_a_basis" in a.codes()
    b = run(PLAIN, powers=["dea_public_service_delivery"], purpose="public_health")
    assert "dea_not_for_purpose" in b.codes() and "legal_power_missing" in b.codes()


def test_the_dea_research_power_only_for_de_identified_data_outside_health_and_care():
    research = {**PLAIN, "purpose": "research", "powers": ["dea_research"]}
    ok = run(research, identifiability="de_identified")
    assert ok.options("legal_power") == ["dea_research"] and "dea_accreditation" in ok.codes()
    for changes in ({"identifiability": "identifiable"},  # review H3
                    {"identifiability": "de_identified", "discloser_health_or_care": True}):
        a = run(research, **changes)
        assert "dea_research" not in a.options("legal_power") and "dea_research_not_available" in a.codes()


def test_other_restrictions_found_are_outside_the_model_and_unchecked_ones_are_needed():
    assert run(PLAIN, other_restrictions="found").verdict is Verdict.LEGAL_ADVICE
    assert "check_other_restrictions" in run(PLAIN, other_restrictions="not_checked").codes()


def test_law_enforcement_and_commercial_use_raise_compatibility_and_the_crime_exemption():
    police = run(PLAIN, recipient="competent_authority", purpose="law_enforcement")
    assert {"purpose_compatibility", "schedule2_crime_exemption"} <= police.codes()
    assert "schedule2_crime_exemption" not in run(COMPANY_HEALTH, purpose="commercial").codes()


def test_roles_processor_contract_joint_arrangement_and_recipients_own_basis():
    processor = run(PLAIN, recipient_role="processor", recipient_own_purposes=False)
    assert "article28_contract" in processor.codes()
    assert not {"data_sharing_agreement", "recipient_basis"} & processor.codes()
    joint = run(PLAIN, recipient_role="joint_controller")
    assert {"article26_arrangement", "recipient_basis", "data_sharing_agreement"} <= joint.codes()


def test_an_emergency_adds_a_warning_not_a_basis():
    calm, urgent = run(SHIELDING, emergency=False), run(SHIELDING, emergency=True)
    assert urgent.codes() - calm.codes() == {"emergency_proportionate"}


@pytest.mark.parametrize("changes, outcome", [
    ({}, "large-scale processing of special category data"),
    ({"large_scale": False}, "combining or matching data"),
    ({"large_scale": False, "data_matching": False}, "vulnerable people"),  # review L17
])
def test_the_dpia_screen(changes, outcome):
    (point,) = [p for p in run(SHIELDING, **changes).points if p.topic == "dpia"]
    assert point.code == "dpia_required" and outcome in point.text
    (plain,) = [p for p in run(PLAIN).points if p.topic == "dpia"]
    assert plain.code == "dpia_recommended"


def test_a_company_receiving_health_data_gets_the_purpose_limits_written_down():
    assert "limit_company_use" in run(SHIELDING, recipient="private_company").codes()
    assert "limit_company_use" not in run(PLAIN, recipient="private_company").codes()


# ------------------------------------------------------------------------------------------------------------
# Verdict and presentation
# ------------------------------------------------------------------------------------------------------------

def test_verdict_precedence():
    p = lambda section: lb.Point(section, "t", "c", "x.", "ukgdpr", "1")  # noqa: E731
    assert lb.verdict_of([p("needs"), p("stop"), p("outside")]) is Verdict.LEGAL_ADVICE
    assert lb.verdict_of([p("needs"), p("stop")]) is Verdict.DO_NOT_SHARE
    assert lb.verdict_of([p("candidate"), p("needs")]) is Verdict.PROCEED_WHEN_MET
    assert lb.verdict_of([p("candidate"), p("warning")]) is Verdict.PROCEED
    assert [v.id for v in Verdict] == ["proceed", "proceed_when_met", "do_not_share", "legal_advice"]


def test_text_and_table_show_the_verdict_first_and_never_say_can_rely_on():
    a = run(SHIELDING)
    text = a.to_text()
    assert text.startswith("Verdict: CAN PROCEED ONCE THE LISTED NEEDS ARE MET\nCandidates to discuss")
    assert "[6(1)(e)]" in text and text.endswith(lb.DISCLAIMER) and "can rely on" not in text.lower()
    frame = a.to_frame()
    assert frame.iloc[0].tolist() == ["verdict", "verdict", a.verdict.value, ""]
    assert len(frame) == len(a.points) + 1 and a.candidates and a.needs and a.warnings
    assert "Reasons not to share" not in text and "Outside this model" not in text


# ------------------------------------------------------------------------------------------------------------
# The decision record: candidates are not choices
# ------------------------------------------------------------------------------------------------------------

SHIELDING_CHOICES = {"article6": "6(1)(e)", "article9": "9(2)(i)", "legal_power": "statutory_function",
                     "confidentiality": "copi_regulation_3"}


def test_the_record_follows_annex_b_with_the_verdict_first_and_only_the_chosen_basis():
    record = lb.decision_record(assess(SHIELDING), **SHIELDING_CHOICES, **ENTRIES)
    rows = dict(zip(record["item"], record["record"]))
    assert record["item"].iloc[0] == "Verdict of the decision model"
    assert rows["Verdict of the decision model"] == "can proceed once the listed needs are met"
    assert rows["Lawful basis (Article 6)"].startswith("[6(1)(e)] Public task")
    assert rows["Special category condition (Article 9)"].startswith("[9(2)(i)]")
    assert "Record which notice" in rows["Duty of confidentiality"]
    assert rows["Other legal restrictions"] == "Checked: none found."
    assert rows["Decided by"] == "b" and rows["Note"] == lb.DISCLAIMER
    assert "vital" not in record.to_string().lower()  # review H1: never filled in by the model


def test_the_record_refuses_a_basis_that_was_not_offered_and_lists_what_was():
    with pytest.raises(ScenarioError) as err:
        lb.decision_record(assess(SHIELDING), **{**SHIELDING_CHOICES, "article6": "6(1)(d)"}, **ENTRIES)
    assert err.value.problems == ["article6: '6(1)(d)' was not offered for these answers; choose one of: "
                                  "'6(1)(c)', '6(1)(e)'"]


def test_the_record_makes_the_person_choose_and_never_fills_in():
    with pytest.raises(ScenarioError) as err:
        lb.decision_record(assess(SHIELDING), **ENTRIES)
    assert [p.split(":")[0] for p in err.value.problems] == ["article6", "article9"]
    record = lb.decision_record(assess(SHIELDING), article6="6(1)(e)", article9="9(2)(i)", **ENTRIES)
    rows = dict(zip(record["item"], record["record"]))
    assert rows["Legal power"] == "Still to choose from: statutory_function."
    assert rows["Duty of confidentiality"].startswith("Still to choose from: copi_regulation_3.")


def test_a_record_of_not_sharing_takes_no_basis():
    stopped = run(COMPANY_HEALTH, purpose="commercial")
    record = lb.decision_record(stopped, **ENTRIES)
    rows = dict(zip(record["item"], record["record"]))
    assert rows["Verdict of the decision model"] == "do not share on this basis"
    assert rows["Special category condition (Article 9)"] == "Not applicable."
    with pytest.raises(ScenarioError, match="no basis can be chosen"):
        lb.decision_record(stopped, article6="6(1)(f)", **ENTRIES)


def test_the_record_refuses_missing_unknown_and_non_text_entries():
    with pytest.raises(ScenarioError) as err:
        lb.decision_record(assess(PLAIN), article6="6(1)(e)", legal_power=3, **{**ENTRIES, "decided_by": " ",
                                                                                 "owner": "me"})
    assert err.value.problems == ["unknown entry 'owner'; allowed: purpose, necessity, retention, security, rights, "
                                  "decision, decided_by, date", "missing entry 'decided_by' (text)",
                                  "legal_power: the choice must be text, got int"]


def test_record_rows_for_needs_and_unchosen_topics():
    a = run(PLAIN, powers=[], other_restrictions="not_checked")
    record = lb.decision_record(a, article6="6(1)(e)", **ENTRIES)
    rows = dict(zip(record["item"], record["record"]))
    assert rows["Legal power"].startswith("Identify the legal power")
    assert rows["Other legal restrictions"].startswith("Check for a statutory bar")
    assert rows["Duty of confidentiality"] == "Not applicable."


# ------------------------------------------------------------------------------------------------------------
# Invariants over every possible scenario
# ------------------------------------------------------------------------------------------------------------

def _consistent(d: dict) -> dict:
    d["special_category"] = d["special_category"] or d["confidential_patient_information"]
    if d["identifiability"] == "not_personal_data":
        d["special_category"] = d["confidential_patient_information"] = False
    if not d["can_consent"]:
        d["consent"] = "none"
    if d["recipient_role"] == "processor":
        d["recipient_own_purposes"] = False
    return d


scenarios = st.fixed_dictionaries({
    name: (st.booleans() if kind is bool else st.sets(st.sampled_from(kind)).map(sorted) if name == "powers"
           else st.sampled_from(kind))
    for name, (kind, _) in lb.QUESTIONS.items()
}).map(_consistent)


@settings(max_examples=400, deadline=None)
@given(answers=scenarios)
def test_invariants_every_scenario_must_keep(answers):
    a = assess(answers)
    assert a.verdict is lb.verdict_of(a.points)
    for p in a.points:
        assert p.source in BIB_KEYS, p
        assert p.section in lb.SECTIONS and p.pinpoint and p.text.endswith(".")
    assert "6(1)(d)" not in a.codes() or answers["life_or_death"]
    assert "9(2)(c)" not in a.codes() or (answers["life_or_death"] and not answers["can_consent"])
    assert not (a.options("article6") and "no_article6" in a.codes())
    if answers["discloser"] in lb.PUBLIC_BODIES:
        assert not any(o.startswith(("6(1)(f)", "6(1)(ea)")) for o in a.options("article6"))
    if answers["identifiability"] in ("identifiable", "de_identified") and a.verdict is not Verdict.LEGAL_ADVICE:
        assert len([p for p in a.points if p.topic == "dpia"]) == 1
    if answers["emergency"]:  # an emergency never turns a stop into a go
        calm = assess({**answers, "emergency": False})
        assert (a.verdict is Verdict.DO_NOT_SHARE) == (calm.verdict is Verdict.DO_NOT_SHARE)
        assert a.codes("stop") == calm.codes("stop")


# ------------------------------------------------------------------------------------------------------------
# The scenario suite: the specification, each expectation with its source
# ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", SUITE["scenarios"], ids=lambda c: c["id"])
def test_scenario_suite(case):
    a = assess(case["answers"])
    expect = case["expect"]
    assert a.verdict.id == expect["verdict"], a.to_text()
    for topic, wanted in expect.get("candidates", {}).items():
        assert sorted(a.options(topic)) == sorted(wanted), (topic, a.to_text())
    assert set(expect.get("includes", [])) <= a.codes(), a.to_text()
    assert not set(expect.get("excludes", [])) & a.codes(), a.to_text()


@pytest.mark.parametrize("case", SUITE["invalid"], ids=lambda c: c["id"])
def test_scenario_suite_refuses_invalid_answers(case):
    with pytest.raises(ScenarioError, match=re.escape(case["error"])):
        assess(case["answers"])


def test_the_suite_is_large_sourced_and_uses_only_known_codes():
    cases = SUITE["scenarios"] + SUITE["invalid"]
    assert len(SUITE["scenarios"]) >= 30 and len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert case["sources"], case["id"]
        for source in case["sources"]:
            assert source["key"] in BIB_KEYS, (case["id"], source)


# ------------------------------------------------------------------------------------------------------------
# The widget is a thin view over assess
# ------------------------------------------------------------------------------------------------------------

def _visible_widgets(widget):
    """Every widget inside a view, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _visible_widgets(child)


def test_decision_aid_shows_the_verdict_first_and_reports_bad_answers():
    from playbook.widgets import decision_aid

    view = decision_aid(start=SHIELDING)
    assert "can proceed once the listed needs are met" in view.verdict.value
    assert "6(1)(e)" not in view.verdict.value and "6(1)(e)" in view.details.value  # the verdict line comes first
    assert "not legal advice" in view.details.value
    view.controls["special_category"].value = False  # contradicts patient information: the aid shows the problem
    assert "contradict" in view.verdict.value
    assert "“Health or special category data” yes" in view.details.value
    assert "special_category" not in view.details.value
    view.controls["confidential_patient_information"].value = False
    assert "can proceed once the listed needs are met" in view.verdict.value


def test_decision_aid_gives_the_same_verdict_as_assess_for_every_answer():
    from playbook.widgets import decision_aid

    view = decision_aid(start=SHIELDING)
    view.controls["powers"]["copi_notice"].value = False
    expected = assess({**SHIELDING, "powers": ["statutory_function"]})
    assert f"Verdict: {expected.verdict.value}" in view.verdict.value
    for point in expected.points:
        assert f"{point.source}: {point.pinpoint}" in view.details.value


def test_decision_aid_says_what_changed_in_plain_words():
    from playbook.widgets import decision_aid

    view = decision_aid(start=SHIELDING)
    assert "nothing yet" in view.changed.value
    view.controls["powers"]["copi_notice"].value = False
    line = view.changed.value
    assert "What changed" in line and "“COPI notice”" in line and "unticked" in line
    assert "from “can proceed once the listed needs are met” to “do not share on this basis”" in line
    view.controls["life_or_death"].value = True
    line = view.changed.value
    assert "“Life or death, no other way” from no to yes" in line
    assert "the verdict stays “do not share on this basis”" in line
    assert "New:" in view.details.value  # the points the change brought in are marked
    view.controls["identifiability"].value = "anonymised"
    assert "from identifiable data to anonymised data" in view.changed.value
    for text in (view.changed.value, view.verdict.value, view.details.value):
        assert "_" not in re.sub(r"<[^>]+>", "", text)


def test_decision_aid_labels_are_plain_words_and_powers_are_tick_boxes():
    import ipywidgets as w

    from playbook.widgets import decision_aid

    view = decision_aid(start=SHIELDING)
    everything = list(_visible_widgets(view))
    assert not [x for x in everything if isinstance(x, w.SelectMultiple)]  # no Ctrl-click
    assert set(view.controls["powers"]) == set(lb.POWERS)
    assert all(isinstance(box, w.Checkbox) for box in view.controls["powers"].values())
    for widget in everything:
        for words in (getattr(widget, "description", ""), getattr(widget, "tooltip", "") or ""):
            assert "_" not in words, words
        if isinstance(widget, w.Dropdown):
            assert all("_" not in label for label in widget.options if isinstance(label, str))
            assert all("_" not in label for label, _ in widget.options if isinstance(label, tuple))
            assert all("_" not in label for label in widget._options_labels)
        if isinstance(widget, w.HTML) and widget is not view.details:
            assert "_" not in re.sub(r"<[^>]+>|class=\S+|\.playbook-aid\S*", "", widget.value), widget.value


def test_decision_aid_keeps_the_verdict_beside_the_questions():
    import ipywidgets as w

    from playbook.widgets import decision_aid

    view = decision_aid(start=SHIELDING)
    assert isinstance(view, w.HBox) and len(view.children) == 2  # questions left, verdict right
    left, right = view.children
    for part in (view.changed, view.verdict, view.details):
        assert part in list(_visible_widgets(right)) and part not in list(_visible_widgets(left))
    questions = [x for x in _visible_widgets(left) if isinstance(x, (w.Checkbox, w.Dropdown))]
    assert len(questions) == len(lb.QUESTIONS) - 1 + len(lb.POWERS)
    # Two questions a row: with headings, the left column is about 20 rows of 28 pixels, under 600.
    rows = sum(-(-len(g.children) // 2) for g in _visible_widgets(left) if isinstance(g, w.GridBox))
    headings = sum(isinstance(x, w.HTML) and "<h4>" in x.value for x in _visible_widgets(left))
    assert rows * 30 + headings * 26 <= 600


def test_decision_aid_needs_every_answer_it_cannot_guess():
    from playbook.widgets import decision_aid

    with pytest.raises(ScenarioError, match="missing answer"):
        decision_aid(start={"purpose": "research"})
