"""Bad and hostile input for the general linker (``python -m playbook.splink_linker``), issue 11.

Each test is one thing a careless user or a hostile file does. The command line must answer with one line on
stderr and exit code 2, before any training; the Python API raises :class:`LinkageInputError` (a ValueError).
Writing is all or nothing: an interrupted or failed run leaves the previous output whole and no temporary folder.
Most tests replace training with a stub that fails the test if called, so they are fast and prove the checks come
first.
"""
import dataclasses
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from playbook import splink_linker as sl
from test_splink_linker import MAP_LEFT, MAP_RIGHT, as_option, make_files


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The smallest test files (about 30 left records), and one real link of them to reuse without training."""
    folder = tmp_path_factory.mktemp("bad_input_linker")
    make_files(folder, n=60, seed=1)
    left = pd.read_csv(folder / "council_tax.csv", dtype=str)
    right = pd.read_parquet(folder / "gp_list.parquet")
    return folder, sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=1)


@pytest.fixture
def files(data, tmp_path):
    for name in ("council_tax.csv", "gp_list.parquet"):
        (tmp_path / name).write_bytes((data[0] / name).read_bytes())
    return tmp_path


@pytest.fixture
def no_training(monkeypatch):
    """Checks must come before the expensive part: training fails the test."""
    def trained(*args, **kwargs):
        raise AssertionError("the linker started training before refusing bad input")
    monkeypatch.setattr(sl, "train_and_predict", trained)


@pytest.fixture
def canned(data, monkeypatch):
    """``link_files`` without training: ``link_frames`` returns the module's real result (or ``canned.result``)."""
    class Canned:
        result = data[1]
    monkeypatch.setattr(sl, "link_frames", lambda *args, **kwargs: Canned.result)
    return Canned


def cli(files, capsys, *extra, left="council_tax.csv", right="gp_list.parquet", map_left=None, map_right=None,
        out=None):
    code = sl.main(["--left", str(files / left), "--right", str(files / right),
                    "--map-left", map_left or as_option(MAP_LEFT), "--map-right", map_right or as_option(MAP_RIGHT),
                    "--out", str(out or files / "out"), "--quiet", *extra])
    err = capsys.readouterr().err
    return code, err


def refused(code, err, *words):
    """Exit code 2 and one clear line, naming what is wrong."""
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("error: "), err
    for word in words:
        assert word in err, (word, err)


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(out: Path) -> list:
    return [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


# --- Finding 2: outputs written all at once, never over someone else's files ---------------------------------


WRITES = [(pd.DataFrame, "to_parquet"), (pd.DataFrame, "to_csv"), (Path, "write_text")]


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("stop_at", range(1, 7))
def test_interrupted_write_leaves_previous_output_whole(files, canned, monkeypatch, stop_at, error):
    out = files / "out"
    sl.link_files(files / "council_tax.csv", files / "gp_list.parquet", MAP_LEFT, MAP_RIGHT, out)
    before = snapshot(out)
    first = canned.result
    canned.result = dataclasses.replace(first, matches=first.matches.iloc[:-1],
                                        summary={**first.summary, "left_matched": len(first.matches) - 1})
    calls = []

    def breaking(original):
        def write(target, *args, **kwargs):
            calls.append(target)
            if len(calls) == stop_at:  # half-written file, then the interruption
                path = target if isinstance(target, Path) else Path(args[0])
                path.write_bytes(b"")
                raise error("interrupted")
            return original(target, *args, **kwargs)
        return write

    for owner, name in WRITES:
        monkeypatch.setattr(owner, name, breaking(getattr(owner, name)))
    with pytest.raises((KeyboardInterrupt, OSError, sl.LinkageInputError)):
        sl.link_files(files / "council_tax.csv", files / "gp_list.parquet", MAP_LEFT, MAP_RIGHT, out)
    assert len(calls) == stop_at, "the run did not reach the interruption point"
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_rerun_replaces_its_own_output_whole(files, canned):
    out = files / "out"
    for threshold in (0.9, 0.95):
        sl.link_files(files / "council_tax.csv", files / "gp_list.parquet", MAP_LEFT, MAP_RIGHT, out,
                      threshold=threshold)
    assert {"matches.parquet", "matches.csv", "summary.json", "model.json", "unlinkable.csv",
            "scored_pairs.parquet"} <= set(os.listdir(out))
    assert leftovers(out) == []


def test_folder_the_linker_did_not_write_is_refused(files, canned, capsys):
    out = files / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(sl.LinkageInputError, match="notes.txt.*--overwrite"):
        sl.link_files(files / "council_tax.csv", files / "gp_list.parquet", MAP_LEFT, MAP_RIGHT, out)
    refused(*cli(files, capsys), "notes.txt", "--overwrite")
    assert os.listdir(out) == ["notes.txt"] and leftovers(out) == []
    assert cli(files, capsys, "--overwrite")[0] == 0
    assert "notes.txt" not in os.listdir(out)


def test_files_added_to_a_previous_output_are_not_overwritten(files, canned, capsys):
    out = files / "out"
    assert cli(files, capsys)[0] == 0
    (out / "my_review.xlsx").write_text("hours of work")
    refused(*cli(files, capsys), "my_review.xlsx")
    assert (out / "my_review.xlsx").read_text() == "hours of work"


def test_an_empty_existing_folder_is_used(files, canned, capsys):
    (files / "out").mkdir()
    assert cli(files, capsys)[0] == 0
    assert (files / "out" / "matches.parquet").is_file()


def test_output_folder_holding_the_inputs_is_refused_even_with_overwrite(files, no_training, capsys):
    refused(*cli(files, capsys, "--overwrite", out=files), "council_tax.csv", "inside")
    assert (files / "council_tax.csv").is_file()


# --- Finding 8: temporary folders never outlive the run that made them -----------------------------------------


def test_stale_temporary_folders_are_removed_and_live_ones_kept(files, canned):
    out = files / "out"
    stale = files / ".out.linker-999999999-x1.partial"  # a process id that cannot be running
    live = files / f".out.linker-{os.getppid()}-x2.partial"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "matches.csv").write_text("personal data")
    sl.link_files(files / "council_tax.csv", files / "gp_list.parquet", MAP_LEFT, MAP_RIGHT, out)
    assert not stale.exists()
    assert live.exists()


