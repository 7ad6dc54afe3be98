"""The general linker on data it was not tuned for: our own small files, other column names, other formats."""
import json

import numpy as np
import pandas as pd
import pytest

from playbook import evaluation as ev
from playbook import splink_linker as sl
from playbook.identifiers import StandardisingError

FORENAMES = ["Aled", "Beatriz", "Callum", "Deepa", "Eamon", "Fatima", "Gareth", "Hui", "Ifeoma", "Jakub", "Kerry",
             "Leon", "Mairead", "Nadia", "Olu", "Pawel", "Roisin", "Siobhan", "Tariq", "Ursula", "Wen", "Yusuf"]
SURNAMES = ["Ahmed", "Barker", "Chowdhury", "Doyle", "Edwards", "Fletcher", "Gill", "Hughes", "Ito", "Jenkins",
            "Kowalski", "Lloyd", "McCarthy", "Nguyen", "Okafor", "Price", "Rahman", "Shah", "Thomas", "Wood"]
STREETS = ["Mill Lane", "Church Road", "Station Street", "Park Avenue", "Quarry Close", "Bryn Road"]


def typo(text, rng):
    i = int(rng.integers(0, len(text)))
    return text[:i] + "qz"[int(rng.integers(0, 2))] + text[i + 1:]


def make_files(folder, n=1200, seed=7):
    """A council tax file (CSV, day-first dates) to link to a GP list (Parquet, real dates), with errors in."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({
        "first": rng.choice(FORENAMES, n), "last": rng.choice(SURNAMES, n),
        "born": pd.Timestamp("1935-01-01") + pd.to_timedelta(rng.integers(0, 25_000, n), unit="D"),
        "house": rng.integers(1, 200, n), "street": rng.choice(STREETS, n),
        "postcode": [f"CF{rng.integers(10, 40)} {rng.integers(1, 9)}{a}{b}" for a, b in
                     zip(rng.choice(list("ABDEFGHJLNPQRSTUWXYZ"), n), rng.choice(list("ABDEFGHJLNPQRSTUWXYZ"), n))],
    })
    gp = pd.DataFrame({"patient_key": [f"GP{i:06d}" for i in range(n)], "first": people["first"],
                       "last": people["last"], "birth_date": people["born"].dt.date,
                       "pcode": people["postcode"], "street": people["house"].astype(str) + " " + people["street"]})
    gp.to_parquet(folder / "gp_list.parquet", index=False)

    chosen = np.sort(rng.choice(n, size=n // 2, replace=False))
    tax = people.iloc[chosen].reset_index(drop=True)
    fore = [typo(f, rng) if rng.random() < 0.08 else f.upper() for f in tax["first"]]
    sur = [typo(s, rng) if rng.random() < 0.08 else s for s in tax["last"]]
    dob = tax["born"].dt.strftime("%d/%m/%Y").where(rng.random(len(tax)) > 0.1, None)  # some not given
    post = tax["postcode"].str.replace(" ", "").str.lower()
    moved = rng.random(len(tax)) < 0.1
    post = post.where(~moved, "cf99 9zz")
    street = (tax["house"].astype(str) + ", " + tax["street"].str.replace("Road", "Rd").str.replace("Street", "St"))
    council = pd.DataFrame({"Ref": [f"CT-{i}" for i in range(len(tax))], "Forenames": fore, "Surname": sur,
                            "DOB": dob, "Post Code": post, "Address 1": street})
    strangers = pd.DataFrame({"Ref": ["CT-X1", "CT-X2"], "Forenames": ["Zebedee", "Xanthe"],
                              "Surname": ["Quill", "Yarrow"], "DOB": ["01/01/1950", "02/02/1960"],
                              "Post Code": ["CF11 1AA", "CF12 2BB"], "Address 1": ["1 Nowhere Lane", "2 Far Road"]})
    thin = pd.DataFrame({"Ref": ["CT-T1"], "Forenames": ["Hui"], "Surname": [None], "DOB": ["not known"],
                         "Post Code": ["unknown"], "Address 1": [None]})
    pd.concat([council, strangers, thin]).to_csv(folder / "council_tax.csv", index=False)
    truth = pd.DataFrame({"left_id": council["Ref"], "right_id": [f"GP{i:06d}" for i in chosen]})
    return truth


MAP_LEFT = {"record_id": "Ref", "given_name": "Forenames", "family_name": "Surname", "date_of_birth": "DOB",
            "postcode": "Post Code", "address": "Address 1"}
MAP_RIGHT = {"record_id": "patient_key", "given_name": "first", "family_name": "last", "date_of_birth": "birth_date",
             "postcode": "pcode", "address": "street"}


def as_option(mapping):
    return ",".join(f"{role}={column}" for role, column in mapping.items())


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linker")
    truth = make_files(folder)
    code = sl.main(["--left", str(folder / "council_tax.csv"), "--right", str(folder / "gp_list.parquet"),
                    "--map-left", as_option(MAP_LEFT), "--map-right", as_option(MAP_RIGHT),
                    "--out", str(folder / "out")])
    return folder, truth, code


def test_cli_links_other_peoples_files_well(linked):
    folder, truth, code = linked
    assert code == 0
    matches = pd.read_parquet(folder / "out" / "matches.parquet")
    quality = ev.evaluate(matches, truth)
    assert quality["precision"] >= 0.98, quality
    assert quality["recall"] >= 0.95, quality
    assert not {"CT-X1", "CT-X2"} & set(matches["left_id"]), "strangers were matched"


def test_outputs_are_written_and_counts_add_up(linked):
    folder, _, _ = linked
    out = folder / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["left_records"] == 603
    assert summary["left_records"] == summary["left_unlinkable"] + summary["left_matched"] + summary["left_unmatched"]
    matches = pd.read_parquet(out / "matches.parquet")
    assert matches["left_id"].is_unique, "best match per left record means one row per left record"
    assert matches["match_probability"].between(0.9, 1).all()
    pairs = pd.read_parquet(out / "scored_pairs.parquet")
    assert {"left_id", "right_id", "match_weight", "match_probability"} <= set(pairs.columns)
    assert json.loads((out / "model.json").read_text())["link_type"] == "link_only"
    assert pd.read_csv(out / "matches.csv").shape[0] == len(matches)


def test_rows_with_too_little_to_link_are_reported_with_a_reason(linked):
    folder, _, _ = linked
    unlinkable = pd.read_csv(folder / "out" / "unlinkable.csv")
    assert list(unlinkable.columns) == ["side", "id", "row", "column", "value", "reason"], "not the one layout"
    row = unlinkable.set_index("id").loc["CT-T1"]
    assert "fewer than two usable values" in row["reason"] and "date_of_birth" in row["column"]
    assert row["side"] == "council_tax.csv" and row["row"] >= 1
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert summary["unusable_values"]["council_tax.csv.date_of_birth"] == 1
    assert summary["unusable_values"]["council_tax.csv.postcode"] == 1


def test_training_is_repeatable_with_one_thread(tmp_path):
    make_files(tmp_path, n=400, seed=3)
    left = pd.read_csv(tmp_path / "council_tax.csv", dtype=str)
    right = pd.read_parquet(tmp_path / "gp_list.parquet")
    runs = [sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=1) for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].pairs, runs[1].pairs, check_exact=True)
    weights = sl.level_weights(runs[0].linker)
    pd.testing.assert_frame_equal(weights, sl.level_weights(runs[1].linker), check_exact=True)
    # Exact agreement is evidence for a match and outright difference evidence against, in every comparison.
    by_level = weights.set_index(["comparison", "level"])["match_weight"]
    for comparison in weights["comparison"].unique():
        first = weights[weights["comparison"] == comparison].iloc[0]
        assert first["match_weight"] > 0, first
        assert by_level[(comparison, "different")] < 0, comparison


def test_roles_only_on_one_side_are_ignored_and_said_so(tmp_path):
    make_files(tmp_path, n=300, seed=5)
    left = pd.read_csv(tmp_path / "council_tax.csv", dtype=str)
    right = pd.read_parquet(tmp_path / "gp_list.parquet")
    roles_right = {k: v for k, v in MAP_RIGHT.items() if k != "address"}
    result = sl.link_frames(left, right, MAP_LEFT, roles_right, threads=1)
    assert result.summary["roles_ignored_as_on_one_side_only"] == ["address"]
    assert "address" not in result.summary["roles_compared"]


# --- Bad input: every error names the file or column and says what to do ------------------------------------


@pytest.fixture
def files(tmp_path):
    make_files(tmp_path, n=60, seed=1)
    return tmp_path


def run(files, capsys, left="council_tax.csv", right="gp_list.parquet", map_left=None, map_right=None):
    code = sl.main(["--left", str(files / left), "--right", str(files / right),
                    "--map-left", map_left or as_option(MAP_LEFT), "--map-right", map_right or as_option(MAP_RIGHT),
                    "--out", str(files / "out")])
    return code, capsys.readouterr().err


def test_missing_file(files, capsys):
    code, err = run(files, capsys, left="nope.csv")
    assert code == 2 and "nope.csv: no such file" in err


def test_unreadable_format(files, capsys):
    (files / "list.xlsx").write_bytes(b"PK\x03\x04")
    code, err = run(files, capsys, right="list.xlsx")
    assert code == 2 and "unknown format '.xlsx'" in err
    (files / "broken.parquet").write_bytes(b"this is not parquet")
    code, err = run(files, capsys, right="broken.parquet")
    assert code == 2 and "broken.parquet: cannot read it as parquet" in err


def test_empty_file_and_file_with_no_rows(files, capsys):
    (files / "empty.csv").write_text("")
    code, err = run(files, capsys, left="empty.csv")
    assert code == 2 and "empty.csv: the file is empty" in err
    (files / "header.csv").write_text(",".join(MAP_LEFT.values()) + "\n")
    code, err = run(files, capsys, left="header.csv")
    assert code == 2 and "header.csv: the file has no rows" in err


def test_role_mapped_to_a_missing_column(files, capsys):
    code, err = run(files, capsys, map_left=as_option({**MAP_LEFT, "given_name": "First Name"}))
    assert code == 2 and "council_tax.csv" in err and "given_name='First Name'" in err and "Forenames" in err


def test_too_few_roles_and_unknown_roles(files, capsys):
    code, err = run(files, capsys, map_left="record_id=Ref,family_name=Surname")
    assert code == 2 and "map at least two of" in err
    code, err = run(files, capsys, map_left=as_option({**MAP_LEFT, "shoe_size": "Ref"}))
    assert code == 2 and "unknown role shoe_size" in err
    code, err = run(files, capsys, map_left="given_name")
    assert code == 2 and "'given_name' is not role=column" in err


def test_no_shared_roles_is_refused(files):
    left = pd.read_csv(files / "council_tax.csv", dtype=str)
    right = pd.read_parquet(files / "gp_list.parquet")
    with pytest.raises(sl.LinkageInputError, match="share fewer than two roles"):
        sl.link_frames(left, right, {"given_name": "Forenames", "family_name": "Surname"},
                       {"date_of_birth": "birth_date", "postcode": "pcode", "given_name": "first"})


def test_unreadable_dates_name_the_file_and_column(files, capsys):
    frame = pd.read_csv(files / "council_tax.csv", dtype=str)
    frame["DOB"] = "sometime"
    frame.to_csv(files / "bad_dates.csv", index=False)
    code, err = run(files, capsys, left="bad_dates.csv")
    assert code == 2 and "bad_dates.csv: column 'DOB' (date_of_birth)" in err and "YYYY-MM-DD" in err


def test_repeated_or_blank_record_ids_are_refused(files):
    frame = pd.read_csv(files / "council_tax.csv", dtype=str)
    frame.loc[1, "Ref"] = frame.loc[0, "Ref"]
    with pytest.raises(sl.LinkageInputError, match="repeats 'CT-0'"):
        sl.prepare(frame, MAP_LEFT, "council_tax.csv")


def test_prepare_keeps_every_row_in_one_of_two_tables(files):
    frame = pd.read_csv(files / "council_tax.csv", dtype=str)
    linkable, unlinkable = sl.prepare(frame, MAP_LEFT, "council_tax.csv")
    assert len(linkable) + len(unlinkable) == len(frame)
    assert set(linkable["unique_id"]) | set(unlinkable["id"]) == set(frame["Ref"])
    assert StandardisingError  # the date error type is part of the public contract
