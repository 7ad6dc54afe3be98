"""Make the learner pack: the course notebooks as learners should meet them in JupyterLab.

The tracked notebooks are the facilitator's copy. In the pack, solutions and the answers to the quick checks are
gone; MyST roles and directives, which JupyterLab would show as raw text, are rewritten as plain Markdown; an empty
code cell (or the exercise's part-filled code) sits under each exercise for the learner's answer; and widget
outputs, which JupyterLab shows as text such as "VBox(children=...)" until the cell runs, are dropped.

Two variants, so that nobody is left without something to read:

- with-outputs/: every table and chart kept, for reading along, working on paper or a machine that cannot run code;
- without-outputs/: outputs cleared, for running every cell from the top.

    python scripts/learner_pack.py [OUT_DIR]        (default: learner-pack/, outside _build/)

An existing pack is never overwritten, because learners may have written in it.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "learner-pack"
SOLUTION_TAG = "solution"
ANSWER_TAG = "learner-answer"
VARIANTS = ("with-outputs", "without-outputs")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BLANK = "____"

ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
CITATION_ROLE = re.compile(r"\s*\{cite(?::\w+)?\}`[^`]*`")
CHAPTER_LINK = re.compile(r"\[([^\]]*)\]\(\.\./[^)]*\)")
FENCE = re.compile(r"^(`{3,}|:{3,})(.*)$")
DIRECTIVE = re.compile(r"^\{([\w:-]+)\}\s*(.*)$")
OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")
CALLOUTS = {"note": "Note", "important": "Important", "warning": "Warning", "tip": "Tip", "caution": "Caution"}


class PackError(ValueError):
    """A notebook uses MyST the pack cannot rewrite, or would leak a solution: fix the notebook or this script."""


def _formatted(text: str, spec: str) -> str:
    """A glued value as MyST-NB shows it: myst_nb.core.variables.format_plain_text, restated because the lighter
    install that makes the pack has no MyST-NB."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    value = str(value) if kind == "s" else int(value) if kind in "bcdoxX" else float(value) if kind in "eEfFgGn%" else value
    return format(value, spec)


def _role(match: re.Match, glued: dict[str, str]) -> str:
    """A role as plain text: its visible text, a glued figure's value, and a link where it points at another lesson."""
    name, content = match.groups()
    if name.startswith("glue"):
        key, spec = content.rsplit(":", 1) if name == "glue:text" and ":" in content else (content, "")
        if key not in glued:
            raise PackError(f"{{{name}}}`{content}` names a value the notebook never glues")
        return _formatted(glued[key], spec or "s") if name == "glue:text" else _formatted(glued[key], "")
    titled = re.fullmatch(r"(.*?)\s*<([^<>]*)>", content, flags=re.S)
    text, target = titled.groups() if titled else (content, content)
    page = target.rsplit("/", 1)[-1]
    if name == "doc" and re.fullmatch(r"\d\d-[\w-]+", page):
        return f"[{text}]({page}.ipynb)"
    if name == "doc" and not titled:
        return f"the chapter \"{page.replace('-', ' ').capitalize()}\" in the published book"
    return text.strip()


def _inline(text: str, glued: dict[str, str]) -> str:
    """Roles rewritten, citations dropped, and links to book chapters (absent from the pack) kept as their text."""
    return CHAPTER_LINK.sub(r"\1", ROLE.sub(lambda match: _role(match, glued), CITATION_ROLE.sub("", text)))


