"""Where the built site is (_build/html, or the folder named by $PLAYBOOK_SITE), and which pages it has."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import localsite  # noqa: E402  (scripts/ is not a package)

SITE = localsite.site_dir()


def site_pages():
    """Every HTML page of the built site, relative to its root, so that each is checked on its own."""
    if not (SITE / "index.html").exists():
        raise pytest.UsageError(f"No built site at {SITE}: run `make build` first, or set PLAYBOOK_SITE.")
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if "_static" not in p.parts)
