"""Small fixes to the HTML that Sphinx and docutils write, so that every page passes WCAG checks.

docutils marks each bibliography entry with the DPUB-ARIA role "doc-biblioentry", which ARIA 1.2 deprecates
and which breaks the "list" role of the citation list around it (axe rules aria-deprecated-role and
aria-required-children). A list item is what each entry is.
"""

FIXES = {
    'role="doc-biblioentry"': 'role="listitem"',
}


def fix_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for old, new in FIXES.items():
            body = body.replace(old, new)
        context["body"] = body


def setup(app):
    app.connect("html-page-context", fix_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