def glued_values(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Every value the notebook glues with MyST-NB (name: its text/plain form), read from the stored outputs."""
    values = {}
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap:
                values[scrap["name"]] = out["data"].get(scrap.get("mime_prefix", "") + "text/plain", "")
    return values


def _block_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at lines[start], stepping over fenced blocks nested inside."""
    inner: str | None = None
    for index in range(start + 1, len(lines)):
        match = FENCE.match(lines[index].strip())
        if not match:
            continue
        marks, info = match.group(1), match.group(2).strip()
        if inner is not None:
            if marks[0] == inner[0] and len(marks) >= len(inner) and not info:
                inner = None
        elif marks[0] == fence[0] and len(marks) >= len(fence) and not info:
            return index
        elif info:
            inner = marks
    raise PackError(f"a {fence}{{...}} block is never closed")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _directive(name: str, argument: str, options: dict[str, str], body: str, faded: list[str]) -> str:
    """One directive as plain Markdown. Part-filled code in an exercise moves to the answer cell (`faded`)."""
    if name == "exercise":
        blocks = re.findall(r"^```python\n(.*?)^```$", body, flags=re.S | re.M)
        found = [block for block in blocks if BLANK in block]
        faded.extend(found)
        for block in found:
            body = body.replace(f"```python\n{block}```", "*Fill in the blanks (`____`) in the code cell below.*")
        label = " *(no code needed)*" if "no-code" in options.get("class", "") else ""
        return f"### Exercise: {argument}{label}\n\n{body}".rstrip()
    if name in ("admonition", "dropdown"):
        return _quote(f"**{argument}**\n\n{body}".rstrip())
    if name in CALLOUTS:
        return _quote(f"**{CALLOUTS[name]}:** {argument} {body}".replace("  ", " ").strip())
    if name.startswith("solution"):
        raise PackError("a solution is not tagged 'solution', so the pack would show it to learners")
    raise PackError(f"the pack cannot rewrite the MyST directive {{{name}}}: add it to scripts/learner_pack.py")


def plain_markdown(text: str, faded: list[str] | None = None, glued: dict[str, str] | None = None) -> str:
    """MyST as plain Markdown that JupyterLab shows as intended. Faded exercise code is appended to `faded`;
    glued figures take their values from `glued`."""
    faded = [] if faded is None else faded
    glued = {} if glued is None else glued
    lines, out, plain, index = text.splitlines(), [], [], 0
    while index < len(lines):
        fence = FENCE.match(lines[index].strip())
        directive = DIRECTIVE.match(fence.group(2).strip()) if fence else None
        if not fence:
            plain.append(lines[index])  # roles may run over a line break, so rewrite a run of lines at once
            index += 1
            continue
        if plain:
            out.append(_inline("\n".join(plain), glued))
            plain = []
        end = _block_end(lines, index, fence.group(1))
        if not directive:
            out.extend(lines[index : end + 1])  # a plain code block: leave it exactly as it is
            index = end + 1
            continue
        inside, options = lines[index + 1 : end], {}
        while inside and OPTION.match(inside[0]):
            key, value = OPTION.match(inside[0]).groups()  # type: ignore[union-attr]
            options[key] = value
            inside = inside[1:]
        body = plain_markdown("\n".join(inside).strip("\n"), faded, glued)
        name, argument = directive.groups()
        out.append(_directive(name, _inline(argument, glued), options, body, faded))
        index = end + 1
    if plain:
        out.append(_inline("\n".join(plain), glued))
    return "\n".join(out)


def learner_version(notebook: nbformat.NotebookNode, keep_outputs: bool, name: str = "") -> nbformat.NotebookNode:
    """The learner's copy of one lesson (see the module docstring)."""
    cells, glued = [], glued_values(notebook)
    for cell in notebook.cells:
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            faded: list[str] = []
            try:
                cell.source = plain_markdown(cell.source, faded, glued)
            except PackError as error:
                raise PackError(f"{name} cell {len(cells)}: {error}") from None
            cells.append(cell)
            if re.search(r"^### Exercise:", cell.source, flags=re.M):
                answer = nbformat.v4.new_code_cell("\n".join(block.rstrip() for block in faded))
                answer.metadata["tags"] = [ANSWER_TAG]
                cells.append(answer)
            continue
        if cell.cell_type == "code":
            if keep_outputs:  # widgets show as text until run; glued values are already in the prose
                cell.outputs = [out for out in cell.outputs if WIDGET_VIEW not in out.get("data", {})
                                and not out.get("metadata", {}).get("scrapbook")]
            else:
                cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    notebook.cells = cells
    notebook.metadata.pop("widgets", None)
    return notebook


def write_pack(out: Path) -> list[Path]:
    """Write both variants of every lesson under `out`; refuse if `out` already holds anything."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(
            f"{out} already exists and may hold learners' work, so it was left as it is. "
            "To make a fresh pack, move it away or choose another folder."
        )
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    written = []
    for variant in VARIANTS:
        folder = out / variant
        folder.mkdir(parents=True, exist_ok=True)
        for source in sources:
            notebook = nbformat.read(source, as_version=4)
            nbformat.write(learner_version(notebook, variant == "with-outputs", source.name), folder / source.name)
            written.append(folder / source.name)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=DEFAULT_OUT, help="folder for the pack (default: %(default)s)")
    out = parser.parse_args().out
    try:
        written = write_pack(out)
    except (FileExistsError, PackError) as error:
        print(error, file=sys.stderr)
        return 1
    lessons = len(written) // len(VARIANTS)
    print(f"wrote {lessons} lessons to {out}/with-outputs (tables and charts kept) and {out}/without-outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
