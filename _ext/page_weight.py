"""Keep every page light: each page loads only the scripts it uses (benchmarks/bench_page_weight.py measures it).

Jupyter Book 1 adds every ``.js`` and ``.css`` file under ``_static/`` to every page. That put the vendored MathJax
(a second copy on pages with maths), require.js and the 3.6 MB widget manager on all pages. Here the vendored files
are left to the extensions that load them where needed: Sphinx's MathJax extension on pages with maths
(``mathjax_path``) and MyST-NB's widget scripts on pages that store widget state (``nb_ipywidgets_js``).

Two theme templates are overridden in ``_ext/templates/``: ``static/webpack-macros.html`` drops the 1.5 MB
``fontawesome.js`` (the theme's stylesheet already draws the same icons from its own web font), and
``layout.html`` drops the search index the theme loads on every page. The build warns (so ``-W`` fails) if the
theme's macros file changes, so that the override never silently drops something new.

The theme's stylesheet carries a rule for each of the 1,900 Font Awesome icons (86 kB); after the build, only the
rules for icons that a built page or script names are kept.
"""
from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
VENDOR = "vendor/"
TEMPLATES = Path(__file__).parent / "templates"
# The only lines the override leaves out of the theme's macros file.
DROPPED = ("So that users can add custom icons", "scripts/fontawesome.js")


def _name(entry) -> str:
    return entry if isinstance(entry, str) else entry[0]


def drop_vendored_assets(app, config) -> None:
    """Runs before Sphinx reads html_js_files, so the vendored scripts never reach the every-page list."""
    config.html_js_files = [e for e in config.html_js_files if not _name(e).startswith(VENDOR)]
    config.html_css_files = list(dict.fromkeys(e for e in config.html_css_files if not _name(e).startswith(VENDOR)))


def check_macros_override(app) -> None:
    import pydata_sphinx_theme

    theme_file = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "webpack-macros.html"
    expected = [line for line in theme_file.read_text(encoding="utf-8").splitlines()
                if not any(marker in line for marker in DROPPED)]
    ours = (TEMPLATES / "static" / "webpack-macros.html").read_text(encoding="utf-8").splitlines()
    if ours != expected:
        logger.warning(f"{theme_file} has changed: copy it to _ext/templates/static/webpack-macros.html again, "
                       "without the fontawesome.js lines.")


ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"[^"]*"\}')
THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"


def trim_icon_rules(app, exception) -> None:
    """Drop the theme's rules for icons that no built page names, nor any script or stylesheet a page loads."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    css = outdir / THEME_CSS
    if not css.is_file():
        return
    scanned = set(outdir.rglob("*.html"))
    for page in list(scanned):
        for asset in re.findall(r'(?:src|href)="([^"?#]+\.(?:js|css))', page.read_text(encoding="utf-8")):
            scanned.add((page.parent / asset).resolve())
    scanned.discard(css.resolve())
    named = {name for path in scanned if path.is_file()
             for name in re.findall(r"fa-[a-z0-9-]+", path.read_text(encoding="utf-8", errors="ignore"))}

    def keep(rule):
        return rule[0] if named & set(re.findall(r"fa-[a-z0-9-]+", rule[1])) else ""

    css.write_text(ICON_RULE.sub(keep, css.read_text(encoding="utf-8")), encoding="utf-8")


def setup(app):
    app.connect("config-inited", drop_vendored_assets)
    app.connect("build-finished", trim_icon_rules)
    app.connect("builder-inited", check_macros_override)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
