"""Serve the built site on localhost and open it in Debian's headless Chromium, for the browser tests."""
import pytest

from builtsite import SITE, localsite


@pytest.fixture(scope="session")
def server():
    with localsite.serve(SITE) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with localsite.chromium() as browser:
        yield browser
