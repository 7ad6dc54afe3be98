"""Precision, recall and F1 against ground truth, overall and by group."""
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import evaluation as ev


def test_counts_and_scores_by_hand():
    truth = pd.DataFrame({"left_id": [1, 2, 3, 4], "right_id": ["a", "b", "c", "d"]})
    predicted = pd.DataFrame({"left_id": [1, 2, 3, 5], "right_id": ["a", "b", "x", "e"]})
    r = ev.evaluate(predicted, truth)
    assert (r["true_matches_found"], r["false_matches"], r["missed_matches"]) == (2, 2, 2)
    assert r["precision"] == pytest.approx(0.5)
    assert r["recall"] == pytest.approx(0.5)
    assert r["f1"] == pytest.approx(0.5)


def test_ids_compare_as_text_and_duplicates_count_once():
    truth = pd.DataFrame({"l": ["1", "2"], "r": [10, 20]})
    predicted = pd.DataFrame({"l": [1, 1, 2], "r": ["10", "10", "20"]})
    assert ev.evaluate(predicted, truth, "l", "r")["f1"] == 1.0


def test_nothing_to_measure_gives_none_not_a_made_up_number():
    empty = pd.DataFrame({"left_id": [], "right_id": []})
    r = ev.evaluate(empty, empty)
    assert r["precision"] is None and r["recall"] is None and r["f1"] is None


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="predicted links has no column 'right_id'"):
        ev.evaluate(pd.DataFrame({"left_id": [1]}), pd.DataFrame({"left_id": [1], "right_id": [2]}))


def test_by_group_splits_errors_and_counts_ungrouped_as_unknown():
    truth = pd.DataFrame({"left_id": [1, 2, 3, 4], "right_id": [1, 2, 3, 4]})
    predicted = pd.DataFrame({"left_id": [1, 2, 3, 9], "right_id": [1, 2, 7, 9]})
    groups = pd.Series(["men", "men", "women", "women"], index=[1, 2, 3, 4])
    table = ev.evaluate_by_group(predicted, truth, groups).set_index("group")
    assert table.loc["men", "recall"] == 1.0 and table.loc["men", "precision"] == 1.0
    assert table.loc["women", "recall"] == 0.0 and table.loc["women", "missed_matches"] == 2
    assert table.loc["unknown", "false_matches"] == 1  # left id 9 has no group
    assert table[["true_matches_found", "false_matches", "missed_matches"]].sum().tolist() == [2, 2, 2]


link_sets = st.sets(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=30)


@settings(deadline=None)  # pandas on a shared machine: time varies, results do not
@given(link_sets, link_sets)
def test_group_counts_add_up_to_the_overall_counts(pred, true):
    predicted = pd.DataFrame(sorted(pred), columns=["left_id", "right_id"])
    truth = pd.DataFrame(sorted(true), columns=["left_id", "right_id"])
    overall = ev.evaluate(predicted, truth)
    groups = pd.Series(["even" if i % 2 == 0 else "odd" for i in range(5)], index=range(5))
    table = ev.evaluate_by_group(predicted, truth, groups)
    for column in ("true_matches_found", "false_matches", "missed_matches"):
        assert table[column].sum() == overall[column]
    if overall["f1"] is not None:
        assert 0 <= overall["f1"] <= 1

