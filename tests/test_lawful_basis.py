"""Tests for playbook.lawful_basis: input checks, every branch of the decision model, and the decision record."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import lawful_basis as lb
from playbook.lawful_basis import ScenarioError, assess

BIB_KEYS = set(re.findall(r"^@\w+\{([^,]+),", (Path(__file__).parents[1] / "references.bib").read_text(
    encoding="utf-8"), flags=re.M))

#: The shielding share: NHS Digital to GDS, spring 2020.
SHIELDING = {
    "personal_data": True,
    "special_category": True,
    "confidential_patient_information": True,
    "anonymised": False,
    "discloser": "public_authority",
    "recipient": "public_authority",
    "purpose": "public_health",
    "powers": ["copi_notice", "statutory_function"],
    "emergency": True,
    "consent": "none",
    "large_scale": True,
    "data_matching": True,
}

#: Ordinary personal data, public body to public body, no emergency: the plainest case.
PLAIN = {
    "personal_data": True,
    "special_category": False,
    "confidential_patient_information": False,
    "anonymised": False,
    "discloser": "public_authority",
    "recipient": "public_authority",
    "purpose": "public_service_delivery",
    "powers": ["statutory_function"],
    "emergency": False,
    "consent": "none",
    "large_scale": False,
    "data_matching": False,
}


def run(base: dict, **changes):
    return assess({**base, **changes})


def texts(a, section=None, topic=None) -> list[str]:
    return [p.text for p in a.points if (section is None or p.section == section) and (topic is None or p.topic == topic)]


def has(a, section, topic, fragment) -> bool:
    return any(fragment in t for t in texts(a, section, topic))


# ------------------------------------------------------------------------------------------------------------
# Input checks: never guess
# ------------------------------------------------------------------------------------------------------------


def test_questions_and_scenario_list_the_same_answers():
    assert [f.name for f in dataclasses.fields(lb.Scenario)] == lb.answer_names()


def test_answers_must_be_a_mapping():
    with pytest.raises(ScenarioError, match="answers must be a mapping"):
        assess(["personal_data"])


def test_unknown_answer_is_refused_and_named():
    with pytest.raises(ScenarioError, match="unknown answer 'urgent'; the questions are: personal_data"):
        run(PLAIN, urgent=True)


def test_missing_answer_is_refused_with_its_question():
    answers = dict(PLAIN)
    del answers["consent"]
    with pytest.raises(ScenarioError, match="missing answer 'consent': Have the people consented"):
        assess(answers)


def test_every_problem_is_listed_at_once():
    answers = {k: v for k, v in PLAIN.items() if k not in ("purpose", "emergency")}
    with pytest.raises(ScenarioError) as info:
        assess({**answers, "discloser": "council"})
    assert len(info.value.problems) == 3


@pytest.mark.parametrize("key, value, message", [
    ("emergency", "yes", "'emergency' must be true or false, got 'yes'"),
    ("personal_data", 1, "'personal_data' must be true or false, got 1"),
    ("discloser", "council", "'discloser' is 'council'; allowed: public_authority, private_company, charity"),
    ("purpose", "enforcement", "'purpose' is 'enforcement'; allowed: individual_care"),
    ("consent", True, "'consent' is True; allowed: none, consent, explicit"),
    ("powers", "copi_notice", "'powers' must be a list (may be empty)"),
    ("powers", None, "'powers' must be a list (may be empty)"),
    ("powers", ["section_251"], "'powers' has unknown value(s) section_251; allowed: statutory_function"),
])
def test_wrong_types_and_values_are_refused(key, value, message):
    with pytest.raises(ScenarioError) as info:
        run(PLAIN, **{key: value})
    assert any(message in p for p in info.value.problems), info.value.problems


@pytest.mark.parametrize("changes, message", [
    ({"personal_data": False, "special_category": True}, "answer personal_data true, or answer false to both"),
    ({"personal_data": False, "anonymised": True}, "anonymised is only meaningful for personal data"),
    ({"confidential_patient_information": True}, "which is special category data: answer special_category true"),
])
def test_contradictory_answers_are_refused(changes, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        run(PLAIN, **changes)


def test_a_checked_scenario_passes_straight_through():
    scenario = lb.validate_scenario(PLAIN)
    assert lb.validate_scenario(scenario) is scenario
    assert scenario.powers == frozenset({"statutory_function"})


# ------------------------------------------------------------------------------------------------------------
# Scope: not personal data, anonymised data
# ------------------------------------------------------------------------------------------------------------


def test_not_personal_data():
    a = run(PLAIN, personal_data=False)
    assert texts(a, "rely on") == ["The data is not personal data, so UK GDPR does not apply to sharing it."]
    assert has(a, "warning", "scope", "answer again with personal_data true")
    assert not a.needs


def test_anonymised_health_data_escapes_the_opt_out_but_not_the_work():
    a = run(SHIELDING, anonymised=True)
    assert a.topics() == {"scope", "opt_out", "anonymisation"}
    assert has(a, "rely on", "opt_out", "does not apply to data anonymised")
    assert has(a, "warning", "scope", "needs its own lawful basis")


def test_anonymised_ordinary_data_has_no_opt_out_point():
    a = run(PLAIN, anonymised=True)
    assert "opt_out" not in a.topics()


# ------------------------------------------------------------------------------------------------------------
# Article 6
# ------------------------------------------------------------------------------------------------------------


def test_public_body_for_a_public_purpose_relies_on_public_task():
    a = run(PLAIN)
    assert has(a, "rely on", "article6", "Article 6(1)(e) public task")
    assert not has(a, "needs", "article6", "basis in law")  # a statutory function is named


def test_public_task_without_a_named_power_needs_a_basis_in_law():
    a = run(PLAIN, powers=[])
    assert has(a, "needs", "article6", "public task needs a basis in law")


def test_public_body_for_a_commercial_purpose_is_warned_off_public_task():
    a = run(PLAIN, purpose="commercial")
    assert not has(a, "rely on", "article6", "public task")
    assert has(a, "warning", "article6", "commercial purpose is unlikely to be one of the discloser's public tasks")


def test_public_body_is_warned_off_legitimate_interests():
    assert has(run(PLAIN), "warning", "article6", "cannot rely on legitimate interests")


def test_private_discloser_may_use_legitimate_interests_with_a_balancing_test():
    a = run(PLAIN, discloser="private_company", powers=[])
    assert has(a, "rely on", "article6", "Article 6(1)(f) legitimate interests")
    assert not has(a, "warning", "article6", "cannot rely on legitimate interests")
    assert "legal_power" not in a.topics()  # vires is a question for public bodies


def test_consent_is_a_basis_but_a_public_body_is_warned():
    public = run(PLAIN, consent="consent")
    charity = run(PLAIN, consent="consent", discloser="charity", powers=[])
    assert has(public, "rely on", "article6", "Article 6(1)(a) consent")
    assert has(public, "warning", "article6", "imbalance of power")
    assert has(charity, "rely on", "article6", "Article 6(1)(a) consent")
    assert not has(charity, "warning", "article6", "imbalance of power")


def test_vital_interests_only_in_an_emergency():
    assert has(run(PLAIN, emergency=True), "rely on", "article6", "Article 6(1)(d) vital interests")
    assert not has(run(PLAIN), "rely on", "article6", "vital interests")


# ------------------------------------------------------------------------------------------------------------
# Purposes the model does not resolve
# ------------------------------------------------------------------------------------------------------------


def test_law_enforcement_points_to_part_3_and_legal_advice():
    a = run(PLAIN, purpose="law_enforcement")
    assert has(a, "warning", "purpose", "Part 3 of the Data Protection Act 2018")
    assert has(a, "needs", "purpose", "Legal advice")
    assert has(a, "warning", "purpose", "purpose limitation")


def test_commercial_purpose_raises_purpose_limitation():
    a = run(PLAIN, purpose="commercial")
    assert has(a, "warning", "purpose", "purpose limitation")
    assert not has(a, "warning", "purpose", "Part 3")


# ------------------------------------------------------------------------------------------------------------
# Article 9 and Schedule 1
# ------------------------------------------------------------------------------------------------------------

HEALTH = {**PLAIN, "special_category": True}


def test_no_article9_points_for_ordinary_data():
    assert "article9" not in run(PLAIN).topics()


def test_explicit_consent_is_an_article9_condition():
    a = run(HEALTH, purpose="commercial", consent="explicit")
    assert has(a, "rely on", "article9", "Article 9(2)(a) explicit consent")
    assert not has(a, "warning", "article9", "No Article 9 condition")


def test_individual_care_uses_9_2_h_and_paragraph_2():
    assert has(run(HEALTH, purpose="individual_care"), "rely on", "article9", "Article 9(2)(h)")


def test_public_health_uses_9_2_i_and_paragraph_3_with_its_safeguard():
    a = run(HEALTH, purpose="public_health")
    assert has(a, "rely on", "article9", "Article 9(2)(i) public health, with DPA 2018 Schedule 1 Part 1 paragraph 3")
    assert has(a, "needs", "article9", "health professional")


def test_public_service_delivery_uses_9_2_g_and_needs_a_policy_document():
    a = run(HEALTH)
    assert has(a, "rely on", "article9", "Article 9(2)(g) substantial public interest")
    assert "appropriate_policy_document" in a.topics("needs")


def test_research_uses_9_2_j_and_paragraph_4():
    assert has(run(HEALTH, purpose="research"), "rely on", "article9", "Schedule 1 Part 1 paragraph 4")


def test_vital_interests_condition_in_an_emergency():
    a = run(HEALTH, purpose="law_enforcement", emergency=True)
    assert has(a, "rely on", "article9", "Article 9(2)(c) vital interests")
    assert not has(a, "warning", "article9", "No Article 9 condition")


def test_no_article9_condition_is_a_warning():
    a = run(HEALTH, purpose="law_enforcement")
    assert has(a, "warning", "article9", "No Article 9 condition fits these answers")
    assert "article9" not in a.topics("rely on")


# ------------------------------------------------------------------------------------------------------------
# Duty of confidentiality and the national data opt-out
# ------------------------------------------------------------------------------------------------------------

CPI = {**HEALTH, "confidential_patient_information": True, "purpose": "public_health"}


def test_no_confidentiality_points_without_patient_information():
    a = run(HEALTH)
    assert not a.topics() & {"confidentiality", "opt_out"}


def test_consent_meets_the_duty_and_removes_the_opt_out():
    a = run(CPI, consent="explicit")
    assert has(a, "rely on", "confidentiality", "Consent, if it covers this use")
    assert "opt_out" not in a.topics()


def test_copi_notice_in_an_emergency_sets_the_duty_aside_with_two_warnings():
    a = assess(SHIELDING)
    assert has(a, "rely on", "confidentiality", "regulation 3(4)")
    assert has(a, "warning", "confidentiality", "not an Article 6 lawful basis")
    assert has(a, "warning", "confidentiality", "time-limited")
    assert has(a, "needs", "opt_out", "Check and record whether the national data opt-out applies")
    assert not has(a, "needs", "confidentiality", "A way through")


@pytest.mark.parametrize("changes", [{"emergency": False}, {"purpose": "commercial"}])
def test_copi_notice_outside_its_purposes_is_no_route(changes):
    a = run(CPI, powers=["copi_notice"], **changes)
    assert has(a, "warning", "confidentiality", "covers only the purposes it names")
    assert has(a, "needs", "confidentiality", "A way through the common law duty of confidentiality")
    assert has(a, "needs", "opt_out", "Apply the national data opt-out unless an exemption applies")


def test_no_route_needs_one_and_the_opt_out():
    a = run(CPI, purpose="research", powers=["dea_2017_part5"])
    assert has(a, "needs", "confidentiality", "a data protection lawful basis alone does not meet it")
    assert has(a, "needs", "opt_out", "Apply the national data opt-out")


def test_individual_care_has_no_opt_out_step():
    a = run(CPI, purpose="individual_care")
    assert "opt_out" not in a.topics()
    assert has(a, "needs", "confidentiality", "A way through")


# ------------------------------------------------------------------------------------------------------------
# Legal power
# ------------------------------------------------------------------------------------------------------------


def test_dea_public_service_delivery_between_public_bodies():
    a = run(PLAIN, powers=["dea_2017_part5"])
    assert has(a, "rely on", "legal_power", "section 35")
    assert not has(a, "warning", "legal_power", "regulations list the recipient")
    assert not has(a, "needs", "legal_power", "Identify the legal power")


def test_dea_with_a_charity_recipient_must_be_listed():
    a = run(PLAIN, powers=["dea_2017_part5"], recipient="charity")
    assert has(a, "warning", "legal_power", "Check that the regulations list the recipient")


def test_dea_research_power():
    assert has(run(PLAIN, purpose="research", powers=["dea_2017_part5"]), "rely on", "legal_power",
               "Part 5 research power")


def test_dea_for_an_uncovered_purpose_is_a_warning():
    a = run(PLAIN, purpose="public_health", powers=["dea_2017_part5"])
    assert has(a, "warning", "legal_power", "this purpose is not one")


def test_statutory_function_is_a_power():
    assert has(run(PLAIN), "rely on", "legal_power", "statutory functions")


def test_no_power_named_needs_one():
    assert has(run(PLAIN, powers=[]), "needs", "legal_power", "Identify the legal power")
    assert has(run(PLAIN, powers=["copi_notice"]), "needs", "legal_power", "Identify the legal power")


# ------------------------------------------------------------------------------------------------------------
# Emergency, DPIA and documents
# ------------------------------------------------------------------------------------------------------------


def test_emergency_brings_the_ico_code_warning():
    assert "emergency" in run(PLAIN, emergency=True).topics("warning")
    assert "emergency" not in run(PLAIN).topics()


def test_dpia_required_for_large_scale_health_data():
    a = run(HEALTH, large_scale=True)
    assert texts(a, "needs", "dpia") == ["A DPIA is required: large-scale processing of special category data."]


def test_dpia_required_for_data_matching():
    a = run(PLAIN, data_matching=True, large_scale=True)  # large scale alone is not the trigger here
    assert has(a, "needs", "dpia", "combining or matching data")


def test_dpia_recommended_otherwise():
    assert has(run(PLAIN), "needs", "dpia", "not clearly required, but the ICO recommends one")


def test_every_share_needs_an_agreement_and_privacy_information():
    a = run(PLAIN)
    assert {"agreement", "transparency"} <= a.topics("needs")


def test_health_data_to_a_company_warns_to_write_limits_into_the_agreement():
    assert has(run(HEALTH, recipient="private_company"), "warning", "agreement", "supermarkets")
    assert not has(run(PLAIN, recipient="private_company"), "warning", "agreement", "supermarkets")


# ------------------------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------------------------


def test_output_says_it_is_not_legal_advice():
    a = assess(SHIELDING)
    assert "not legal advice" in a.disclaimer
    assert a.to_text().endswith(lb.DISCLAIMER)
    assert a.to_text().startswith("Can rely on:\n  - Article 6(1)(e) public task")


def test_to_text_marks_an_empty_section():
    assert "Can rely on:\n  - The data" in run(PLAIN, personal_data=False).to_text()
    assert "Also needs:\n  (none)" in run(PLAIN, personal_data=False).to_text()


def test_frame_has_one_row_per_point_in_order():
    a = assess(SHIELDING)
    frame = a.to_frame()
    assert list(frame.columns) == ["section", "topic", "point", "source"]
    assert list(frame["point"]) == [p.text for p in a.points]
    assert len(a.rely_on) + len(a.needs) + len(a.warnings) == len(frame)


ENTRIES = dict(purpose="Food and medicines for people told to shield.", necessity="Only contact details.",
               retention="Delete by 31 December 2020.", security="Encrypted transfer.", rights="Privacy notice.",
               decision="Share", decided_by="Senior information risk owner", date="2020-03-20")


def test_decision_record_follows_annex_b():
    record = lb.decision_record(assess(SHIELDING), **ENTRIES)
    items = list(record["item"])
    assert items[:4] == ["Purpose of the sharing", "Lawful basis (Article 6)", "Necessity and proportionality",
                         "Special category condition"]
    assert items[-1] == "Note" and "not legal advice" in record["record"].iloc[-1]
    row = dict(zip(record["item"], record["record"]))
    assert row["Decided by"] == "Senior information risk owner"
    assert "Article 9(2)(i)" in row["Special category condition"]
    assert row["Appropriate policy document"] == "Not applicable."


def test_decision_record_refuses_missing_or_unknown_entries():
    with pytest.raises(ScenarioError) as info:
        lb.decision_record(assess(PLAIN), **{**ENTRIES, "decided_by": " ", "owner": "me"})
    assert info.value.problems == ["unknown entry 'owner'; allowed: purpose, necessity, retention, security, "
                                   "rights, decision, decided_by, date", "missing entry 'decided_by' (text)"]


# ------------------------------------------------------------------------------------------------------------
# Invariants over every possible scenario
# ------------------------------------------------------------------------------------------------------------

scenarios = st.fixed_dictionaries({
    "personal_data": st.just(True),
    "special_category": st.booleans(),
    "confidential_patient_information": st.booleans(),
    "anonymised": st.booleans(),
    "discloser": st.sampled_from(lb.ORGANISATION_TYPES),
    "recipient": st.sampled_from(lb.ORGANISATION_TYPES),
    "purpose": st.sampled_from(lb.PURPOSES),
    "powers": st.sets(st.sampled_from(lb.POWERS)).map(sorted),
    "emergency": st.booleans(),
    "consent": st.sampled_from(lb.CONSENT),
    "large_scale": st.booleans(),
    "data_matching": st.booleans(),
}).map(lambda d: {**d, "special_category": d["special_category"] or d["confidential_patient_information"]})


@settings(max_examples=300, deadline=None)
@given(answers=scenarios)
def test_every_point_cites_a_source_in_the_bibliography(answers):
    a = assess(answers)
    assert a.disclaimer == lb.DISCLAIMER
    for p in a.points:
        assert p.source in BIB_KEYS, p
        assert p.pinpoint and p.text.endswith((".", ")"))
    if not answers["anonymised"]:
        assert len(texts(a, "needs", "dpia")) == 1  # exactly one DPIA answer for every identifiable share
        assert a.rely_on or a.warnings  # never silent about the basis


def test_decision_aid_shows_the_assessment_and_reports_bad_answers():
    from playbook.widgets import decision_aid

    view = decision_aid(start=SHIELDING)
    *controls, answer = view.children
    assert "regulation 3(4)" in answer.value and "not legal advice" in answer.value
    by_name = dict(zip(lb.QUESTIONS, controls))
    by_name["personal_data"].value = False  # contradicts special_category: the aid shows the problem, not a guess
    assert "answer personal_data true, or answer false to both" in answer.value
    by_name["special_category"].value = False
    by_name["confidential_patient_information"].value = False
    by_name["anonymised"].value = False
    assert "not personal data" in answer.value
