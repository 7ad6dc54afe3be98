"""Tests that the synthetic errors fall unevenly, as real linkage errors do, in the configured direction, while
the overall rates stay at the configured base rates; and that most moves are local.

A sample of 60,000 people on the list (about 31,000 registrations) makes the group differences far larger than
chance, and is still generated in about a second."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthetic_data.config import TEACHING
from synthetic_data.generator import _rates_by_group, generate
from synthetic_data.pools import build_pools

SIZE = 60_000
SCALED_TAGS = {  # corruption tag in truth -> (base rate, which registrations it can apply to)
    "nhs_number_missing": (TEACHING.reg_nhs_number_missing_rate, "all"),
    "names_swapped": (TEACHING.reg_names_swapped_rate, "all"),
    "family_name_typo": (TEACHING.reg_family_name_typo_rate, "all"),
}


@pytest.fixture(scope="module")
def tables():
    return {name: t.to_pandas() for name, t in generate(TEACHING, spl_people=SIZE).items()}


@pytest.fixture(scope="module")
def registrations(tables):
    """One row per registration with its corruptions and the true person's age band, sex and region."""
    truth = tables["truth"]
    reg = truth[truth.source_table == "registrations"].reset_index(drop=True)
    people = tables["people"].set_index("person_id").loc[reg.person_id]
    age = (pd.Timestamp("2020-03-20") - pd.to_datetime(people.date_of_birth)).dt.days // 365.25
    london = tables["local_authorities"].set_index("la_code").region_name.eq("London")
    tags = reg.corruptions.fillna("")
    return pd.DataFrame({
        "age": age.to_numpy(),
        "man": (people.sex == "M").to_numpy(),
        "london": london.reindex(people.la_code).to_numpy(),
        **{tag: tags.str.contains(tag).to_numpy() for tag in
           ("nhs_number_missing", "nhs_number_mistyped", "names_swapped", "family_name_typo", "nickname",
            "stale_address")},
    })


def test_nhs_number_is_missing_far_more_often_for_ages_20_to_39_than_for_70_and_over(registrations):
    young = registrations[registrations.age.between(20, 39)]
    old = registrations[registrations.age >= 70]
    assert len(young) > 2_000 and len(old) > 10_000
    # Configured: odds x2.0 against x0.7 around a base of 0.45, so roughly 0.62 against 0.37.
    assert young.nhs_number_missing.mean() - old.nhs_number_missing.mean() > 0.15


def test_men_and_london_residents_leave_the_nhs_number_out_more_often(registrations):
    by_sex = registrations.groupby("man").nhs_number_missing.mean()
    by_area = registrations.groupby("london").nhs_number_missing.mean()
    assert by_sex[True] - by_sex[False] > 0.03
    assert by_area[True] - by_area[False] > 0.05


def test_rarer_errors_also_fall_more_on_young_adults(registrations):
    young = registrations[registrations.age.between(20, 39)]
    old = registrations[registrations.age >= 70]
    for tag in ("names_swapped", "family_name_typo", "nhs_number_mistyped"):
        assert young[tag].mean() > 1.2 * old[tag].mean(), tag


def test_overall_rates_stay_at_the_configured_base_rates(registrations):
    for tag, (base, _) in SCALED_TAGS.items():
        assert abs(registrations[tag].mean() - base) < max(0.01, 0.15 * base), tag
    provided = ~registrations.nhs_number_missing
    mistyped = registrations.nhs_number_mistyped[provided].mean()
    assert abs(mistyped - TEACHING.reg_nhs_number_mistyped_rate) < 0.006


def test_customer_short_names_keep_their_overall_rate(tables):
    pools = build_pools(TEACHING.seed)
    has_short_form = pa.compute.is_valid(pools.given.nicknames).to_numpy(zero_copy_only=False)
    names_with_short_form = set(np.asarray(pools.given.names.to_pylist(), dtype=object)[has_short_form])
    truth, people = tables["truth"], tables["people"].set_index("person_id")
    customers = truth[(truth.source_table == "supermarket_customers") & truth.person_id.notna()]
    eligible = people.loc[customers.person_id, "given_name"].isin(names_with_short_form).to_numpy()
    short = customers.corruptions.fillna("").str.contains("nickname").to_numpy()
    assert eligible.sum() > 2_000
    assert abs(short[eligible].mean() - TEACHING.customer_nickname_rate) < 0.025
    assert not short[~eligible].any()


@settings(max_examples=40, deadline=None)
@given(base=st.floats(0.005, 0.95), men=st.floats(0.5, 3), seed=st.integers(0, 1000))
def test_rescaled_rates_average_to_the_base_rate_and_follow_the_multipliers(base, men, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, 5_000)
    odds = np.array([1.0, men])
    where = rng.random(5_000) < 0.7
    rates = _rates_by_group(base, group, odds, where)
    assert np.all((rates > 0) & (rates < 1))
    assert abs(rates[where].mean() - base) < 1e-6
    if men > 1:
        assert rates[group == 1][0] >= rates[group == 0][0]


def test_most_moves_stay_in_the_same_local_authority_and_postcode_district(tables):
    people = tables["people"]
    moved = people[people.previous_uprn.notna()]
    addresses = tables["addresses"].set_index("uprn")
    old, new = addresses.loc[moved.previous_uprn], addresses.loc[moved.uprn]
    same_la = (old.la_code.to_numpy() == new.la_code.to_numpy()).mean()
    district = lambda postcode: postcode.str.split(" ").str[0].to_numpy()  # noqa: E731
    same_district = (district(old.postcode) == district(new.postcode)).mean()
    assert abs(same_la - TEACHING.moved_within_la_rate) < 0.03
    # Configured 0.8 x 0.6 = 0.48, plus the few other moves in the same authority that land there by chance.
    assert 0.45 < same_district < 0.6


@pytest.mark.parametrize("change", [
    {"error_multiplier_men": 0.0},
    {"error_multipliers_by_age": ((0, 39, 1.0), (41, 99, 1.0))},
    {"error_multipliers_by_age": ((0, 69, 1.0),)},
])
def test_config_rejects_impossible_multipliers(change):
    with pytest.raises(ValueError, match="multiplier"):
        dataclasses.replace(TEACHING, **change)
