"""The one writer of a delivery (``outbox``): all at once, checksums and manifest that match, never over a person's
files, and importing nothing from ``playbook`` or ``synthetic_data`` (decision 0007)."""

from __future__ import annotations

import csv
import hashlib
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest

import outbox

TABLES = {"E06000001": pa.table({"nhs_number": ["9990000018", "9990000026"]}), "exceptions": pa.table({"row": [3]})}


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_checksums_and_record_counts_in_the_manifest_match_the_files(tmp_path):
    rows = outbox.write_delivery(tmp_path / "out", TABLES, fmt="csv")
    with open(tmp_path / "out" / "manifest.csv", encoding="utf-8", newline="") as handle:
        listed = list(csv.DictReader(handle))
    assert [r["file"] for r in listed] == ["E06000001.csv", "exceptions.csv"] == [r["file"] for r in rows]
    for row in listed:
        path = tmp_path / "out" / row["file"]
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert int(row["records"]) == len(path.read_text().splitlines()) - 1  # the header and one line a record
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["E06000001.csv", "exceptions.csv", "manifest.csv"]


@pytest.mark.parametrize("fail_at", [1, 2])
def test_a_failure_mid_write_leaves_no_partial_folder_and_the_previous_delivery_whole(tmp_path, monkeypatch, fail_at):
    outbox.write_delivery(tmp_path / "out", TABLES, fmt="csv")
    before = contents(tmp_path / "out")
    calls = []

    def failing(table, path, fmt):
        calls.append(path)
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device")
        outbox.write_csv(table, path)

    monkeypatch.setattr(outbox, "write_table", failing)
    with pytest.raises(OSError, match="No space left"):
        outbox.write_delivery(tmp_path / "out", {"E08000025": TABLES["E06000001"], **TABLES}, replace=True)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left
    assert contents(tmp_path / "out") == before


def test_a_failure_on_a_first_delivery_leaves_nothing(tmp_path):
    def fill(tmp: Path) -> None:
        (tmp / "half.csv").write_text("half a delivery")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        outbox.write_folder(tmp_path / "out", fill, tag="delivery")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_delivery_is_replaced_only_when_asked(tmp_path):
    outbox.write_delivery(tmp_path / "out", TABLES)
    with pytest.raises(outbox.FolderRefused, match="already exists"):
        outbox.write_delivery(tmp_path / "out", TABLES)
    outbox.write_delivery(tmp_path / "out", {"E08000025": TABLES["E06000001"]}, replace=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["E08000025.csv", "manifest.csv"]


def test_a_file_the_writer_did_not_write_is_named_and_kept(tmp_path):
    outbox.write_delivery(tmp_path / "out", TABLES)
    (tmp_path / "out" / "notes.txt").write_text("the user's own notes")
    with pytest.raises(outbox.FolderRefused, match="'notes.txt'.*move it out"):
        outbox.write_delivery(tmp_path / "out", TABLES, replace=True)
    assert (tmp_path / "out" / "notes.txt").read_text() == "the user's own notes"


def test_stale_temporary_folders_of_a_dead_run_are_removed_and_a_live_one_kept(tmp_path):
    dead = tmp_path / ".out.delivery-999999999-abc.partial"  # a process id that cannot be running
    dead.mkdir()
    (dead / "E06000001.csv").write_text("personal data")
    live = tmp_path / f".out.delivery-{os.getpid()}-def.partial"
    live.mkdir()
    outbox.write_delivery(tmp_path / "out", TABLES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "out"])


def test_the_writer_imports_nothing_from_the_packages_that_use_it():
    """Decision 0007: the generator uses it and must still stand alone (decision 0003)."""
    package = Path(outbox.__file__).parent
    offenders = [path.name for path in package.rglob("*.py") if re.search(
        r"^\s*(from|import)\s+(playbook|synthetic_data)\b", path.read_text(encoding="utf-8"), flags=re.M)]
    assert not offenders
