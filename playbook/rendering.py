"""Render the paperwork's template files to Markdown and to Word.

The wording of every document lives in ``playbook/templates/`` as Jinja2 templates that write Markdown, so an
information governance colleague can improve a clause without touching Python. One template gives both formats:
:func:`render_markdown` fills it in, and :func:`markdown_to_docx` turns that Markdown into a Word file with real
headings, lists and tables (through pandoc), so the two can never say different things.

Templates may use these helpers: ``todo(what)`` for anything a person must complete, ``day(date)``,
``table(header, rows)``, ``cell(text)`` (text made safe inside a table row written out in the template),
``names(items)`` and ``words(name)``. A template that uses a name nobody gave it fails
loudly (``StrictUndefined``) rather than leaving a gap in a document someone might sign.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

#: The marker for everything a person must fill in by hand. Search a draft for it before anyone signs.
TO_COMPLETE = "To complete:"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class TemplateError(ValueError):
    """A template is missing, or uses a value the caller did not give it."""


def todo(what: str) -> str:
    """A gap a person must fill, marked so it can be found before anyone signs."""
    return f"**{TO_COMPLETE}** {what}"


def day(date: _dt.date) -> str:
    """A date as GOV.UK writes it, for example '31 December 2020', the same on every machine and locale."""
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def cell(value: Any) -> str:
    """Text that can sit in one cell of a Markdown pipe table: no line breaks, and any "|" escaped."""
    return str(value).replace("\n", " ").replace("|", "\\|")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown pipe table; pandoc turns it into a real Word table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def names(items: Sequence[str]) -> str:
    """Names in code format, separated by commas, for example '`email`, `phone`'."""
    return ", ".join(f"`{i}`" for i in items)


def words(name: str) -> str:
    """A name from the specification as words, for example 'public_authority' as 'public authority'."""
    return name.replace("_", " ")


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENVIRONMENT.globals.update(
    todo=todo, day=day, table=table, cell=cell, names=names, words=words, TO_COMPLETE=TO_COMPLETE
)


def template_names() -> list[str]:
    """Every document template, by name; partials (names starting with ``_``) are left out."""
    return sorted(p.name for p in TEMPLATE_DIR.glob("*.md.j2") if not p.name.startswith("_"))


def render_markdown(template: str, **context: Any) -> str:
    """Fill in one template (for example ``"dpia.md.j2"``) and return Markdown."""
    try:
        text = _ENVIRONMENT.get_template(template).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"no template {exc.name!r} in {TEMPLATE_DIR.name}/; templates: {', '.join(template_names())}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {template!r} uses a value it was not given: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {exc.name or template!r} has a mistake on line {exc.lineno}: {exc.message}"
        ) from None
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def markdown_to_docx(markdown: str, path: str | os.PathLike) -> Path:
    """Write ``markdown`` to ``path`` as a Word file with real Word headings, lists and tables.

    The first heading becomes the document's title (Word's Title style and the title property, which screen
    readers announce); the headings under it start at Word's Heading 1 whatever level the Markdown uses.
    """
    import pypandoc

    lines = markdown.strip().splitlines()
    if not lines or not lines[0].startswith("#"):
        raise TemplateError("a document must start with a heading, which becomes its title in Word")
    title, body = lines[0].lstrip("#").strip(), "\n".join(lines[1:])
    levels = [len(line) - len(line.lstrip("#")) for line in body.splitlines() if line.startswith("#")]
    shift = 1 - min(levels) if levels else 0
    path = Path(path)
    pypandoc.convert_text(
        body,
        "docx",
        format="markdown",
        outputfile=str(path),
        extra_args=[f"--shift-heading-level-by={shift}", "--metadata", f"title={title}", "--metadata", "lang=en-GB"],
    )
    return path


def docx_text(path: str | os.PathLike) -> list[str]:
    """The text of a Word file, paragraph by paragraph and cell by cell, in reading order, for checking."""
    import docx

    document = docx.Document(str(path))
    out: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(node.text or "" for node in child.iter() if node.tag.endswith("}t"))
            if text.strip():
                out.append(text)
        elif tag == "tbl":
            for cell in child.iter():
                if cell.tag.endswith("}tc"):
                    text = "".join(node.text or "" for node in cell.iter() if node.tag.endswith("}t"))
                    if text.strip():
                        out.append(text)
    return out


def docx_headings(path: str | os.PathLike) -> list[tuple[int, str]]:
    """The Word headings in a file as (level, text), to check that a document has a real outline."""
    import docx

    found = []
    for paragraph in docx.Document(str(path)).paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style.startswith("Heading ") and style[8:].isdigit():
            found.append((int(style[8:]), paragraph.text))
        elif style == "Title":
            found.append((0, paragraph.text))
    return found
