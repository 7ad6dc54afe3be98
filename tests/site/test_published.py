"""What a reader and a link preview see on every built page, read from the HTML: links to the repository, a date,
Open Graph tags, one search box, and none of the heavy scripts the page does not use."""
import re
import subprocess

import pytest
import yaml

from builtsite import ROOT, SITE, site_pages

REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
CONTENT = [p for p in site_pages() if p.startswith(("chapters/", "notebooks/")) or p == "index.html"]
HEAVY = ("scripts/fontawesome.js", "mathjax/", "vendor/require.js", "html-manager/embed-amd.js", "searchindex.js")


def html(path):
    return (SITE / path).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", CONTENT)
def test_page_links_to_the_repository_its_issues_and_its_source(path):
    page = html(path)
    for wanted in (f'href="{REPOSITORY}"', f'href="{REPOSITORY}/issues/new', f'href="{REPOSITORY}/edit/'):
        assert wanted in page, f"{path} has no link starting {wanted}"


@pytest.mark.parametrize("path", CONTENT)
def test_page_has_a_link_preview_and_one_search_box(path):
    page = html(path)
    for tag in ("og:title", "og:description", "og:url"):
        assert re.search(rf'<meta property="{tag}" content="[^"]+"', page), f"{path} has no {tag}"
    assert "navbar-persistent" not in page, f"{path} has a second search box in the header"


@pytest.mark.parametrize("path", [p for p in site_pages() if p != "search.html"])
def test_page_loads_no_heavy_script_it_does_not_use(path):
    page = html(path)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    heavy = [s for s in scripts if any(name in s for name in HEAVY)]
    if "application/vnd.jupyter.widget-state+json" in page:  # a page with widget state needs the widget manager
        heavy = [s for s in heavy if "require.js" not in s and "embed-amd.js" not in s]
    assert not heavy, f"{path} loads {heavy}"


def test_pages_committed_to_git_show_when_they_last_changed():
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True,
                             text=True)
    if shallow.returncode != 0 or shallow.stdout.strip() != "false":
        pytest.skip("not a full git clone: dates come from the history")
    tracked = set(subprocess.run(["git", "ls-files", "chapters", "notebooks", "index.md"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.split())
    undated = [p for p in CONTENT
               if {p.replace(".html", ".md"), p.replace(".html", ".ipynb")} & tracked
               and not re.search(r"Last updated on \d{1,2} \w+ \d{4}", html(p))]
    assert not undated, f"pages with no 'Last updated' date: {undated}"
