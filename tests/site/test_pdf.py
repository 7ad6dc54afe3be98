"""The whole-book PDF (`make pdf`, which `make test` runs before these tests): it exists where the site links to it,
has a bookmark for every page's title, numbered pages and links inside it."""
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from builtsite import SITE, site_pages

PDF = SITE / "downloads" / "data-sharing-playbook.pdf"


def flatten(outline):
    for item in outline:
        if isinstance(item, list):
            yield from flatten(item)
        else:
            yield " ".join(item.title.split())


def page_title(html: Path) -> str:
    """The page's first heading, as the reader sees it (without the permalink sign)."""
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html.read_text(encoding="utf-8"), re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>|#", "", heading).split()).replace("&amp;", "&")


@pytest.fixture(scope="module")
def reader():
    if not PDF.is_file():
        raise pytest.UsageError(f"No PDF at {PDF}: run `make pdf` after the build.")
    return PdfReader(PDF)


def test_every_chapter_title_is_a_bookmark(reader):
    bookmarks = set(flatten(reader.outline))
    pages = [p for p in site_pages() if p.startswith(("chapters/", "notebooks/"))]
    missing = [f"{p}: {page_title(SITE / p)!r}" for p in pages if page_title(SITE / p) not in bookmarks]
    assert not missing, "chapters with no bookmark in the PDF:\n" + "\n".join(missing)


def test_pages_are_numbered_and_links_stay_inside(reader):
    total = len(reader.pages)
    assert f"5 of {total}" in reader.pages[4].extract_text()
    internal = sum(1 for page in reader.pages[:30] for link in page.get("/Annots") or []
                   if "/Dest" in link.get_object())
    assert internal > 0, "no internal links on the first 30 pages of the PDF"


def test_every_page_offers_the_pdf_and_its_source():
    """Every page's download menu links to the whole-book PDF and to its own source; lessons to their learner
    version without solutions."""
    problems = []
    for path in site_pages():
        if not path.startswith(("chapters/", "notebooks/")):
            continue
        html = (SITE / path).read_text(encoding="utf-8")
        links = set(re.findall(r'href="(?:\.\./)*([^"#]+)"', html))
        wanted = {"downloads/data-sharing-playbook.pdf", "_sources/" + path.replace(".html", ".md")}
        if path.startswith("notebooks/"):
            name = Path(path).stem + ".ipynb"
            wanted = {"downloads/data-sharing-playbook.pdf", f"_sources/notebooks/{name}", f"downloads/learner/{name}"}
        for link in sorted(wanted - links):
            problems.append(f"{path} has no link to {link}")
        for link in sorted(wanted & links):
            if not (SITE / link).is_file():
                problems.append(f"{path} links to missing {link}")
    assert not problems, "\n".join(problems)


def test_learner_notebooks_have_no_solutions():
    import nbformat

    notebooks = sorted((SITE / "downloads" / "learner").glob("*.ipynb"))
    assert len(notebooks) == len([p for p in site_pages() if p.startswith("notebooks/")]), "learner notebooks missing"
    for notebook in notebooks:
        cells = nbformat.read(notebook, as_version=4).cells
        assert not [c for c in cells if "solution" in c.metadata.get("tags", [])], notebook.name
        assert not any("{solution" in c.source or "Answer for the facilitator" in c.source for c in cells), notebook.name
        # Outputs are kept, so that someone working on paper has the tables and charts to read from.
        assert [c for c in cells if c.cell_type == "code" and c.outputs], notebook.name
