"""The deterministic cascade and the Fellegi–Sunter arithmetic."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import linkage as lk

RULES = (lk.Rule("id", ("nhs",)), lk.Rule("name and birth", ("name", "born")))


def tables():
    left = pd.DataFrame({"lid": [1, 2, 3, 4, 5],
                         "nhs": ["A", None, None, None, "Z"],
                         "name": ["ANN", "BEN", "CAL", "DEE", "EVE"],
                         "born": ["1950", "1960", "1970", "1980", "1990"]})
    right = pd.DataFrame({"rid": [10, 20, 30, 31, 40],
                          "nhs": ["A", "B", "C", "D", "E"],
                          "name": ["ANNE", "BEN", "CAL", "CAL", "DEE"],
                          "born": ["1950", "1960", "1970", "1970", "1981"]})
    return left, right


def test_cascade_labels_each_match_with_its_rule_and_keeps_every_left_record():
    left, right = tables()
    out = lk.cascade(left, right, "lid", "rid", RULES)
    assert out["lid"].tolist() == [1, 2, 3, 4, 5]
    assert out["rid"].tolist() == [10, 20, pd.NA, pd.NA, pd.NA]
    # CAL matches two right records: the cascade refuses to guess.
    assert out["rule"].tolist() == ["id", "name and birth", lk.NO_MATCH, lk.NO_MATCH, lk.NO_MATCH]


def test_earlier_rules_win_and_missing_keys_never_match():
    left = pd.DataFrame({"lid": [1, 2], "nhs": ["A", None], "name": ["X", None], "born": ["1", None]})
    right = pd.DataFrame({"rid": [7, 8], "nhs": ["A", None], "name": ["X", None], "born": ["1", None]})
    out = lk.cascade(left, right, "lid", "rid", (lk.Rule("name", ("name", "born")), lk.Rule("id", ("nhs",))))
    assert out["rule"].tolist() == ["name", lk.NO_MATCH]


def test_two_left_records_may_link_to_one_right_record():
    left = pd.DataFrame({"lid": [1, 2], "nhs": ["A", "A"]})
    right = pd.DataFrame({"rid": [9], "nhs": ["A"]})
    out = lk.cascade(left, right, "lid", "rid", (lk.Rule("id", ("nhs",)),))
    assert out["rid"].tolist() == [9, 9]


def test_cascade_errors_name_the_missing_column_and_repeated_ids():
    left, right = tables()
    with pytest.raises(KeyError, match="right table has no column 'born'"):
        lk.cascade(left, right.drop(columns="born"), "lid", "rid", RULES)
    with pytest.raises(ValueError, match="'lid' must identify each row once"):
        lk.cascade(pd.concat([left, left]), right, "lid", "rid", RULES)


def test_rule_counts_add_up_to_the_left_records():
    left, right = tables()
    counts = lk.rule_counts(lk.cascade(left, right, "lid", "rid", RULES), RULES)
    assert counts["records"].sum() == len(left)
    assert counts["cumulative"].iloc[-1] == len(left)


def test_m_u_and_weights_by_hand():
    agree = pd.DataFrame({"name": [True, True, True, False, True, False, False, False],
                          "born": [True, True, False, True, False, False, False, False]})
    is_match = [True, True, True, True, False, False, False, False]
    mu = lk.m_u_probabilities(agree, is_match)
    assert mu.loc["name", "m"] == pytest.approx(0.75) and mu.loc["name", "u"] == pytest.approx(0.25)
    weights = lk.match_weights(mu)
    assert weights.loc["name", "agree_weight"] == pytest.approx(math.log2(3))
    assert weights.loc["name", "disagree_weight"] == pytest.approx(math.log2(0.25 / 0.75))
    # u of born is 0, clipped so that agreement does not give an infinite weight
    assert np.isfinite(weights.loc["born", "agree_weight"])
    total = lk.score(agree, weights)
    assert total.iloc[0] == pytest.approx(weights["agree_weight"].sum())
    assert total.iloc[-1] == pytest.approx(weights["disagree_weight"].sum())


def test_agreement_treats_missing_as_disagreement():
    left = pd.DataFrame({"name": pd.array(["A", None, "C"], dtype="string"), "born": [1, 2, None]})
    right = pd.DataFrame({"name": pd.array(["A", None, "X"], dtype="string"), "born": [1, 2, None]}, index=[7, 8, 9])
    agree = lk.agreement(left, right, ["name", "born"])
    assert agree["name"].tolist() == [True, False, False]
    assert agree["born"].tolist() == [True, True, False]
    with pytest.raises(ValueError, match="one row per pair"):
        lk.agreement(left, right.iloc[:2], ["name"])


def test_m_u_needs_both_kinds_of_pair():
    with pytest.raises(ValueError, match="both matching and non-matching"):
        lk.m_u_probabilities(pd.DataFrame({"a": [True]}), [True])


def test_probability_and_prior():
    assert lk.probability(0) == pytest.approx(0.5)
    assert lk.probability(np.log2(3)) == pytest.approx(0.75)
    agree = pd.DataFrame({"a": [True]})
    weights = lk.match_weights(pd.DataFrame({"m": [0.9], "u": [0.1]}, index=["a"]))
    with_prior = lk.score(agree, weights, prior=0.5).iloc[0]
    assert with_prior == pytest.approx(lk.score(agree, weights).iloc[0])


def test_precision_and_recall_at_a_threshold():
    scores = [9, 8, 7, 3, 2]
    is_match = [True, True, False, True, False]
    r = lk.precision_recall_at(scores, is_match, threshold=5)
    assert (r["precision"], r["recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert r["false_matches"] == 1 and r["missed_matches"] == 1
    # two more true matches that blocking never found count as missed
    assert lk.precision_recall_at(scores, is_match, 5, true_matches=5)["recall"] == pytest.approx(0.4)
    nothing = lk.precision_recall_at(scores, is_match, threshold=100)
    assert (nothing["precision"], nothing["recall"]) == (1.0, 0.0)
    with pytest.raises(ValueError, match="fewer than the matching pairs"):
        lk.precision_recall_at(scores, is_match, 5, true_matches=1)


@settings(deadline=None)  # pandas on a shared machine: time varies, results do not
@given(st.lists(st.tuples(st.floats(-20, 20), st.booleans()), min_size=1, max_size=40),
       st.floats(-20, 20), st.floats(-20, 20))
def test_raising_the_threshold_never_lowers_precision_of_ranked_pairs_recall_only_falls(pairs, t1, t2):
    scores, is_match = zip(*pairs)
    low, high = sorted((t1, t2))
    a = lk.precision_recall_at(scores, is_match, low)
    b = lk.precision_recall_at(scores, is_match, high)
    assert b["recall"] <= a["recall"]
    assert b["accepted"] <= a["accepted"]
    assert b["false_matches"] <= a["false_matches"]


def test_curve_has_one_row_per_threshold_and_review_band():
    curve = lk.precision_recall_curve([1, 2, 3], [False, True, True], [0, 2, 4])
    assert curve["threshold"].tolist() == [0, 2, 4]
    assert curve["recall"].tolist() == [1.0, 1.0, 0.0]
    assert lk.review_band([1, 5, 9], 3, 7).tolist() == ["non-match", "review", "match"]
    with pytest.raises(ValueError):
        lk.review_band([1], 5, 3)


def test_standardise_for_linkage_writes_both_sides_the_same_way():
    frame = pd.DataFrame({"rid": pd.array([7, 8], dtype="Int64"),
                          "nhs_number": ["999 000 0018", None],
                          "given_name": ["  anne-marie ", "Bob"],
                          "family_name": ["o'neil", None],
                          "date_of_birth": pd.to_datetime(["1950-05-01", None]),
                          "postcode": ["sw1a1aa", "not a postcode"],
                          "phone": ["01632 960000", None]})
    out = lk.standardise_for_linkage(frame, "rid")
    assert list(out.columns) == ["rid", *lk.LINKAGE_FIELDS]
    assert out["rid"].tolist() == ["7", "8"]
    assert out["date_of_birth"].tolist() == ["1950-05-01", pd.NA]
    assert out["postcode"].tolist() == ["SW1A 1AA", pd.NA]
    assert out["given_name"].iloc[0] == lk.identifiers.standardise_name(frame["given_name"]).iloc[0]
    assert out["nhs_number"].tolist() == lk.identifiers.standardise_nhs_number(frame["nhs_number"]).tolist()
    assert len(out) == len(frame)  # no record is dropped


def test_standardise_for_linkage_names_a_missing_column():
    with pytest.raises(KeyError, match="'postcode'"):
        lk.standardise_for_linkage(pd.DataFrame({"rid": [1], "nhs_number": ["x"], "given_name": ["a"],
                                                 "family_name": ["b"], "date_of_birth": ["1950-01-01"]}), "rid")
