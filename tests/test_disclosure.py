"""Disclosure control: suppression must leave nothing recoverable, rounding must follow the NHS convention."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook import disclosure as d


def table(rows):
    return pd.DataFrame(rows, index=[f"area{i}" for i in range(len(rows))],
                        columns=[f"week{j}" for j in range(len(rows[0]))])


def tables(max_rows=4, max_cols=4, max_value=30):
    """Random tables of counts, with plenty of small cells and zeros."""
    shapes = st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))
    cell = st.one_of(st.integers(0, 9), st.integers(0, max_value))
    return shapes.flatmap(lambda s: st.lists(st.lists(cell, min_size=s[1], max_size=s[1]),
                                             min_size=s[0], max_size=s[0])).map(table)


# --- a hand-worked example -----------------------------------------------------------------------------------


def test_a_small_cell_alone_in_its_row_is_recoverable_until_secondary_suppression():
    t = table([[3, 12, 25], [20, 4, 18], [15, 30, 40]])
    counts = d.add_totals(t)
    primary_only = (counts > 0) & (counts < 10)
    # Hiding only the small cells: each is its row total minus the published cells.
    assert sorted(d.determined_cells(counts, primary_only)) == [("area0", "week0"), ("area1", "week1")]
    result = d.suppress(t, threshold=10)
    assert d.determined_cells(result.counts, result.hidden) == []
    assert result.primary.to_numpy().sum() == 2
    # The cheapest protection is the 2-by-2 block: two more cells, none of them totals.
    assert sorted(map(tuple, np.argwhere(result.secondary.to_numpy()))) == [(0, 1), (1, 0)]
    assert result.display().loc["area0", "week0"] == "*"
    assert result.published.loc["area2", "week2"] == 40


def test_nothing_to_hide_means_nothing_hidden():
    result = d.suppress(table([[10, 20], [30, 40]]), threshold=10)
    assert result.summary() == {"cells": 9, "primary": 0, "secondary": 0, "published": 9}


def test_small_totals_are_hidden_too():
    result = d.suppress(table([[2, 3], [40, 50]]), threshold=10)
    assert result.primary.loc["area0", d.TOTAL]  # 5 people in area0 is itself a small number
    assert d.determined_cells(result.counts, result.hidden) == []


def test_a_zero_is_not_hidden_unless_asked():
    t = table([[0, 12], [20, 30]])
    assert not d.suppress(t, threshold=10).hidden.to_numpy().any()
    assert d.suppress(t, threshold=10, suppress_zeros=True).primary.loc["area0", "week0"]


def test_cells_published_before_are_never_used_as_cover():
    t = table([[3, 12, 25], [20, 4, 18], [15, 30, 40]])
    counts = d.add_totals(t)
    earlier = pd.DataFrame(pd.NA, index=counts.index, columns=counts.columns, dtype="Int64")  # showed one cell
    earlier.loc["area0", "week1"] = 12
    result = d.suppress(t, threshold=10, published_before=earlier)
    assert not result.hidden.loc["area0", "week1"]  # hiding it now would protect nothing
    assert result.secondary.to_numpy().sum() >= 2
    assert d.determined_cells(result.counts, result.hidden) == []


def test_when_everything_was_published_before_there_is_no_safe_table():
    t = table([[3, 12], [20, 40]])
    earlier = d.add_totals(t).astype("Int64")
    earlier.loc["area0", "week0"] = pd.NA
    with pytest.raises(d.DisclosureError, match=r"cannot protect cell \(row 'area0', column 'week0'\)"):
        d.suppress(t, threshold=10, published_before=earlier)


# --- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, shown", [("abc", "'abc'"), (-1, "-1"), (2.5, "2.5"), (None, "None")])
def test_a_cell_that_is_not_a_count_is_named(bad, shown):
    t = pd.DataFrame({"week0": [5, 6], "week1": [7, bad]}, index=["E06000001", "E06000002"], dtype=object)
    with pytest.raises(d.DisclosureError, match=r"row 'E06000002', column 'week1'\) holds " + shown):
        d.suppress(t)


def test_other_bad_input_is_refused_with_the_reason():
    with pytest.raises(d.DisclosureError, match="empty"):
        d.suppress(pd.DataFrame())
    with pytest.raises(d.DisclosureError, match="already called 'Total'"):
        d.suppress(pd.DataFrame({"Total": [1]}))
    with pytest.raises(d.DisclosureError, match="threshold"):
        d.suppress(table([[1]]), threshold=0)
    with pytest.raises(d.DisclosureError, match="base"):
        d.round_to_base([1], base=0)
    with pytest.raises(d.DisclosureError, match="DataFrame"):
        d.check_counts([[1, 2]])


# --- properties: for every table -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(1, 12), st.booleans())
def test_after_suppression_no_hidden_cell_is_alone_in_a_line_or_recoverable(t, threshold, zeros):
    result = d.suppress(t, threshold=threshold, suppress_zeros=zeros)
    values = result.counts.to_numpy()
    small = (values > 0) & (values < threshold) | (zeros & (values == 0))
    assert (result.hidden.to_numpy() >= small).all(), "a small cell was published"
    # Every line of the table (a row or column with its total) has no hidden cell or at least two.
    assert d.lonely_cells(result.hidden) == []
    assert d.determined_cells(result.counts, result.hidden) == []
    assert not (result.primary & result.secondary).to_numpy().any()


def _other_values_exist(counts: pd.DataFrame, hidden: pd.DataFrame) -> dict:
    """Brute force, independent of the graph argument: try every inner table with each cell from 0 to its true
    value + 1, keep those that agree with everything published, and say which hidden cells took another value."""
    inner = counts.iloc[:-1, :-1].to_numpy()
    published = ~hidden.to_numpy()
    truth = counts.to_numpy()
    grid = np.indices([v + 2 for v in inner.ravel()]).reshape(inner.size, -1).T.reshape(-1, *inner.shape)
    full = np.zeros((grid.shape[0], *truth.shape), dtype="int64")
    full[:, :-1, :-1] = grid
    full[:, :-1, -1] = grid.sum(axis=2)
    full[:, -1, :-1] = grid.sum(axis=1)
    full[:, -1, -1] = grid.sum(axis=(1, 2))
    agrees = (full[:, published] == truth[published]).all(axis=1)
    candidates = full[agrees]
    return {(counts.index[i], counts.columns[j]): bool((candidates[:, i, j] != truth[i, j]).any())
            for i, j in np.argwhere(~published)}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(max_rows=2, max_cols=3, max_value=4), st.integers(1, 4))
def test_graph_proof_agrees_with_brute_force_on_small_tables(t, threshold):
    counts = d.add_totals(t)
    # Check the proof on the primary-only pattern (often unsafe) and on the final pattern (always safe).
    primary = (counts > 0) & (counts < threshold)
    for hidden in (primary, d.suppress(t, threshold=threshold).hidden):
        determined = set(d.determined_cells(counts, hidden))
        for cell, can_differ in _other_values_exist(counts, hidden).items():
            assert can_differ == (cell not in determined), cell


@settings(max_examples=100, deadline=None)
@given(tables(max_rows=4, max_cols=4), st.integers(2, 12))
def test_linear_programming_bounds_are_never_a_single_value(t, threshold):
    """A solver's view: for each hidden cell, the smallest and largest value consistent with what is published."""
    linprog = pytest.importorskip("scipy.optimize").linprog
    result = d.suppress(t, threshold=threshold)
    truth, hidden = result.counts.to_numpy(), result.hidden.to_numpy()
    cells = [tuple(c) for c in np.argwhere(hidden)]
    if not cells:
        return
    position = {c: k for k, c in enumerate(cells)}
    a_eq, b_eq = [], []
    n_rows, n_cols = truth.shape
    lines = [[(i, j) for j in range(n_cols - 1)] + [(i, n_cols - 1)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows - 1)] + [(n_rows - 1, j)] for j in range(n_cols)]
    for line in lines:  # inner cells of a line minus its total = 0
        row, rhs = np.zeros(len(cells)), 0.0
        for k, c in enumerate(line):
            sign = -1.0 if k == len(line) - 1 else 1.0
            if c in position:
                row[position[c]] += sign
            else:
                rhs -= sign * truth[c]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    for c in cells:
        objective = np.zeros(len(cells))
        objective[position[c]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0
        upper = np.inf if high.status == 3 else -high.fun
        assert upper - low.fun > 0.5, f"cell {c} is pinned to {low.fun}"


# --- rounding ------------------------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=50), st.sampled_from([2, 3, 5, 10]))
def test_rounding_goes_to_the_nearest_multiple(values, base):
    rounded = d.round_to_base(values, base)
    assert (rounded % base == 0).all()
    assert (np.abs(rounded - np.array(values)) * 2 <= base).all()
    low, high = d.rounding_interval(rounded, base)
    assert ((low <= np.array(values)) & (np.array(values) <= high)).all()


def test_totals_are_rounded_from_unrounded_values():
    t = table([[2, 2, 2], [3, 3, 3]])
    rounded = d.round_counts(t, base=5)
    assert rounded.loc["area0", "week0"] == 0 and rounded.loc["area1", "week0"] == 5
    assert rounded.loc["area0", d.TOTAL] == 5  # 6 rounded, not 0 + 0 + 0
    assert rounded.loc[d.TOTAL, d.TOTAL] == 15  # 15 exactly


@given(tables(max_value=60))
def test_nhs_digital_convention(t):
    counts = d.add_totals(t).to_numpy()
    result = d.nhs_digital(t)
    hidden = result.hidden.to_numpy()
    assert (hidden == ((counts >= 1) & (counts <= 7))).all()
    shown = result.published.to_numpy(dtype="float64", na_value=np.nan)[~hidden]
    assert (shown % 5 == 0).all()
    assert ((shown == 0) | (shown >= 10)).all()  # 8 and 9 round up to 10; nothing small is shown
    national = d.nhs_digital(t, national_row=True)
    assert (national.published.loc[d.TOTAL].to_numpy() == counts[-1]).all()


# --- differencing ----------------------------------------------------------------------------------------------


def test_differencing_two_exact_releases_reveals_a_small_number():
    before = pd.DataFrame({"people": [52, 130]}, index=["E1", "E2"]).astype("Int64")
    after = pd.DataFrame({"people": [53, 160]}, index=["E1", "E2"]).astype("Int64")
    found = d.differencing_exposures(before, after, threshold=10)
    assert found.set_index("row")["exposed"].to_dict() == {"E1": True, "E2": False}


def test_rounding_turns_the_difference_into_a_range():
    before = pd.DataFrame({"people": d.round_to_base([52, 130])}, index=["E1", "E2"])
    after = pd.DataFrame({"people": d.round_to_base([53, 160])}, index=["E1", "E2"])
    found = d.differencing_exposures(before, after, threshold=10, base=5).set_index("row")
    assert not found["exposed"].any()
    assert found.loc["E1", "change_low"] <= 1 <= found.loc["E1", "change_high"]


def test_differencing_needs_matching_releases():
    with pytest.raises(d.DisclosureError, match="same rows and columns"):
        d.differencing_exposures(table([[1]]), table([[1, 2]]))


# --- rates and percentages -------------------------------------------------------------------------------------


def _nhs_interval(value):
    """What a reader knows about a true count from one figure published under the NHS Digital rule."""
    if pd.isna(value):
        return 1, 7  # shown as *
    if value == 0:
        return 0, 0  # 1 and 2 would have been *, so a published 0 is a true 0
    low, high = d.rounding_interval(int(value), 5)
    return max(int(low), 8), int(high)  # 3 to 7 would have been *


def test_a_rate_from_the_true_counts_gives_a_hidden_count_back():
    """Why the rule exists: 3 of 23 is 13.0%. Beside a published 20 (a true 18 to 22), only 3 gives 13.0%."""
    release = d.nhs_digital(table([[3, 20]]))
    assert release.display().loc["area0"].tolist() == ["*", "20", "25"]
    b_low, b_high = _nhs_interval(release.published.loc["area0", "week1"])
    true_rate = round(3 / 23 * 100, 1)
    fits = [a for a in range(1, 8) for b in range(b_low, b_high + 1) if round(a / (a + b) * 100, 1) == true_rate]
    assert fits == [3]
    # The protected rate gives nothing: the numerator is hidden, so the rate is too.
    assert pd.isna(d.protected_rates(release, "week0").loc["area0"])


def test_rates_are_protected_numerator_over_protected_denominator():
    t = table([[3, 12, 25], [20, 4, 18], [15, 30, 40]])
    release = d.nhs_digital(t)
    rates = d.protected_rates(release, "week2")
    published = release.published
    for row in published.index:
        top, bottom = published.loc[row, "week2"], published.loc[row, d.TOTAL]
        assert rates.loc[row] == round(top / bottom * 100, 1)
    # The accuracy cost: area1 is published as 20 of 40, so its rate is 50.0% where the truth is 18 of 42 (42.9%).
    assert rates.loc["area1"] == 50.0 and round(18 / 42 * 100, 1) == 42.9
    assert rates.name == "week2 per 100 Total"
    by_row = d.protected_rates(release, "area0", axis="index", per=1000, decimals=0)
    assert by_row.loc["week1"] == round(10 / 45 * 1000) == 222  # published 10 of a column total of 45, per 1,000
    assert pd.isna(by_row.loc["week0"])  # area0's 3 is hidden


def test_a_rate_beside_a_suppressed_numerator_or_denominator_is_suppressed():
    t = table([[3, 12, 25], [20, 4, 18], [15, 30, 40]])
    for release in (d.suppress(t, threshold=10), d.nhs_digital(t)):
        hidden = release.hidden
        gaps = 0
        for numerator in t.columns:
            rates = d.protected_rates(release, numerator)
            expected_gap = hidden[numerator] | hidden[d.TOTAL]
            assert (rates.isna() == expected_gap).all(), numerator
            gaps += int(expected_gap.sum())
        assert gaps >= 2  # the example really has hidden cells
        for denominator in t.index:  # and the same the other way round, with a row as denominator
            rates = d.protected_rates(release, d.TOTAL, denominator, axis="index")
            assert (rates.isna() == (hidden.loc[denominator] | hidden.loc[d.TOTAL])).all(), denominator
    # A denominator of 0 gives no rate rather than an error or infinity.
    assert pd.isna(d.protected_rates(d.nhs_digital(table([[0, 0], [10, 20]])), "week0").loc["area0"])


def test_a_published_rate_never_reveals_a_suppressed_count():
    """Every published rate is a function of published counts: change a hidden count and no published rate
    moves, whichever rule and denominator."""
    t = table([[3, 12, 25], [20, 4, 18], [15, 30, 40]])
    release = d.suppress(t, threshold=10)
    cover = table([[4, 11, 25], [19, 5, 18], [15, 30, 40]])  # same published cells, different hidden ones
    other = d.suppress(cover, threshold=10)
    assert (other.hidden == release.hidden).all().all()
    assert other.published.equals(release.published)
    for numerator in [*t.columns, d.TOTAL]:
        assert d.protected_rates(other, numerator).equals(d.protected_rates(release, numerator))


# Every two-cell table (a, b) with a and b from 0 to 40, as one row each, under the NHS Digital rule. Rows do not
# affect each other's published values, so one release holds every table an attacker could consider.
_GRID = 41
_CANDIDATES = pd.DataFrame({"a": np.repeat(np.arange(_GRID), _GRID), "b": np.tile(np.arange(_GRID), _GRID)},
                           index=[f"t{i}" for i in range(_GRID * _GRID)])


def _what_is_published(release):
    """Per row: the published a, b, total, and the share of a and of b in the total (<NA> where hidden)."""
    frame = release.published.drop(index=d.TOTAL)
    rates = [d.protected_rates(release, col).drop(index=d.TOTAL) for col in ("a", "b")]
    return pd.concat([frame, *rates], axis=1).astype("Float64").fillna(-1)


_RELEASE = d.nhs_digital(_CANDIDATES)
_PUBLISHED = _what_is_published(_RELEASE)


def _pinned(published: pd.DataFrame, a: int, b: int) -> list[str]:
    """The counts from 1 to 7 in table (a, b) that are the only value fitting everything published for it."""
    seen = published.loc[f"t{a * _GRID + b}"]
    fits = _CANDIDATES[(published == seen).all(axis=1).to_numpy()]
    assert ((fits["a"] == a) & (fits["b"] == b)).any(), "the true table must fit what was published"
    values = {"a": (a, set(fits["a"])), "b": (b, set(fits["b"])), "total": (a + b, set(fits["a"] + fits["b"]))}
    return [name for name, (value, possible) in values.items() if 1 <= value <= 7 and len(possible) == 1]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30))
