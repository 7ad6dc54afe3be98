"""The general linker on errors it was not built around: blocking that survives any one bad field, term
frequencies, postal codes from other countries, addresses in parts, loud warnings and the clerical review."""
import json
import warnings

import pandas as pd
import pytest

from playbook import clerical_review as cr
from playbook import splink_linker as sl
from test_splink_linker import MAP_LEFT, MAP_RIGHT, as_option, make_files

ALL = ("given_name", "family_name", "date_of_birth", "postcode", "address")
PERSON = {"unique_id": "L1", "given_name": "KATHERINE", "family_name": "O BRIEN", "date_of_birth": "1951-03-07",
          "postcode": "CF10 1AA", "address": "12 MILL LANE"}
# One kind of error at a time, each of which some real data sets are full of.
ERRORS = {
    "typo at the start of the family name": {"family_name": "P BRIEN"},
    "spelling variant of the given name": {"given_name": "CATHERINE"},
    "married name": {"family_name": "HUGHES"},
    "date of birth missing": {"date_of_birth": None},
    "date of birth wrong": {"date_of_birth": "1949-11-23"},
    "day and month swapped": {"date_of_birth": "1951-07-03"},
    "moved house": {"postcode": "LL57 2DG", "address": "3 BRYN ROAD"},
    "names in each other's boxes": {"given_name": "O BRIEN", "family_name": "KATHERINE"},
    "address missing, postcode typo": {"address": None, "postcode": "CF10 1AB"},
    "given name missing, new home": {"given_name": None, "postcode": "LL57 2DG", "address": "3 BRYN ROAD"},
}


def keyed(records):
    frame = pd.DataFrame(records).astype("string")
    return pd.concat([frame, sl.blocking_keys(frame)], axis=1)


@pytest.mark.parametrize("error", ERRORS)
def test_a_true_pair_survives_blocking_whatever_single_field_is_wrong(error):
    right = keyed([{**PERSON, "unique_id": "R1"}])
    left = keyed([{**PERSON, **ERRORS[error]}])
    truth = pd.DataFrame({"left_id": ["L1"], "right_id": ["R1"]})
    assert sl.pairs_completeness(left, right, truth, ALL) == 1.0, error


def test_blocking_does_not_pair_strangers():
    stranger = {"unique_id": "R2", "given_name": "YUSUF", "family_name": "AHMED", "date_of_birth": "1990-01-01",
                "postcode": "NE1 4XF", "address": "88 QUAYSIDE"}
    truth = pd.DataFrame({"left_id": ["L1"], "right_id": ["R2"]})
    assert sl.pairs_completeness(keyed([PERSON]), keyed([stranger]), truth, ALL) == 0.0


@pytest.mark.parametrize("roles", [ALL, ("given_name", "family_name", "date_of_birth"),
                                   ("family_name", "postal_code", "address"), ("identifier", "date_of_birth"),
                                   ("given_name", "address")])
def test_every_rule_runs_on_just_the_columns_its_roles_provide(roles):
    """Two copies of one record, holding only the mapped roles: every rule is valid SQL on them and one passes."""
    record = {"unique_id": "L1", "identifier": "AB123", "postal_code": "75010", **PERSON}
    kept = {k: v for k, v in record.items() if k in roles or k == "unique_id"}
    left, right = keyed([kept]), keyed([{**kept, "unique_id": "R1"}])
    truth = pd.DataFrame({"left_id": ["L1"], "right_id": ["R1"]})
    assert sl.pairs_completeness(left, right, truth, roles) == 1.0


def test_sounds_and_house_numbers():
    keys = sl.blocking_keys(pd.DataFrame({"given_name": ["KATHERINE", "CATHERINE", None],
                                          "family_name": ["SMITH", "SMYTH", "JONES"],
                                          "address": ["FLAT 2 10A HIGH STREET", "MILL LANE", None],
                                          "postcode": ["CF10 1AA", None, "SW1A 1AA"]}, dtype="string"))
    assert keys.loc[0, "given_name_sound"] == keys.loc[1, "given_name_sound"]
    assert keys.loc[0, "family_name_sound"] == keys.loc[1, "family_name_sound"]
    assert pd.isna(keys.loc[2, "given_name_sound"])
    assert keys.loc[0, "house_number"] == "2" and pd.isna(keys.loc[1, "house_number"])
    assert keys["home_area"].tolist()[::2] == ["CF10", "SW1A"]


