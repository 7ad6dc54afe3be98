"""Is this laptop ready for a teach-in? Run three lessons from top to bottom and say plainly what works.

The lessons chosen use every kind of thing the course needs: a chart (lesson 00), interactive widgets (lesson 02's
decision aid) and Word documents drafted through pandoc (lesson 12). The tracked notebooks are read, never
changed.

    python scripts/laptop_check.py        (or: make laptop-check)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CHECKS = {
    "00-meet-the-data.ipynb": ("a chart", lambda outputs: any("image/png" in out.get("data", {}) for out in outputs)),
    "02-lawful-basis.ipynb": ("the decision aid's widgets", lambda outputs: any(WIDGET_VIEW in out.get("data", {})
                                                                                for out in outputs)),
    "12-paperwork-from-the-purpose.ipynb": ("Word drafts", lambda outputs: any(".docx" in str(out)
                                                                               for out in outputs)),
}


def run(lesson: str) -> list[dict]:
    """Every output of one lesson, run in a scratch folder; raises CellExecutionError on the first failing cell."""
    notebook = nbformat.read(ROOT / "notebooks" / lesson, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": scratch}}).execute()
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def main() -> int:
    problems = 0
    for lesson, (what, shows) in CHECKS.items():
        start = time.perf_counter()
        try:
            outputs = run(lesson)
        except CellExecutionError as error:
            problems += 1
            print(f"NOT READY  {lesson}: a cell failed. Show this to the facilitator:\n{str(error)[-1500:]}")
            continue
        seconds = time.perf_counter() - start
        if shows(outputs):
            print(f"ready      {lesson}: every cell ran and {what} appeared ({seconds:.0f} s)")
        else:
            problems += 1
            print(f"NOT READY  {lesson}: every cell ran but {what} did not appear")
    print("This laptop is ready for the teach-in." if not problems else
          f"{problems} lesson(s) did not run here: see the teach-in page, 'If installs are blocked'.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
