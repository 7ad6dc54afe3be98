"""Serve a built site on localhost and open it in Debian's headless Chromium.

One place for this, used by the browser tests (tests/site), the page-weight benchmark and the PDF build. The built
HTML folder is ``_build/html`` unless the environment variable PLAYBOOK_SITE names another, so that a check can
run against a build made elsewhere (for example ``--path-output /tmp/build``).
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def site_dir(folder: str | os.PathLike | None = None) -> Path:
    """The built HTML folder: ``folder`` if given, else $PLAYBOOK_SITE, else _build/html."""
    return Path(folder or os.environ.get("PLAYBOOK_SITE") or ROOT / "_build" / "html").resolve()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on a free localhost port for the duration; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def chromium():
    """Debian's headless Chromium through Playwright (Playwright's own browser download does not work here)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Chromium is missing: run `bash scripts/ensure-chromium` (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
