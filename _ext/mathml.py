"""Maths as MathML written at build time, which browsers draw natively: no MathJax script on any page.

MathJax (1.2 MB of JavaScript, and Sphinx loads it on the home page too, because the home page's table of contents
includes pages with maths) was the heaviest thing on the pages that used it, for a handful of short formulas. The
TeX in a page is converted with latex2mathml; a formula it cannot convert fails the build with its page and text,
so nothing is shown wrong. Select it with ``html_math_renderer: mathml`` in _config.yml.
"""
from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)


def _mathml(self, node, display: str) -> str:
    tex = node.astext()
    try:
        return convert(tex, display=display)
    except Exception as error:  # latex2mathml raises many types; all mean "cannot convert this TeX"
        logger.warning(f"cannot write {tex!r} as MathML ({error}): simplify the TeX", location=node)
        return self.encode(tex)


def visit_math(self, node) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_mathml(self, node, "inline") + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append(_mathml(self, node, "block") + "</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
