"""JupyterLab as a learner meets it: `make lab` opens the learner pack from the lighter install.

Each lesson is opened in a real JupyterLab, in Debian's Chromium, and the text a learner can see is checked: no
raw MyST role or directive, no solution or facilitator answer, no widget shown as text before it runs, and no
news pop-up over the notebook. Needs the lighter install (.venv-lab, or $LAB_VENV): `make lab-check` runs it.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import localsite  # noqa: E402  (scripts/ is not a package)

LAB_VENV = Path(os.environ.get("LAB_VENV", ROOT / ".venv-lab")).resolve()
LESSONS = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
RAW_MYST = re.compile(r"\{[a-z][\w:-]*\}`|```\{|:::\{|^:(label|class):", re.M)
WIDGET_AS_TEXT = re.compile(r"\b(VBox|HBox|GridBox|Tab|Accordion)\(children=")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on the learner pack, with the project's settings and no one's personal settings."""
    jupyter = LAB_VENV / "bin" / "jupyter"
    if not jupyter.exists():
        pytest.fail(f"No lighter install at {LAB_VENV}: run `make lab-check`, which installs it first.")
    home = tmp_path_factory.mktemp("lab")
    pack = home / "pack"
    subprocess.run([sys.executable, ROOT / "scripts" / "learner_pack.py", pack], check=True, capture_output=True)
    port = free_port()
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(
        [jupyter, "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
         "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={pack}"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start: see {home / 'lab.log'}")
        yield url, pack
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with localsite.chromium() as browser:
        yield browser


def hidden_from_learners(lesson: str) -> list[str]:
    """A distinctive line of prose from each solution and facilitator answer in the tracked lesson."""
    cells = json.loads((ROOT / "notebooks" / lesson).read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if "solution" in cell["metadata"].get("tags", []) and cell["cell_type"] == "markdown":
            prose = [line.strip() for line in "".join(cell["source"]).splitlines()
                     if len(line.strip()) > 40 and not RAW_MYST.search(line) and "`" not in line and "$" not in line]
            lines.extend(prose[:1])
    return lines


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_learner_sees_rendered_text_and_no_solutions(lab, browser, lesson):
    url, pack = lab
    notebook = json.loads((pack / "with-outputs" / lesson).read_text(encoding="utf-8"))
    markdown_cells = sum(cell["cell_type"] == "markdown" for cell in notebook["cells"])
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{url}/lab/tree/with-outputs/{lesson}?reset", timeout=60_000)
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown').length >= n",
            arg=markdown_cells, timeout=60_000)
        page.wait_for_timeout(1500)  # time for a pop-up to appear, if the settings let one through
        text = page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden)")
        toasts = page.locator(".Toastify__toast").all_inner_texts()
    finally:
        page.close()
    assert not RAW_MYST.search(text), f"{lesson}: raw MyST visible: {[m.group(0) for m in RAW_MYST.finditer(text)][:5]}"
    assert not WIDGET_AS_TEXT.search(text), f"{lesson}: a widget shows as text before it runs"
    assert "Answer for the facilitator" not in text, f"{lesson}: a facilitator answer is visible"
    for line in hidden_from_learners(lesson):
        assert line not in text, f"{lesson}: solution text visible to learners: {line[:80]}"
    assert "### Exercise" not in text and ("Exercise:" in text), f"{lesson}: exercises not rendered as headings"
    assert not toasts, f"{lesson}: a pop-up covers the notebook: {toasts}"
    assert "No renderer could be found" not in text, f"{lesson}: an output JupyterLab cannot draw is shown"