@pytest.fixture(scope="module")
def common_names(tmp_path_factory):
    """The test files with a third of the people renamed Jones: Jones is common, every other surname rare."""
    folder = tmp_path_factory.mktemp("frequencies")
    truth = make_files(folder, n=900, seed=11)
    left = pd.read_csv(folder / "council_tax.csv", dtype=str)
    right = pd.read_parquet(folder / "gp_list.parquet")
    right["last"] = right["last"].where(right.index % 3 != 0, "Jones")
    right["last"] = right["last"].where(right.index % 3 == 0, right["last"] + right.index.astype(str).str[-2:]
                                        .map(lambda d: "abcdefghij"[int(d[0])] + "abcdefghij"[int(d[-1])]))
    wanted = truth.set_index("left_id")["right_id"]
    family = right.set_index("patient_key")["last"]
    left["Surname"] = left["Ref"].map(wanted).map(family).fillna(left["Surname"])
    return sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=1)


def test_agreeing_on_a_common_name_counts_for_less_than_on_a_rare_one(common_names):
    scored = common_names.linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    exact = scored[scored["family_name_l"] == scored["family_name_r"]]
    adjustment = exact.groupby(exact["family_name_l"] == "JONES")["mw_tf_adj_family_name"].mean()
    assert adjustment[True] < -1, "agreeing on a name a third of people share should lose weight"
    assert adjustment[False] > 1, "agreeing on a rare name should gain weight"


def test_a_foreign_postal_code_is_compared_as_a_plain_code(tmp_path):
    make_files(tmp_path, n=400, seed=4)
    left = pd.read_csv(tmp_path / "council_tax.csv", dtype=str)
    right = pd.read_parquet(tmp_path / "gp_list.parquet")
    left["Post Code"] = left["Post Code"].str.upper().str.replace(" ", "").str.replace("CF", "750")  # "75010AB"
    right["pcode"] = right["pcode"].str.replace(" ", "").str.replace("CF", "750")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        as_uk = sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=1)
    message = " ".join(str(w.message) for w in caught)
    assert "postcode dropped from the comparison" in message and "for example" in message
    assert "postal_code" in message, "the warning must say how to compare a foreign code"
    assert "postcode" in as_uk.summary["roles_dropped_as_unusable"]
    roles = [{("postal_code" if k == "postcode" else k): v for k, v in m.items()} for m in (MAP_LEFT, MAP_RIGHT)]
    as_code = sl.link_frames(left, right, *roles, threads=1)
    assert "postal_code" in as_code.summary["roles_compared"] and not as_code.summary["roles_dropped_as_unusable"]


def test_a_mostly_blank_column_is_kept_with_a_warning(tmp_path):
    make_files(tmp_path, n=400, seed=6)
    left = pd.read_csv(tmp_path / "council_tax.csv", dtype=str)
    right = pd.read_parquet(tmp_path / "gp_list.parquet")
    left.loc[left.index % 4 != 0, "Address 1"] = None
    with pytest.warns(sl.LinkageWarning, match=r"'Address 1' \(address\) is blank in \d+ of"):
        result = sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=1)
    assert "address" in result.summary["roles_compared"]
    assert list(result.summary["roles_mostly_blank"]) == ["left.address"]


def test_a_role_can_join_several_columns(tmp_path):
    assert sl.parse_mapping("address=house+street,given_name=first", "--map-left") == {
        "address": ["house", "street"], "given_name": "first"}
    with pytest.raises(sl.LinkageInputError, match="empty column name around"):
        sl.parse_mapping("address=house+", "--map-left")
    frame = pd.DataFrame({"house": ["12", None, " 3 "], "street": ["Mill Lane", "Bryn Road", None]})
    assert sl.role_values(frame, ["house", "street"]).tolist() == ["12 Mill Lane", "Bryn Road", "3"]
    with pytest.raises(sl.LinkageInputError, match="record_id is mapped to several columns"):
        sl.check_roles({"record_id": ["a", "b"], "given_name": "c", "family_name": "d"}, "abcd", "x.csv")


