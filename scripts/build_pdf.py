"""Build the whole book as one PDF, from the same sources as the site: `make pdf`.

    .venv/bin/python scripts/build_pdf.py                          # writes _build/html/downloads/data-sharing-playbook.pdf
    .venv/bin/python scripts/build_pdf.py --path-output /tmp/b     # builds in /tmp/b/_build instead

Builds the single-page HTML version of the book (Jupyter Book's singlehtml builder, with -W so a warning fails),
then prints it to A4 with the headless Chromium the site tests use: bookmarks from the headings, page numbers in the
footer, and links between chapters kept as links inside the PDF. Bookmark titles are then set from the headings'
text with pypdf, because Chromium garbles some. The print rules (what to hide, tables and code
wrapped to the page) are in _static/playbook.css under @media print. Links to files on the site (downloads, other
pages) point at the published site, whose address comes from the repository setting in _config.yml.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import sys
import time
from pathlib import Path

import yaml

import localsite

ROOT = localsite.ROOT


def _ext(name: str):
    """A module from _ext/ (Sphinx extensions, not a package), for the names it defines once."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FOOTER = ('<div style="font-size:8pt; width:100%; margin:0 12mm; display:flex; justify-content:space-between;">'
          '<span class="title"></span><span><span class="pageNumber"></span> of <span class="totalPages"></span></span>'
          '</div>')

# Links inside the book become links inside the PDF (Chromium makes "#id" links internal); links to other files
# on the site point at the published copy, because the PDF is read away from the site.
ABSOLUTE_LINKS = """site => {
  for (const a of document.querySelectorAll('a[href]')) {
    const url = new URL(a.getAttribute('href'), location.href);
    if (url.origin !== location.origin) continue;
    if (url.pathname === location.pathname && url.hash) a.setAttribute('href', url.hash);
    else a.setAttribute('href', new URL(url.pathname.replace(/^\\//, '') + url.hash, site).href);
  }
  for (const d of document.querySelectorAll('details')) d.open = true;
}"""


# The headings as the reader sees them, in document order: one bookmark each.
HEADINGS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
  .filter(h => h.getClientRects().length > 0)
  .map(h => h.innerText.split(/\\s+/).join(' ').trim())"""


def fix_bookmarks(pdf: Path, headings: list[str]) -> None:
    """Chromium writes a bookmark per heading but garbles some titles (it drops the space where a heading wraps,
    and doubles a few); put back each heading's own text, appending the change to the file."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(pdf, incremental=True)

    def preorder(node):
        while node is not None:
            node = node.get_object()
            yield node
            yield from preorder(node.get("/First"))
            node = node.get("/Next")

    outlines = writer.root_object.get("/Outlines")
    items = list(preorder(outlines.get_object().get("/First"))) if outlines else []
    if len(items) != len(headings):
        raise SystemExit(f"{pdf}: {len(items)} bookmarks for {len(headings)} headings; check the print stylesheet "
                         "in _static/playbook.css hides no heading Chromium still bookmarks.")
    for item, title in zip(items, headings):
        item[NameObject("/Title")] = TextStringObject(title)
    fixed = io.BytesIO()
    writer.write(fixed)
    pdf.write_bytes(fixed.getvalue())


def build_singlehtml(out: Path) -> Path:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", "singlehtml",
               "-W", "-n", "--keep-going", "--path-output", str(out)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out / "_build" / "singlehtml"


def print_pdf(singlehtml: Path, target: Path, title: str, site_url: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".pdf.part")
    with localsite.serve(singlehtml) as base, localsite.chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/index.html", wait_until="load")
        page.evaluate(ABSOLUTE_LINKS, site_url)
        page.emulate_media(media="print")
        headings = page.evaluate(HEADINGS)
        page.pdf(path=str(partial), format="A4", print_background=True, outline=True, tagged=True,
                 display_header_footer=True, header_template="<span></span>",
                 footer_template=FOOTER.replace('<span class="title"></span>', f"<span>{title}</span>"),
                 margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"})
    fix_bookmarks(partial, headings)
    partial.replace(target)  # never leave a half-written PDF where the site links to it


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path-output", type=Path, default=ROOT,
                        help="folder whose _build/ gets the singlehtml build and the PDF (default: the repository)")
    out = parser.parse_args(argv).path_output.resolve()
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    site_url = _ext("publishing").pages_url(config["repository"]["url"])
    target = out / "_build" / "html" / "downloads" / _ext("downloads").PDF_NAME
    start = time.perf_counter()
    singlehtml = build_singlehtml(out)
    built = time.perf_counter()
    print_pdf(singlehtml, target, config["title"], site_url)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB): single-page build {built - start:.0f} s, "
          f"printing {time.perf_counter() - built:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
