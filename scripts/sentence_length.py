"""Count long sentences in the prose of a page, the way GOV.UK style measures readability.

GOV.UK advises sentences of 25 words at most. This script splits a page's prose into sentences (each list item
and each glossary definition line counts on its own), leaves out code, tables, headings and directive options,
and reports how many sentences run over the limit. ``tests/test_style.py`` uses it to hold every page that states
the law under a set share of long sentences.

Usage: python scripts/sentence_length.py PAGE [PAGE ...] [--show]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

LIMIT = 25  # words; GOV.UK's advice for a sentence

#: MyST directives whose body is prose a reader reads. Any other fenced block is code or data and is left out.
PROSE_DIRECTIVES = {"admonition", "note", "important", "warning", "tip", "caution", "attention", "hint", "seealso",
                    "glossary", "exercise", "solution", "dropdown", "topic", "sidebar", "epigraph"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\{([\w-]+)\})?(.*)$")
WORD = re.compile(r"[A-Za-z0-9£][\w'’£%.,/()-]*")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z0-9(\"“‘£])")


def markdown_of(path: Path) -> str:
    """The page's markdown: the file itself, or a notebook's markdown cells."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def prose_lines(markdown: str) -> list[str]:
    """The lines a reader reads as running text: no code, tables, headings, directive titles or options."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open fences: (marker, is prose)
    for line in markdown.splitlines():
        stripped = line.strip()
        match = FENCE.match(stripped)
        if match:
            marker, _, directive, rest = match.groups()
            if stack and marker == stack[-1][0] and not directive and not rest.strip():
                stack.pop()
                out.append("")
                continue
            if not stack or stack[-1][1]:
                stack.append((marker, directive in PROSE_DIRECTIVES))
                out.append("")
                continue
        if stack and not stack[-1][1]:
            continue
        if stripped.startswith(("|", "#", "<", ":")) and not stripped.startswith(": "):
            out.append("")  # tables, headings, HTML, directive options
            continue
        out.append(line)
    return out


def sentences(markdown: str) -> list[str]:
    """Sentences of the page's prose, with roles, links and citations reduced to the words a reader sees."""
    text = "\n".join(prose_lines(markdown))
    text = re.sub(r"\{cite:[pt]\}`[^`]*`", "", text)
    text = re.sub(r"\{[\w:-]+\}`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", text)  # {term}`x <y>` -> x
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\(\s*\)", "", text)
    found: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        items = re.split(r"\n\s*(?:[-*+]|\d+\.|:)\s+", "\n" + block)
        for item in items:
            item = " ".join(item.split())
            for sentence in SENTENCE_END.split(item):
                if len(WORD.findall(sentence)) >= 3:
                    found.append(sentence)
    return found


def word_count(sentence: str) -> int:
    return len(WORD.findall(sentence))


def long_share(path: Path) -> tuple[int, list[str]]:
    """The number of sentences on the page and the ones over :data:`LIMIT` words."""
    found = sentences(markdown_of(path))
    return len(found), [s for s in found if word_count(s) > LIMIT]


def main(argv: list[str]) -> int:
    show = "--show" in argv
    for name in (a for a in argv if a != "--show"):
        total, long = long_share(Path(name))
        share = 100 * len(long) / total if total else 0.0
        print(f"{name}: {total} sentences, {len(long)} over {LIMIT} words ({share:.1f}%)")
        if show:
            for sentence in long:
                print(f"  [{word_count(sentence)}] {sentence}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
