"""Re-identification risk: unique records, k-anonymity and the smallest groups, before and after generalising."""
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import risk

PEOPLE = pd.DataFrame({
    "age_band": ["70-79", "70-79", "70-79", "80-89", "80-89", "90+"],
    "sex": ["F", "F", "M", "M", "M", "F"],
    "district": ["M1", "M1", "M1", "M2", "M2", None],
})


def test_a_worked_example():
    result = risk.measure(PEOPLE, ["age_band", "sex", "district"], target_k=2)
    assert result.as_dict() == {"records": 6, "groups": 4, "unique_records": 2, "unique_share": 0.3333, "k": 1,
                                "below_target": 2, "target_k": 2}
    assert risk.group_sizes(PEOPLE, ["age_band", "sex"]).tolist() == [2, 2, 1, 2, 2, 1]
    assert risk.unique_records(PEOPLE, ["age_band", "sex", "district"]).index.tolist() == [2, 5]


def test_smallest_groups_come_first_with_missing_values_shown():
    small = risk.smallest_groups(PEOPLE, ["age_band", "sex", "district"], n=2)
    assert small.to_dict("records") == [
        {"age_band": "70-79", "sex": "M", "district": "M1", "records": 1},
        {"age_band": "90+", "sex": "F", "district": "<missing>", "records": 1}]


def test_generalising_step_by_step():
    table = risk.compare([("three fields", PEOPLE, ["age_band", "sex", "district"]),
                          ("drop district", PEOPLE, ["age_band", "sex"]),
                          ("sex only", PEOPLE, "sex")], target_k=2)
    assert table["step"].tolist() == ["three fields", "drop district", "sex only"]
    assert table["unique_records"].tolist() == [2, 2, 0]
    assert table["k"].tolist() == [1, 1, 3]


def test_bad_input_is_named():
    with pytest.raises(risk.RiskError, match="no column 'postcode'"):
        risk.measure(PEOPLE, ["sex", "postcode"])
    with pytest.raises(risk.RiskError, match="at least one"):
        risk.measure(PEOPLE, [])
    with pytest.raises(risk.RiskError, match="no records"):
        risk.measure(PEOPLE.iloc[:0], ["sex"])
    with pytest.raises(risk.RiskError, match="target_k"):
        risk.measure(PEOPLE, ["sex"], target_k=0)


values = st.one_of(st.none(), st.integers(0, 6))
frames = st.lists(st.tuples(values, values, values), min_size=1, max_size=60).map(
    lambda rows: pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object))


@settings(max_examples=100, deadline=None)
@given(frames)
def test_measures_agree_with_a_plain_count(frame):
    counts = frame.map(repr).value_counts()
    result = risk.measure(frame, ["a", "b", "c"])
    assert result.groups == len(counts)
    assert result.k == counts.min()
    assert result.unique_records == (counts == 1).sum()
    assert risk.group_sizes(frame, ["a", "b", "c"]).sum() == (counts ** 2).sum()


@settings(max_examples=100, deadline=None)
@given(frames)
def test_generalising_never_makes_risk_worse(frame):
    """Coarsening a quasi-identifier (here: integers into halves) or dropping one can only merge groups."""
    coarse = frame.assign(a=frame["a"].map(lambda v: None if v is None else v // 2))
    before = risk.measure(frame, ["a", "b", "c"])
    for after in (risk.measure(coarse, ["a", "b", "c"]), risk.measure(frame, ["b", "c"])):
        assert after.k >= before.k
        assert after.unique_records <= before.unique_records
        assert after.groups <= before.groups
