"""Bad input for the generator's command line, ``python -m synthetic_data`` (issue 11, finding 8).

One test per finding; each failed before its fix. Sections: the output folder (files a user added, interrupts,
stale temporary folders) and the command line (one line on stderr and exit code 2, never a traceback). Runs use
the smallest size (one person, often one table), so the file stays fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthetic_data import output
from synthetic_data.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
PROG = "python -m synthetic_data: error: "
SMALL = ["--people", "1", "--tables", "spl", "--quiet"]


def write(out: Path, *extra: str) -> dict[str, bytes]:
    """Run the generator at the smallest size into ``out``; return what it wrote."""
    assert main([*SMALL, *extra, "--out", str(out)]) == 0
    return contents(out)


def exit_code(argv: list[str]) -> int:
    """The exit code of the command line, whether argparse stops it or it returns."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def dead_pid() -> int:
    """The id of a process that has finished, as a killed run's would be."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


# --- the output folder -----------------------------------------------------------------------------------------


def test_a_file_a_user_added_to_earlier_output_is_named_and_kept(tmp_path, capsys):
    before = write(tmp_path / "o")
    (tmp_path / "o" / "my notes.txt").write_text("keep me", encoding="utf-8")
    assert main([*SMALL, "--seed", "5", "--out", str(tmp_path / "o")]) == 2
    err = one_line(capsys)
    assert "my notes.txt" in err and "move it" in err
    assert contents(tmp_path / "o") == {**before, "my notes.txt": b"keep me"}


def test_a_forged_manifest_cannot_claim_a_users_file(tmp_path, capsys):
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "precious.csv").write_text("keep me", encoding="utf-8")
    (folder / output.MANIFEST).write_text(json.dumps({"generator": output.GENERATOR_NAME, "format": "csv",
                                                      "rows": {"precious": 1, "spl": 1}}), encoding="utf-8")
    assert main([*SMALL, "--out", str(folder)]) == 2
    assert "'precious.csv'" in one_line(capsys)
    assert (folder / "precious.csv").read_text(encoding="utf-8") == "keep me"


def test_a_rerun_still_replaces_its_own_files_when_the_tables_change(tmp_path):
    write(tmp_path / "o", "--tables", "spl,truth")
    assert sorted(write(tmp_path / "o")) == ["manifest.json", "spl.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=1, max_value=3))
def test_an_interrupt_while_writing_keeps_the_previous_output_and_no_temporary_folder(tmp_path_factory, stop_at):
    tmp_path = tmp_path_factory.mktemp("interrupt")
    before = write(tmp_path / "o", "--tables", "spl,truth,people")
    calls = []

    def interrupted(table, path, fmt):
        calls.append(path)
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        output.write_table.__wrapped__(table, path, fmt)

    interrupted.__wrapped__ = output.write_table
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(output, "write_table", interrupted)
        with pytest.raises(KeyboardInterrupt):
            output.write_tables(output.Config(spl_people=1, seed=9), tmp_path / "o", "csv",
                                ("spl", "truth", "people"), progress=False)
    assert contents(tmp_path / "o") == before
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_an_interrupt_while_swapping_folders_keeps_the_previous_output(tmp_path, monkeypatch):
    before = write(tmp_path / "o")
    real, calls = os.replace, []

    def interrupted(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the old output has moved aside, the new one is not yet in place
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_tables(output.Config(spl_people=1, seed=9), tmp_path / "o", "csv", ("spl",), progress=False)
    monkeypatch.undo()
    assert contents(tmp_path / "o") == before
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_the_command_line_reports_an_interrupt_in_one_line(tmp_path, monkeypatch, capsys):
    def interrupted(table, path, fmt):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "write_table", interrupted)
    assert main([*SMALL, "--out", str(tmp_path / "o")]) == 130
    assert "interrupted" in one_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_terminated_run_removes_its_temporary_folder(tmp_path):
    script = ("import os, signal, sys\n"
              "from synthetic_data import output\n"
              "from synthetic_data.__main__ import main\n"
              "real = output.build_world\n"
              "def build_world(*args):\n"
              "    os.kill(os.getpid(), signal.SIGTERM)\n"
              "    return real(*args)\n"
              "output.build_world = build_world\n"
              f"sys.exit(main(['--people', '1', '--quiet', '--out', {str(tmp_path / 'o')!r}]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 128 + signal.SIGTERM and "Traceback" not in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_folders_of_a_killed_run_are_removed(tmp_path):
    before = write(tmp_path / "o")
    dead = dead_pid()
    for name in (f".o.synthetic_data-{dead}-abc.partial", f".o.synthetic_data-{dead}-def.old"):
        (tmp_path / name / "o").mkdir(parents=True)
        (tmp_path / name / "o" / "spl.csv").write_text("personal data", encoding="utf-8")
    live = tmp_path / f".o.synthetic_data-{os.getpid()}-ghi.partial"  # a run still going: left alone
    live.mkdir()
    mine = tmp_path / ".o.notes"  # a user's own hidden folder: left alone
    mine.mkdir()
    write(tmp_path / "o", "--seed", "3")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".o.notes", live.name, "o"])
    assert contents(tmp_path / "o") != before


def test_a_run_killed_between_the_two_renames_gets_its_previous_output_back(tmp_path, monkeypatch, capsys):
    before = write(tmp_path / "o")
    aside = tmp_path / f".o.synthetic_data-{dead_pid()}-abc.old"
    aside.mkdir()
    os.replace(tmp_path / "o", aside / "o")  # what a kill at that moment leaves

    def broken(table, path, fmt):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "write_table", broken)
    assert main([*SMALL, "--out", str(tmp_path / "o")]) == 1
    assert "No space left on device" in one_line(capsys)
    assert contents(tmp_path / "o") == before
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


# --- the command line ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "seed must be a whole number of at least 0"),
    (["--out", "{tmp}/a-file"], "is a file, not a folder"),
    (["--out", "{tmp}/a-file/o"], "is a file, not a folder"),
    (["--out", "{tmp}/" + "n" * 300], "File name too long"),
    (["--out", "{tmp}/no/such/o"], "does not exist"),
    (["--people", str(10 ** 30)], "--people must be between 1"),
    (["--people", "-3"], "--people must be between 1"),
    (["--format", "pdf"], "invalid choice: 'pdf'"),
], ids=["negative-seed", "out-is-a-file", "out-under-a-file", "long-name", "no-parent", "huge-people",
        "negative-people", "unknown-format"])
def test_bad_input_gives_one_line_and_exit_code_2(tmp_path, capsys, args, message):
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    args = [a.format(tmp=tmp_path) for a in args]
    assert exit_code([*SMALL, "--out", str(tmp_path / "o"), *args]) == 2
    err = one_line(capsys)
    assert err.startswith(PROG) and message in err
    assert len(err) < 300, "long values are shortened"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_an_unwritable_parent_gives_one_line_and_exit_code_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as root every folder is writable, so pretend
    assert main([*SMALL, "--out", str(tmp_path / "o")]) == 2
    assert "no permission to write in" in one_line(capsys)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=25, deadline=None)
@given(st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=90)
       .filter(lambda name: name not in (".", "..")))
def test_any_folder_name_is_written_inside_its_parent_or_refused_in_one_line(tmp_path_factory, name):
    parent = tmp_path_factory.mktemp("names")
    code = exit_code([*SMALL, "--out", str(parent / name)])
    assert code in (0, 2)
    assert [p.name for p in parent.iterdir()] == ([name] if code == 0 else [])
