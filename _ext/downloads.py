"""Build the downloads into the site, from the same templates, specifications and notebooks the book uses.

After an HTML build, this writes ``downloads/`` into the output folder: every document as a blank template and as
the shielding worked example, each in Markdown and Word, the blank and worked purpose specifications, and a zip of
each set; and each course notebook's learner version (no solutions, outputs kept: scripts/learner_pack.py), one by one
and as a zip. Nothing is committed: the files are made fresh on every build, so a download never drifts from the
source it comes from.

Each page's download menu (the theme's download button) offers the page's source (the chapter's Markdown or the
lesson's notebook, which Sphinx copies to ``_sources/``), a lesson's learner version, and the whole book as a PDF
(``make pdf`` writes it to ``downloads/PDF_NAME``).
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("md", "docx")
LEARNER = "learner"
PDF_NAME = "data-sharing-playbook.pdf"


def _learner_pack():
    """scripts/learner_pack.py (scripts/ is not a package), whose learner_version() makes the learner notebooks."""
    spec = importlib.util.spec_from_file_location("learner_pack", ROOT / "scripts" / "learner_pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_learner_notebooks(notebooks: list[Path], folder: Path) -> None:
    """Each notebook's learner version into ``folder``, and all of them as ``folder``.zip beside it."""
    learner_version = _learner_pack().learner_version
    folder.mkdir(parents=True)
    for source in notebooks:
        nbformat.write(learner_version(nbformat.read(source, as_version=4), True, source.name), folder / source.name)
    shutil.make_archive(str(folder.parent / f"{folder.name}-notebooks"), "zip", folder)


def write_downloads(outdir: Path, notebooks: list[Path] = ()) -> Path:
    """Write the downloads folder under ``outdir`` and return it; the old one is replaced whole (except the PDF,
    which ``make pdf`` writes after the build)."""
    from playbook import documents

    specs = ROOT / "playbook" / "specs"
    target = outdir / "downloads"
    with tempfile.TemporaryDirectory(dir=outdir, prefix=".downloads-") as scratch:
        staging = Path(scratch) / "downloads"
        documents.write_blank_templates(staging / "blank", formats=FORMATS)
        answers = yaml.safe_load((specs / "answers" / "shielding.yaml").read_text(encoding="utf-8"))
        documents.write_drafts(specs / "shielding.yaml", staging / "shielding", answers=answers, formats=FORMATS)
        for name in ("blank.yaml", "shielding.yaml"):
            shutil.copy2(specs / name, staging / name)
        shutil.copy2(specs / "answers" / "shielding.yaml", staging / "shielding-answers.yaml")
        for folder, archive in (("blank", "blank-templates"), ("shielding", "shielding-worked-example")):
            shutil.make_archive(str(staging / archive), "zip", staging / folder)
        write_learner_notebooks(list(notebooks), staging / LEARNER)
        if (target / PDF_NAME).exists():
            shutil.copy2(target / PDF_NAME, staging / PDF_NAME)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target


def _notebooks(app) -> list[Path]:
    """The course notebooks in the book (only those in _toc.yml are built), as source files."""
    return sorted(Path(app.env.doc2path(name)) for name in app.env.found_docs
                  if name.startswith("notebooks/") and app.env.doc2path(name).endswith(".ipynb"))


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.name == "html":
        write_downloads(Path(app.outdir), _notebooks(app))


def add_download_links(app, pagename, templatename, context, doctree) -> None:
    """Add a lesson's learner version and the whole-book PDF to the page's download menu (made by the theme)."""
    menu = next((b for b in context.get("header_buttons", []) if b.get("label") == "download-buttons"), None)
    if menu is None:
        return
    pathto = context["pathto"]
    source = app.env.doc2path(pagename) if pagename in app.env.found_docs else ""
    if pagename.startswith("notebooks/") and source.endswith(".ipynb"):
        name = Path(source).name
        menu["buttons"].insert(1, {
            "type": "link", "url": pathto(f"downloads/{LEARNER}/{name}", 1), "text": "learner .ipynb",
            "tooltip": "Download the notebook without solutions, for learners", "icon": "fas fa-code",
            "label": "download-learner-notebook-button",
        })
    for button in menu["buttons"]:  # the theme's "print this page" entry, told apart from the book's PDF
        if button.get("label") == "download-pdf-button":
            button["text"], button["tooltip"] = "print page", "Print this page, or save it as a PDF"
    menu["buttons"].append({
        "type": "link", "url": pathto(f"downloads/{PDF_NAME}", 1), "text": "whole book .pdf",
        "tooltip": "Download the whole playbook as one PDF", "icon": "fas fa-file-pdf",
        "label": "download-book-pdf-button",
    })


def setup(app):
    app.connect("build-finished", _build_finished)
    app.connect("html-page-context", add_download_links, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
