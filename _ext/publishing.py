"""The published site's address, derived from the one repository setting in _config.yml (``repository: url:``).

A GitHub repository ``https://github.com/OWNER/NAME`` publishes to ``https://OWNER.github.io/NAME/`` with GitHub
Pages. That address feeds the Open Graph tags (link previews in email and chat) and the canonical link of each
page. Setting ``ogp_site_url`` in _config.yml overrides it, for a site published elsewhere.
"""
from __future__ import annotations

import re

from sphinx.errors import ConfigError

GITHUB = re.compile(r"https://github\.com/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)/?$")


def pages_url(repository_url: str) -> str:
    """GitHub Pages address of a GitHub repository."""
    match = GITHUB.match(repository_url or "")
    if not match:
        raise ConfigError(f"_config.yml repository url {repository_url!r} is not https://github.com/OWNER/NAME: "
                          "fix it, or set ogp_site_url under sphinx: config: to the published address.")
    return f"https://{match['owner'].lower()}.github.io/{match['name']}/"


def derive_site_url(app, config) -> None:
    if not config.ogp_site_url:
        config.ogp_site_url = pages_url(config.html_theme_options.get("repository_url", ""))
    if not config.ogp_site_name:
        config.ogp_site_name = config.html_title
    if not config.html_baseurl:
        config.html_baseurl = config.ogp_site_url


def setup(app):
    app.setup_extension("sphinxext.opengraph")
    app.connect("config-inited", derive_site_url)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
