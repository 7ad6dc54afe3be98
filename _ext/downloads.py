"""Build the paperwork downloads into the site, from the same templates and specifications the code uses.

After an HTML build, this writes ``downloads/`` into the output folder: every document as a blank template and as
the shielding worked example, each in Markdown and Word, the blank and worked purpose specifications, and a zip of
each set. Nothing is committed: the files are made fresh on every build, so a download never drifts from the
template it comes from.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("md", "docx")


def write_downloads(outdir: Path) -> Path:
    """Write the downloads folder under ``outdir`` and return it; the old one is replaced whole."""
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
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        write_downloads(Path(app.outdir))


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
