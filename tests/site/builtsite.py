"""Where the built site is, and which pages it has."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"


def site_pages():
    """Every HTML page of the built site, relative to its root, so that each is checked on its own."""
    if not (SITE / "index.html").exists():
        raise pytest.UsageError(f"No built site at {SITE}: run `make build` first.")
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if "_static" not in p.parts)