def test_no_rate_and_counts_together_give_back_a_small_count_in_a_two_cell_table(a, b):
    assert _pinned(_PUBLISHED, a, b) == []


def test_the_same_attacker_does_recover_small_counts_when_rates_use_the_true_counts():
    """The property above is not empty: given rates from the unrounded counts instead, the same search pins a
    small count in most tables that hold one (361 of the 385 with a and b up to 30)."""
    totals = _CANDIDATES["a"] + _CANDIDATES["b"]
    true_rates = [(_CANDIDATES[col] / totals * 100).round(1).rename(f"true {col}") for col in ("a", "b")]
    counts = _RELEASE.published.drop(index=d.TOTAL)
    leaky = pd.concat([counts, *true_rates], axis=1).astype("Float64").fillna(-1)
    pinned = [(a, b) for a in range(31) for b in range(31) if _pinned(leaky, a, b)]
    assert (3, 20) in pinned
    assert len(pinned) > 300


def test_even_the_nhs_rule_can_pin_a_hidden_cell_in_a_rare_row():
    """Rounding blurs each figure to a range, but ranges can meet at one point. Row 1, 8, 8 is published
    *, 10, 10 with a total of 15 (true 17): the two 10s are at least 8 each, the total at most 17, so the * is 1.
    This is why the chapter does not say rounding makes every table safe."""
    release = d.nhs_digital(table([[1, 8, 8], [20, 30, 40]]))
    row = release.published.loc["area0"]
    assert release.display().loc["area0"].tolist() == ["*", "10", "10", "15"]
    total_high = _nhs_interval(row[d.TOTAL])[1]
    others_low = _nhs_interval(row["week1"])[0] + _nhs_interval(row["week2"])[0]
    low, high = _nhs_interval(row["week0"])
    assert (max(low, 0), min(high, total_high - others_low)) == (1, 1)


