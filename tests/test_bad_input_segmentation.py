"""Bad and hostile input for the per-council split (``playbook.segmentation``), and the file-name rule it uses.

Organised as every ``test_bad_input_<entry point>.py`` file: first the hostile values (reusable by the next entry
point), then one test per finding of issue 11, then the random tests (hypothesis), then interruption of the writer.
Each finding's test failed before its fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import outbox
from playbook import segmentation
from playbook.delivery import exceptions_table
from playbook.safe_names import UnsafeNameError, path_inside, safe_file_stem
from playbook.segmentation import REASONS, Segmented, check_segmentation, segment, write_extracts

KNOWN = ["E06000001", "E08000025"]

#: Values that must never become a file name as they stand: each walks out of the folder, hides, names a device,
#: clashes with a file the writer makes itself, or is empty.
HOSTILE = ["../other/name", "..", ".", "a/b", "a\\b", "C:evil", ".hidden", "-rf", "exceptions", "Exceptions",
           "manifest", "CON", "nul.txt", "Com1", "LPT9", "name.", "tab\there", "nul\x00byte", "x" * 101, "é"]


def frame(codes) -> pd.DataFrame:
    """A list with one resident per code, numbered from 1."""
    return pd.DataFrame({"la_code": pd.Series(list(codes), dtype="object"),
                         "nhs_number": range(1, len(codes) + 1), "date_of_death": None})


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


# ---------------------------------------------------------------------------------------------------------------
# Finding 1: file names built straight from the local authority code
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", ["../other/name", "ABSOLUTE", "exceptions", "manifest", "a/b", "CON", "..",
                                     ".hidden", "EXCEPTIONS"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_code_that_is_not_a_safe_file_name_sends_its_rows_to_exceptions(tmp_path, hostile, fmt):
    (tmp_path / "other").mkdir()
    (tmp_path / "elsewhere").mkdir()
    bait = tmp_path / "other" / f"name.{fmt}"
    bait.write_text("someone else's file")
    if hostile == "ABSOLUTE":
        hostile = str(tmp_path / "elsewhere" / "name")
    records = frame(["E06000001", hostile, hostile, None])
    result = segment(records, KNOWN + [hostile], postcode_column=None)
    check_segmentation(records, result)
    assert list(result.extracts) == ["E06000001"]
    assert result.exceptions["reason"].tolist() == [REASONS["unsafe_la_code"]] * 2 + [REASONS["missing_la_code"]]

    manifest = write_extracts(result, tmp_path / "out", fmt=fmt)
    assert bait.read_text() == "someone else's file"  # never an overwrite
    assert files_under(tmp_path) == {bait} | {tmp_path / "out" / name for name in manifest["file"]} | {
        tmp_path / "out" / "manifest.csv"}  # never a stray file
    assert manifest["file"].tolist() == [f"E06000001.{fmt}", f"exceptions.{fmt}"]  # each real file once
    assert read(tmp_path / "out" / f"exceptions.{fmt}")["row"].tolist() == [1, 2, 3]  # the one exceptions layout


def test_an_empty_or_blank_code_goes_to_exceptions():
    # This held before the fix (a blank code is a missing code); kept so the rule stays written down.
    result = segment(frame(["", " ", "E06000001"]), ["", "E06000001"], postcode_column=None)
    assert result.exceptions["reason"].tolist() == [REASONS["missing_la_code"]] * 2


def test_codes_that_differ_only_in_case_would_share_a_file_so_go_to_exceptions(tmp_path):
    # On Windows and macOS ab.csv and AB.csv are one file: the second extract would overwrite the first.
    records = frame(["E06000001", "e06000001", "E08000025"])
    result = segment(records, KNOWN + ["e06000001"], postcode_column=None)
    check_segmentation(records, result)
    assert list(result.extracts) == ["E08000025"]
    assert result.exceptions["reason"].tolist() == [REASONS["clashing_la_code"]] * 2


@pytest.mark.parametrize("hostile", ["../escape", "exceptions", "E08000025.csv/../../escape", "E1/x"])
def test_write_extracts_refuses_an_unsafe_name_it_is_handed(tmp_path, hostile):
    # A split built by hand (or by an older version) must not get past the writer either.
    (tmp_path / "box").mkdir()
    records = frame(["E06000001"])
    result = Segmented(recipient="local_authorities", tables={"E06000001": records, hostile: records},
                       exceptions=exceptions_table([], [], [], []))
    with pytest.raises(UnsafeNameError, match="local authority code"):
        write_extracts(result, tmp_path / "box" / "out")
    assert files_under(tmp_path) == set()
    assert list((tmp_path / "box").iterdir()) == []


def test_write_extracts_refuses_two_extracts_whose_files_would_clash(tmp_path):
    records = frame(["E06000001"])
    result = Segmented(recipient="local_authorities", tables={"ab": records, "AB": records},
                       exceptions=exceptions_table([], [], [], []))
    with pytest.raises(UnsafeNameError, match="already has a file of that name"):
        write_extracts(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------------------------
# Finding 8 and the writer: never delete what it did not write, and clean up after a killed run
# ---------------------------------------------------------------------------------------------------------------


def delivery(codes=("E06000001", "E08000025")) -> Segmented:
    return segment(frame(codes), KNOWN, postcode_column=None)


def test_overwrite_refuses_a_folder_holding_files_the_writer_did_not_write(tmp_path):
    write_extracts(delivery(), tmp_path / "out", fmt="csv")
    (tmp_path / "out" / "notes.txt").write_text("the user's own notes")
    with pytest.raises(FileExistsError, match="notes.txt"):
        write_extracts(delivery(), tmp_path / "out", fmt="csv", overwrite=True)
    assert (tmp_path / "out" / "notes.txt").read_text() == "the user's own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_overwrite_replaces_its_own_earlier_delivery_even_when_the_authorities_change(tmp_path):
    write_extracts(delivery(), tmp_path / "out", fmt="csv")
    write_extracts(delivery(["E08000025"]), tmp_path / "out", fmt="parquet", overwrite=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "E08000025.parquet", "exceptions.parquet", "manifest.csv"]


def test_overwrite_refuses_a_destination_that_is_a_file(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(FileExistsError, match="not a folder"):
        write_extracts(delivery(), tmp_path / "out", overwrite=True)
    assert (tmp_path / "out").read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


KILLED_RUN = """
import os, sys
from pathlib import Path
from playbook import segmentation

