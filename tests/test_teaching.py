"""The teaching-data set-up the linkage lessons share."""
import numpy as np
import pandas as pd
import pytest

import synthetic_data
from playbook import evaluation, linkage, teaching


@pytest.fixture(scope="module")
def inputs():
    return teaching.linkage_inputs()


def test_linkage_inputs_standardise_every_record(inputs):
    assert len(inputs.left) == len(inputs.registrations)
    assert len(inputs.right) == len(inputs.spl)
    assert inputs.left.equals(linkage.standardise_for_linkage(inputs.registrations, "registration_id"))
    assert inputs.right.equals(linkage.standardise_for_linkage(inputs.spl, "spl_row_id"))


def test_answers_hold_every_registration_once(inputs):
    assert inputs.answers.index.is_unique
    assert set(inputs.answers.index) == set(inputs.left["registration_id"])


def test_true_links_are_the_registrations_on_the_list(inputs):
    links = inputs.true_links
    assert list(links.columns) == ["left_id", "right_id"]
    assert links["right_id"].notna().all()
    assert len(links) == inputs.answers["spl_row_id"].notna().sum()
    # Marked against themselves, the true links are all found: nothing false, nothing missed.
    perfect = evaluation.evaluate(links, links)
    assert (perfect["false_matches"], perfect["missed_matches"], perfect["recall"]) == (0, 0, 1.0)


def test_true_links_need_a_list_row():
    answers = pd.DataFrame({"spl_row_id": pd.array([5, None], dtype="Int64")}, index=["r1", "r2"])
    assert teaching.true_links(answers).to_dict("records") == [{"left_id": "r1", "right_id": 5}]


def test_registrant_groups_cover_every_registration(inputs):
    groups = teaching.registrant_groups(inputs.answers)
    assert groups.index.equals(inputs.answers.index)
    assert list(groups.columns) == ["age band", "sex", "region"]
    assert set(groups["age band"].dropna()) <= {"0-29", "30-49", "50-69", "70-79", "80+"}
    assert groups["age band"].notna().all() and groups["region"].notna().all()
    people = synthetic_data.load("people").set_index("person_id")
    first = inputs.answers.index[0]
    assert groups.loc[first, "sex"] == people.loc[inputs.answers.loc[first, "person_id"], "sex"]


def test_glue_writes_what_myst_nb_glue_writes(monkeypatch):
    import IPython.display
    from myst_nb import glue as myst_glue

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda data, **kwargs: shown.append((data, kwargs)))
    import myst_nb.ext.glue as myst_glue_module

    monkeypatch.setattr(myst_glue_module, "ipy_display", lambda data, **kwargs: shown.append((data, kwargs)))
    teaching.glue("l06_found", 3240)
    myst_glue("l06_found", 3240, display=False)
    assert shown[0] == shown[1]


@pytest.mark.parametrize("value, text", [(np.int64(3240), "3240"), (np.float64(0.5), "0.5"), ("0-29", "'0-29'")])
def test_glue_stores_plain_python_values(value, text):
    data, metadata = teaching.glue_output("l07_x", value)
    assert data == {teaching.GLUE_PREFIX + "text/plain": text}
    assert metadata["scrapbook"]["name"] == "l07_x"


def test_glue_refuses_a_name_without_its_lesson_and_a_table():
    with pytest.raises(ValueError, match="lesson number"):
        teaching.glue_output("missed", 54)
    with pytest.raises(TypeError, match="number or a string"):
        teaching.glue_output("l06_table", pd.DataFrame())


def test_service_and_extracts_are_lesson_03s():
    service, extracts = teaching.service_and_extracts()
    assert len(service) == len(synthetic_data.load("spl"))
    assert "uprn" in service.columns
    assert set(extracts) == {"local_authorities", "dwp_contact_centre", "supermarkets"}
    council = extracts["local_authorities"]
    assert council.rows_out > 0
    assert council.data.index.isin(service.index).all()
    counts = service["local_authority_code"].value_counts()
    assert council.rows_out <= counts.max()
    for extract in extracts.values():
        assert extract.rows_out == len(extract.data)


def test_region_and_week_places_every_registration_once():
    registrations = synthetic_data.load("registrations")
    placed = teaching.region_and_week(registrations)
    assert len(placed) == len(registrations) and placed.index.equals(registrations.index)
    regions = set(synthetic_data.load("local_authorities")["region_name"])
    assert set(placed["region"].dropna()) <= regions
    weeks = pd.to_datetime(placed["week"])
    assert (weeks.dt.day_of_week == 0).all(), "every week starts on a Monday"
    assert (weeks <= registrations["registered_on"]).all()
    assert (registrations["registered_on"] - weeks < pd.Timedelta(days=7)).all()


