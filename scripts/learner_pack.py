"""Export the course notebooks for learners: solution cells removed and outputs cleared, so that learners work
each exercise out for themselves in a teach-in.

    python scripts/learner_pack.py OUT_DIR
"""
import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_TAG = "solution"


def learner_version(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without solution cells and without stored outputs."""
    notebook.cells = [cell for cell in notebook.cells if SOLUTION_TAG not in cell.metadata.get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("widgets", None)
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the learner notebooks to (created if missing)")
    out = parser.parse_args().out
    if out.exists() and any(out.iterdir()):
        print(f"{out} is not empty: choose a new folder, so that no learner's work is overwritten.", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    for source in sources:
        notebook = learner_version(nbformat.read(source, as_version=4))
        nbformat.write(notebook, out / source.name)
    print(f"wrote {len(sources)} learner notebooks, without solutions or outputs, to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