def write(tmp):
    (Path(tmp) / "E06000001.csv").write_text("half a delivery")
    if sys.argv[2] == "while-writing":
        os._exit(9)  # killed: no except, no finally

if sys.argv[2] == "between-renames":
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        if Path(dst).parent.name.endswith(".old"):  # the previous output moved aside
            os._exit(9)
    os.replace = replace
segmentation.write_folder_atomically(sys.argv[1], write, overwrite=True)
"""


@pytest.mark.parametrize("when", ["while-writing", "between-renames"])
def test_a_later_run_cleans_up_after_a_killed_run_and_keeps_the_previous_output(tmp_path, when):
    write_extracts(delivery(), tmp_path / "out", fmt="csv")
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    run = subprocess.run([sys.executable, "-c", KILLED_RUN, str(tmp_path / "out"), when],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert run.returncode == 9, run.stderr
    assert len(list(tmp_path.iterdir())) > 1  # the killed run left a temporary folder holding personal data
    with pytest.raises(FileExistsError):  # any later run, even one refused, tidies up first
        write_extracts(delivery(), tmp_path / "out", fmt="csv")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


def test_a_temporary_folder_of_a_running_writer_is_left_alone(tmp_path):
    mine = tmp_path / f".out.{segmentation.TAG}-{os.getpid()}-abc.partial"
    mine.mkdir()
    write_extracts(delivery(), tmp_path / "out", fmt="csv")
    assert mine.exists()


# ---------------------------------------------------------------------------------------------------------------
# Interruption: the previous output or the new one, complete, and no temporary folder left
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("point", [("table", 1), ("table", 2), ("table", 3), ("replace", 1), ("replace", 2)])
def test_an_interrupted_write_leaves_the_previous_output_whole(tmp_path, monkeypatch, point):
    write_extracts(delivery(), tmp_path / "out", fmt="csv")
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    where, at = point
    calls = []
    real_table, real_replace = outbox.write_table, os.replace

    def counting(real, kind):
        def call(*args):
            if kind == where:
                calls.append(args)
                if len(calls) == at:
                    raise KeyboardInterrupt
            return real(*args)
        return call

    monkeypatch.setattr(outbox, "write_table", counting(real_table, "table"))
    monkeypatch.setattr(os, "replace", counting(real_replace, "replace"))
    with pytest.raises(KeyboardInterrupt):
        write_extracts(delivery(["E08000025", "E06000001", "E06000001"]), tmp_path / "out", fmt="csv",
                       overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


# ---------------------------------------------------------------------------------------------------------------
# Random local authority codes (hypothesis)
# ---------------------------------------------------------------------------------------------------------------

CODE_TEXT = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE + ["../../escape", "E06000001"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(CODE_TEXT, min_size=1, max_size=6),
       st.lists(st.one_of(st.integers(0, 7), CODE_TEXT, st.none()), max_size=25), st.sampled_from(["csv", "parquet"]))
def test_random_codes_every_record_counted_and_every_file_inside_the_folder(known, picks, fmt):
    codes = [known[p % len(known)] if isinstance(p, int) else p for p in picks]
    records = frame(codes)
    result = segment(records, known, postcode_column=None)
    check_segmentation(records, result)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "box").mkdir()
        out = root / "box" / "out"
        manifest = write_extracts(result, out, fmt=fmt)
        written = files_under(root)
        assert all(out.resolve() in p.resolve().parents for p in written)  # nothing outside the folder
        assert {p.name for p in written} == set(manifest["file"]) | {"manifest.csv"}
        assert manifest["file"].is_unique
        assert manifest["records"].sum() == len(records)  # counts in = counts out + exceptions
        assert len(read(out / f"exceptions.{fmt}")) == len(result.exceptions)


# ---------------------------------------------------------------------------------------------------------------
# The file-name rule itself (playbook.safe_names)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", HOSTILE + ["", "aux", "Con.csv", "lpt1.tar.gz", "PRN"])
def test_safe_file_stem_refuses_hostile_values_naming_them(bad):
    with pytest.raises(UnsafeNameError) as caught:
        safe_file_stem(bad, "council code", reserved={"exceptions", "manifest"})
    message = str(caught.value)
    assert message.startswith("council code ")
    assert "letters" in message  # says what to do
    assert len(message) < 400  # a long value is truncated


def test_safe_file_stem_truncates_a_long_value_in_its_message():
    with pytest.raises(UnsafeNameError, match="x…") as caught:
        safe_file_stem("x" * 10_000, "code")
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize("good", ["E06000001", "w06000015", "a.b-c_d", "COM10", "CONSOLE", "nul_", "9"])
def test_safe_file_stem_keeps_ordinary_names_unchanged(good):
    assert safe_file_stem(good, "code") == good


def test_safe_file_stem_refuses_non_text():
    with pytest.raises(UnsafeNameError, match="not text"):
        safe_file_stem(None, "code")


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../x", "", ".", "sub/../.."])
def test_path_inside_refuses_anything_outside_the_folder(tmp_path, bad):
    with pytest.raises(UnsafeNameError, match="outside"):
        path_inside(tmp_path / "out", bad)


def test_path_inside_follows_links_before_checking(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafeNameError, match="outside"):
        path_inside(tmp_path / "out", "link")
    assert path_inside(tmp_path / "out", "E1.csv") == (tmp_path / "out" / "E1.csv").resolve()


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="./\\-_aA:~ \x00"), st.sampled_from(HOSTILE)))
def test_random_names_are_refused_or_stay_inside_and_in_the_alphabet(value):
    folder = Path(tempfile.gettempdir()) / "safe-names-test"
    try:
        stem = safe_file_stem(value, "name", reserved={"manifest"})
    except UnsafeNameError:
        return
    assert stem == value
    assert set(stem) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
    assert stem[0] not in ".-" and len(stem) <= 100
    assert path_inside(folder, f"{stem}.csv").parent == folder.resolve()