def test_a_postcode_the_register_lacks_keeps_its_row_with_no_region():
    one = synthetic_data.load("registrations").head(2).assign(postcode=["ZZ99 9ZZ", None])
    placed = teaching.region_and_week(one)
    assert len(placed) == 2 and placed["region"].isna().all()


def test_list_on_a_day_holds_who_was_added_by_then_and_not_known_dead():
    source = pd.DataFrame({
        "nhs_number": ["9990000003", "9990000001", "9990000002", "9990000004"],
        "date_added": pd.to_datetime(["2020-04-01", "2020-04-01", "2020-04-20", "2020-04-01"]),
        "date_of_death": pd.to_datetime([None, "2020-04-10", None, "2020-04-15"]),
        "postcode": ["A", "B", "C", "D"],
    })
    day = teaching.list_on("2020-04-12", source, columns=["nhs_number", "postcode"])
    # 0001 died before the day; 0002 was added after it; 0004's death was not yet known, so it is blank.
    assert day["nhs_number"].tolist() == ["9990000003", "9990000004"]
    assert day["date_of_death"].isna().all()
    assert list(day.columns) == ["nhs_number", "postcode", "date_of_death"]


def test_council_columns_follow_the_specification():
    from playbook import purpose

    spec = purpose.load_builtin("shielding")
    columns = teaching.council_columns(spec)
    assert "nhs_number" in columns and len(columns) == len(set(columns))
    assert teaching.list_on("2020-04-12").columns.tolist() == [*columns, "date_of_death"]


def test_list_with_current_addresses_moves_only_the_named_people_to_their_current_home():
    spl = pd.DataFrame({
        "spl_row_id": [1, 2, 3],
        "nhs_number": ["9990000001", "9990000002", "9990000003"],
        "address_line_1": ["1 Old Road", "2 Stay Street", "3 Old Lane"],
        "address_line_2": [None, None, None],
        "town": ["Leeds", "Leeds", "Leeds"],
        "postcode": ["LS1 1AA", "LS1 1AB", "LS1 1AC"],
        "la_code": ["E08000035"] * 3,
    })
    people = pd.DataFrame({"nhs_number": ["9990000001", "9990000002", "9990000003"], "uprn": [10, 20, 30]})
    register = pd.DataFrame({
        "uprn": [10, 20, 30],
        "address_line_1": ["1 New Road", "2 Stay Street", "3 New Lane"],
        "address_line_2": ["Flat A", None, None],
        "town": ["Birmingham", "Leeds", "Leeds"],
        "postcode": ["B1 1AA", "LS1 1AB", "LS2 2AC"],
        "la_code": ["E08000025", "E08000035", "E08000035"],
    })
    corrected = teaching.list_with_current_addresses(spl, ["9990000001"], people, register)
    assert list(corrected.columns) == list(spl.columns)
    assert corrected.loc[0, ["address_line_1", "address_line_2", "town", "postcode", "la_code"]].tolist() == [
        "1 New Road", "Flat A", "Birmingham", "B1 1AA", "E08000025"]
    # Nobody else moves, even person 3, whose register address differs too: only the named are corrected.
    pd.testing.assert_frame_equal(corrected.iloc[1:], spl.iloc[1:])
    assert spl.loc[0, "postcode"] == "LS1 1AA", "the list passed in is left as it was"


def test_list_with_current_addresses_corrects_the_teaching_lists_former_addresses():
    spl, people, register = (synthetic_data.load(name) for name in ("spl", "people", "addresses"))
    truth = synthetic_data.load("truth")
    stale_ids = truth.loc[(truth["source_table"] == "spl")
                          & truth["corruptions"].fillna("").str.contains("stale_address"), "source_id"]
    stale = spl.loc[spl["spl_row_id"].astype("string").isin(stale_ids), "nhs_number"]
    corrected = teaching.list_with_current_addresses(spl, stale)
    assert corrected.shape == spl.shape and corrected["nhs_number"].equals(spl["nhs_number"])
    before, after = spl.astype("string"), corrected.astype("string")
    changed = ((before != after).fillna(False) | (before.isna() != after.isna())).any(axis=1)
    assert changed.any() and set(corrected.loc[changed, "nhs_number"]) <= set(stale)
    homes = people.merge(register, on="uprn").set_index("nhs_number")["postcode"]
    assert (corrected.loc[changed, "postcode"].to_numpy() == homes.loc[corrected.loc[changed, "nhs_number"]]).all()
