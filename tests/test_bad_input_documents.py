"""Bad input for the document writers and ``python -m playbook.documents`` (issue 11, finding 8).

One test per finding; each failed before its fix. Sections: the writers (interrupts at any point, temporary
folders a killed run left) and the command line (one line on stderr and exit code 2, never a traceback).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import documents, purpose
from playbook.documents import DOCUMENT_TYPES, main, write_blank_templates, write_drafts

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = ROOT / "playbook" / "specs" / "shielding.yaml"
ANSWERS_FILE = ROOT / "playbook" / "specs" / "answers" / "shielding.yaml"
SPEC = purpose.load_builtin("shielding")
PROG = "python -m playbook.documents: error: "


def dead_pid() -> int:
    """The id of a process that has finished, as a killed run's would be."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


# --- the writers -----------------------------------------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=1, max_value=2 * len(DOCUMENT_TYPES)), st.sampled_from(["drafts", "blank"]),
       st.sampled_from([KeyboardInterrupt, OSError]))
def test_an_interrupt_at_any_file_leaves_the_empty_folder_and_no_temporary_folder(tmp_path_factory, stop_at, which,
                                                                                  failure):
    tmp_path = tmp_path_factory.mktemp("interrupt")
    (tmp_path / "out").mkdir()  # an empty folder may be filled; after a failure it is still there, still empty
    real, calls = documents._write_file, []

    def interrupted(text, path, fmt):
        calls.append(path)
        if len(calls) == stop_at:
            raise failure
        real(text, path, fmt)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(documents, "_write_file", interrupted)
        with pytest.raises(failure):
            if which == "drafts":
                write_drafts(SPEC, tmp_path / "out", formats=("md", "docx"))
            else:
                write_blank_templates(tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("write", [lambda out: write_drafts(SPEC, out), lambda out: write_blank_templates(out, "md")],
                         ids=["drafts", "blank"])
def test_temporary_folders_a_killed_run_left_are_removed(tmp_path, write):
    stale = tmp_path / f".out.documents-{dead_pid()}-abc.partial"
    stale.mkdir()
    (stale / "dpia.md").write_text("personal data", encoding="utf-8")
    live = tmp_path / f".out.documents-{os.getpid()}-def.partial"  # a run still going: left alone
    live.mkdir()
    mine = tmp_path / ".out-notes"  # a person's own hidden folder: left alone
    mine.mkdir()
    write(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".out-notes", live.name, "out"])


def test_the_written_folder_has_the_usual_permissions(tmp_path):
    write_blank_templates(tmp_path / "out", "md")
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the command line ------------------------------------------------------------------------------------------


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("make, flag, message", [
    (lambda p: p.mkdir(), "spec", "is a folder, not a file"),
    (lambda p: p.write_bytes(b"id: caf\xe9\n"), "spec", "is not UTF-8 text"),
    (lambda p: p.write_text("[" * 5000 + "]" * 5000, encoding="utf-8"), "spec", "nested too deeply"),
    (lambda p: p.mkdir(), "answers", "is a folder, not a file"),
    (lambda p: p.write_bytes(b"large_scale: \xff\n"), "answers", "is not UTF-8 text"),
    (lambda p: p.write_text("- yes\n- no\n", encoding="utf-8"), "answers", "must be a mapping"),
    (lambda p: p.write_text("[" * 5000 + "]" * 5000, encoding="utf-8"), "answers", "nested too deeply"),
], ids=["spec-folder", "spec-latin1", "spec-deep", "answers-folder", "answers-latin1", "answers-list",
        "answers-deep"])
def test_a_bad_input_file_gives_one_line_and_exit_code_2(tmp_path, capsys, make, flag, message):
    bad = tmp_path / "bad.yaml"
    make(bad)
    argv = [bad] if flag == "spec" else [SPEC_FILE, "--answers", bad]
    code, err = run(capsys, *argv, "--out", tmp_path / "drafts")
    assert code == 2 and err.startswith(PROG) and message in err and "bad.yaml" in err
    assert len(err.splitlines()) == 1 and len(err) < 300, err
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_spec_gives_one_line_and_exit_code_2(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    spec.chmod(0)
    code, err = run(capsys, spec, "--out", tmp_path / "drafts")
    assert code == 2 and "Permission denied" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("out, message", [
    ("a-file/drafts", "a-file is a file, not a folder"),
    ("n" * 300, "File name too long"),
], ids=["under-a-file", "long-name"])
def test_a_bad_output_folder_gives_one_line_and_exit_code_2(tmp_path, capsys, out, message):
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    code, err = run(capsys, "--blank", "--out", tmp_path / out)
    assert code == 2 and err.startswith(PROG) and message in err
    assert len(err.splitlines()) == 1 and len(err) < 300, err
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_an_interrupt_gives_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(text, path, fmt):
        raise KeyboardInterrupt

    monkeypatch.setattr(documents, "_write_file", interrupted)
    code, err = run(capsys, "--blank", "--out", tmp_path / "blank")
    assert code == 130 and "interrupted" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