# --- Clerical review ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    truth = make_files(folder, n=1200, seed=7)
    code = sl.main(["--left", str(folder / "council_tax.csv"), "--right", str(folder / "gp_list.parquet"),
                    "--map-left", as_option(MAP_LEFT), "--map-right", as_option(MAP_RIGHT),
                    "--out", str(folder / "out"), "--threads", "1", "--quiet"])
    assert code == 0
    return folder, truth


def test_the_review_file_holds_the_pairs_near_the_threshold_side_by_side(linked):
    folder, _ = linked
    review = pd.read_csv(folder / "out" / "review.csv", dtype=str, keep_default_na=False)
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert len(review) == summary["review_pairs"] > 0
    probability = review["match_probability"].astype(float)
    assert probability.between(*cr.REVIEW_BAND).all()
    assert {"family_name (left)", "family_name (right)", "evidence for", "evidence against", "decision",
            "linker_chose"} <= set(review.columns)
    assert (review["decision"] == "").all()
    # Competing candidates for one left record sit together.
    firsts = review["left_id"].ne(review["left_id"].shift()).cumsum()
    assert firsts.groupby(review["left_id"]).nunique().max() == 1
    # The evidence names real comparisons and levels, with signed weights.
    evidence = (review["evidence for"] + "; " + review["evidence against"]).str.split("; ").explode()
    evidence = evidence[evidence != ""]
    assert evidence.str.fullmatch(r"(given_name|family_name|date_of_birth|home): .+ \([+-]\d+\.\d\)").all()
    pairs = pd.read_parquet(folder / "out" / "scored_pairs.parquet")
    chosen = review[review["linker_chose"] == "yes"]
    assert (chosen["match_probability"].astype(float) >= summary["threshold"]).all()
    assert set(zip(review["left_id"], review["right_id"])) <= set(zip(pairs["left_id"], pairs["right_id"]))


def test_decisions_change_the_final_matches(linked, tmp_path):
    folder, truth = linked
    out = folder / "out"
    review = pd.read_csv(out / "review.csv", dtype=str, keep_default_na=False)
    true = set(zip(truth["left_id"], truth["right_id"]))
    is_true = [(a, b) in true for a, b in zip(review["left_id"], review["right_id"])]
    review["decision"] = ["match" if t else "not a match" for t in is_true]
    review.to_csv(tmp_path / "decided.csv", index=False)
    assert cr.main(["--linked", str(out), "--decisions", str(tmp_path / "decided.csv"),
                    "--out", str(tmp_path / "final.csv")]) == 0
    final = pd.read_csv(tmp_path / "final.csv", dtype=str)
    finals = set(zip(final["left_id"], final["right_id"]))
    accepted = {p for p, t in zip(zip(review["left_id"], review["right_id"]), is_true) if t}
    rejected = {p for p, t in zip(zip(review["left_id"], review["right_id"]), is_true) if not t}
    assert accepted <= finals and not rejected & finals
    assert final["left_id"].is_unique
    assert set(final.loc[final["decided_by"] == "reviewer", "left_id"]) == {a for a, _ in accepted}
    # A second run refuses to overwrite the result unless asked.
    assert cr.main(["--linked", str(out), "--decisions", str(tmp_path / "decided.csv"),
                    "--out", str(tmp_path / "final.csv")]) == 2


@pytest.mark.parametrize("change, message", [
    (lambda r: r.assign(decision=["perhaps"] + [""] * (len(r) - 1)), "row 2: decision 'perhaps' is not"),
    (lambda r: pd.concat([r, r.head(1).assign(right_id="NOT-A-RECORD", decision="match")]),
     "not in this linkage's scored pairs"),
    (lambda r: r.drop(columns="decision"), "no column decision"),
])
def test_bad_decisions_are_refused_with_the_row(linked, tmp_path, capsys, change, message):
    folder, _ = linked
    review = pd.read_csv(folder / "out" / "review.csv", dtype=str, keep_default_na=False)
    change(review).to_csv(tmp_path / "bad.csv", index=False)
    code = cr.main(["--linked", str(folder / "out"), "--decisions", str(tmp_path / "bad.csv"),
                    "--out", str(tmp_path / "final.csv")])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "final.csv").exists()