def test_failed_training_leaves_no_temporary_folder(files, monkeypatch, capsys):
    def fails(*args, **kwargs):
        raise ValueError("math domain error")  # what Splink raises when the data cannot train the model
    monkeypatch.setattr(sl, "train_and_predict", fails)
    refused(*cli(files, capsys), "could not be trained", "math domain error")
    assert leftovers(files / "out") == [] and not (files / "out").exists()


def test_interrupt_on_the_command_line_is_one_line(files, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(sl, "train_and_predict", interrupted)
    try:
        code, err = cli(files, capsys)
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped as a traceback")
    assert code == 130 and len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert leftovers(files / "out") == []


# --- Finding 7: input checks before training ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["5", "nan", "inf", "-inf", "-1", "0", "1.0001"])
def test_threshold_must_be_a_match_probability(files, no_training, capsys, value):
    refused(*cli(files, capsys, f"--threshold={value}"), "threshold", "between")


@given(st.one_of(st.floats().filter(lambda x: not 0.01 <= x <= 1), st.text(max_size=200), st.booleans()))
def test_api_threshold_outside_probabilities_is_refused(value):
    with pytest.raises(sl.LinkageInputError, match="threshold") as caught:
        sl.check_options(threshold=value)
    assert len(str(caught.value)) < 200, "long values must be truncated"


@pytest.mark.parametrize("value", ["-1", "0"])
def test_threads_must_be_a_positive_whole_number(files, no_training, capsys, value):
    refused(*cli(files, capsys, f"--threads={value}"), "threads", value)


def test_api_threads_must_be_a_positive_whole_number(data, no_training):
    left = pd.read_csv(data[0] / "council_tax.csv", dtype=str)
    right = pd.read_parquet(data[0] / "gp_list.parquet")
    for threads in (-1, 0, 1.5, "4", True):
        with pytest.raises(sl.LinkageInputError, match="threads"):
            sl.link_frames(left, right, MAP_LEFT, MAP_RIGHT, threads=threads)


def test_one_column_mapped_to_two_roles_is_refused(files, no_training, capsys):
    refused(*cli(files, capsys, map_left=as_option({**MAP_LEFT, "given_name": "Surname"})),
            "council_tax.csv", "'Surname'", "given_name", "family_name")
    sl.check_roles({**MAP_LEFT, "identifier": "Ref"}, ["Ref", *MAP_LEFT.values()], "ok.csv")  # id compared too


def test_too_few_rows_to_train_is_refused_with_the_number(files, no_training, capsys):
    pd.read_csv(files / "council_tax.csv", dtype=str).head(3).to_csv(files / "three.csv", index=False)
    refused(*cli(files, capsys, left="three.csv"), "three.csv", "3", str(sl.MIN_RECORDS))
    pd.read_parquet(files / "gp_list.parquet").head(1).to_parquet(files / "one.parquet")
    refused(*cli(files, capsys, right="one.parquet"), "one.parquet", "1 ")


@pytest.mark.parametrize("role", ["date_of_birth", "given_name", "family_name"])
def test_role_blank_on_a_whole_side_is_refused(files, no_training, capsys, role):
    frame = pd.read_csv(files / "council_tax.csv", dtype=str)
    frame[MAP_LEFT[role]] = None
    frame.to_csv(files / "blank.csv", index=False)
    refused(*cli(files, capsys, left="blank.csv"), "blank.csv", role, repr(MAP_LEFT[role]), "blank")


def test_names_alone_cannot_train_and_are_refused(files, no_training, capsys):
    refused(*cli(files, capsys, map_left="given_name=Forenames,family_name=Surname",
                 map_right="given_name=first,family_name=last"), "date_of_birth")


def test_out_that_is_a_file_is_refused_before_training(files, no_training, capsys):
    (files / "linked.csv").write_text("not a folder")
    refused(*cli(files, capsys, out=files / "linked.csv"), "linked.csv", "file")
    refused(*cli(files, capsys, out=files / "linked.csv" / "out"), "linked.csv", "file")
    assert (files / "linked.csv").read_text() == "not a folder"


def test_out_in_a_folder_that_cannot_be_written_is_refused_before_training(files, no_training, capsys,
                                                                            monkeypatch):
    locked = files / "locked"
    locked.mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != locked and access(path, mode, **kw))
    refused(*cli(files, capsys, out=locked / "out"), str(locked), "write")


# --- Finding 7 and 3: a role unusable in most rows is dropped, loudly ------------------------------------------


def test_role_unusable_in_most_rows_is_dropped_with_a_warning_and_recorded(files, capsys):
    frame = pd.read_csv(files / "council_tax.csv", dtype=str)
    frame["Post Code"] = "75001"  # Paris, not a UK postcode
    frame.to_csv(files / "paris.csv", index=False)
    code, err = cli(files, capsys, left="paris.csv")
    assert code == 0, err
    assert err.startswith("warning: ") and "postcode" in err and "'Post Code'" in err and "paris.csv" in err, err
    summary = json.loads((files / "out" / "summary.json").read_text())
    assert "postcode" not in summary["roles_compared"]
    assert "paris.csv" in summary["roles_dropped_as_unusable"]["postcode"]