def test_rounding_alone_can_be_unpicked():
    """Rounding without hiding 1 to 7: four 3s are published as 5s with a total of 10 (true 12). Each 5 stands
    for 3 to 7 and the total for at most 12, so every cell must be exactly 3."""
    rounded = d.round_counts(table([[3, 3, 3, 3]]))
    assert rounded.loc["area0"].tolist() == [5, 5, 5, 5, 10]
    low, _ = d.rounding_interval(rounded.loc["area0"].to_numpy(), 5)
    _, total_high = d.rounding_interval(rounded.loc["area0", d.TOTAL], 5)
    assert low[:-1].sum() == total_high  # the smallest the cells can be already reaches the largest total


def test_bad_rate_requests_are_refused_with_the_reason():
    t = table([[3, 12], [20, 40]])
    release = d.nhs_digital(t)
    with pytest.raises(d.DisclosureError, match="never from the true ones"):
        d.protected_rates(d.add_totals(t), "week0")
    with pytest.raises(d.DisclosureError, match=r"numerator 'week9' is not a column.*'week0', 'week1', 'Total'"):
        d.protected_rates(release, "week9")
    with pytest.raises(d.DisclosureError, match=r"denominator 'area7' is not a row"):
        d.protected_rates(release, "area0", "area7", axis="index")
    with pytest.raises(d.DisclosureError, match="axis"):
        d.protected_rates(release, "week0", axis="rows")
    with pytest.raises(d.DisclosureError, match="per must be a number above 0"):
        d.protected_rates(release, "week0", per=0)
    with pytest.raises(d.DisclosureError, match="decimals"):
        d.protected_rates(release, "week0", decimals=-1)