def test_two_matches_for_one_left_record_are_refused(tmp_path):
    pairs = pd.DataFrame({"left_id": ["L1", "L1"], "right_id": ["R1", "R2"], "match_probability": [0.5, 0.6]})
    decisions = pd.DataFrame({"left_id": ["L1", "L1"], "right_id": ["R1", "R2"], "decision": ["match", "yes"]})
    with pytest.raises(cr.ReviewError, match="L1 is marked 'match' with more than one"):
        decisions.to_csv(tmp_path / "decisions.csv", index=False)
        cr.read_decisions(tmp_path / "decisions.csv", pairs)


def test_a_rejected_best_pair_falls_back_to_the_next_candidate():
    pairs = pd.DataFrame({"left_id": ["L1", "L1", "L2"], "right_id": ["R1", "R2", "R3"],
                          "match_weight": [9.0, 5.0, 6.0], "match_probability": [0.99, 0.95, 0.5]})
    decisions = pd.DataFrame({"left_id": ["L1", "L2"], "right_id": ["R1", "R3"], "accepted": [False, True]})
    final = cr.apply_decisions(pairs, decisions, threshold=0.9)
    assert final[["left_id", "right_id", "decided_by"]].values.tolist() == [["L1", "R2", "model"],
                                                                            ["L2", "R3", "reviewer"]]



@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    """600 council records against 1,200 on the GP list: one random pair in 1,200 is a true match."""
    folder = tmp_path_factory.mktemp("prior")
    truth = make_files(folder, n=1200, seed=23)
    left = pd.read_csv(folder / "council_tax.csv", dtype=str)
    right = pd.read_parquet(folder / "gp_list.parquet")
    return sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=1), truth


def test_the_prior_is_estimated_from_the_data_not_assumed(small_files):
    """Exact agreement on both names and the date of birth holds for only about 3 in 4 matches here (typos, blank
    dates), not the 80% the first estimate assumes; the refined prior lands near the true share of matching pairs."""
    result, truth = small_files
    true_rate = len(truth) / (result.summary["left_records"] * result.summary["right_records"])
    prior = result.linker._settings_obj._probability_two_random_records_match
    assert prior == pytest.approx(true_rate, rel=0.1)


def test_u_counts_only_pairs_of_different_people(small_files):
    """u for an exact date of birth is the chance two *different* people share one. Random pairs of small files
    include true matches (who nearly always agree), so uncorrected u would sit far above that chance."""
    result, truth = small_files
    left, right = result.records["left"], result.records["right"]
    births = left["date_of_birth"].value_counts().to_frame("l").join(right["date_of_birth"].value_counts()
                                                                      .to_frame("r"), how="inner")
    agreeing = (births["l"] * births["r"]).sum()
    same = truth.astype(str).merge(left[["unique_id", "date_of_birth"]], left_on="left_id", right_on="unique_id") \
        .merge(right[["unique_id", "date_of_birth"]], left_on="right_id", right_on="unique_id", suffixes=("_l", "_r"))
    true_agreeing = (same["date_of_birth_l"] == same["date_of_birth_r"]).sum()
    chance = (agreeing - true_agreeing) / (len(left) * len(right) - len(truth))
    weights = sl.level_weights(result.linker).set_index(["comparison", "level"])
    u = weights.loc[("date_of_birth", "exact"), "u"]
    assert chance / 3 < u < chance * 3, (u, chance)
    assert true_agreeing / (len(left) * len(right)) > 3 * chance, "the files no longer show the effect"


def test_wide_rules_are_used_only_where_they_score_few_pairs():
    """Family name and postcode district alone find people whose every other detail changed; in a district of
    Smiths it would score every pair, so it is left out there."""
    wide = "l.family_name_sound = r.family_name_sound AND l.home_area = r.home_area"
    varied = keyed([{**PERSON, "unique_id": f"L{i}", "family_name": name}
                    for i, name in enumerate(["O BRIEN", "SMITH", "PATEL", "JONES", "WU"])])
    assert wide in sl.blocking_rules(ALL, varied, varied)
    smiths = keyed([{**PERSON, "unique_id": f"L{i}", "family_name": "SMITH"} for i in range(50)])
    assert wide not in sl.blocking_rules(ALL, smiths, smiths)
    assert wide not in sl.blocking_rules(ALL)
