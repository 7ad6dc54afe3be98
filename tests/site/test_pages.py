"""Every page of the built site, in light and dark colour schemes: no WCAG 2.0, 2.1 or 2.2 A/AA violations under
axe-core, and no requests to any host but the local server (civil service networks block CDNs, and readers should
not be tracked)."""
from pathlib import Path
from urllib.parse import urlsplit

import axe_playwright_python
import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from builtsite import ROOT, SITE, site_pages

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PAGES = site_pages()


def describe(violation):
    nodes = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {nodes} [{violation['helpUrl']}]"


@pytest.fixture(params=["light", "dark"])
def visit(request, browser, server):
    """Open a page in the reader's light or dark colour scheme (the theme follows it), blocking and recording every
    request that leaves the local server."""
    context = browser.new_context(color_scheme=request.param)
    foreign = []

    def guard(route):
        if urlsplit(route.request.url).netloc == urlsplit(server).netloc or route.request.url.startswith("data:"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()

    def open_page(path):
        page.goto(f"{server}/{path}", wait_until="load")
        try:  # let late requests happen, so the guard sees them; a busy machine may never look idle
            page.wait_for_load_state("networkidle", timeout=10_000)
        except PlaywrightTimeout:
            pass
        return page, foreign

    yield open_page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_is_accessible_and_stays_local(visit, path):
    page, foreign = visit(path)
    page.add_script_tag(content=AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    problems = [describe(v) for v in result["violations"]]
    assert not problems, f"{path} breaks accessibility rules:\n" + "\n".join(problems)
    assert not foreign, f"{path} calls other hosts:\n" + "\n".join(sorted(set(foreign)))


def test_keyboard_user_can_skip_to_content(visit):
    page, _ = visit("index.html")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert "skip to main content" in focused.lower(), f"first Tab stop on index.html is {focused!r}"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"


def toc_files(node):
    """Every `file` named in _toc.yml, at any depth."""
    if isinstance(node, dict):
        yield from ([node["file"]] if "file" in node else [])
        for value in node.values():
            yield from toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from toc_files(item)


def test_every_page_in_the_table_of_contents_was_built():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    expected = {f"{toc['root']}.html"} | {f"{name}.html" for name in toc_files(toc["parts"])}
    missing = sorted(expected - set(PAGES))
    assert not missing, f"pages in _toc.yml but not in the built site: {missing}"


def test_every_download_on_the_templates_page_is_in_the_site_and_opens():
    """The paperwork downloads are built into the site from the templates; every link must reach a usable file."""
    import re
    import zipfile

    from playbook import rendering

    page = (SITE / "chapters" / "templates.html").read_text(encoding="utf-8")
    links = sorted(set(re.findall(r'href="\.\./downloads/([^"]+)"', page)))
    assert len(links) >= 30, f"only {len(links)} download links on the templates page"
    for link in links:
        target = SITE / "downloads" / link
        assert target.is_file() and target.stat().st_size > 0, f"templates page links to missing {link}"
        if target.suffix == ".docx":
            assert rendering.docx_headings(target)[0][0] == 0, f"{link}: no Word title"
        if target.suffix == ".zip":
            with zipfile.ZipFile(target) as archive:
                assert archive.testzip() is None and len(archive.namelist()) >= 14, link


def test_search_finds_a_page(visit):
    """Search runs on the search page (other pages no longer load the index): a query lists matching pages."""
    page, _ = visit("search.html?q=lawful+basis")
    page.wait_for_selector("#search-results li", timeout=15_000)
    assert page.locator("#search-results li").count() > 0
