"""The README's first command: `make lab` serves JupyterLab on chapter 01 with the nbgrader and
widgets extensions, and the Assignment List and Formgrader answer without errors."""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.lab.browser import stop_group

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("make") is None, reason="needs make")]
TOKEN = "course-test-token"


def get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(f"{url}{'&' if '?' in url else '?'}token={TOKEN}", timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def lab():
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(["make", "-s", "lab", f"PORT={port}", f"VENV={Path(sys.prefix)}",
                             f"ARGS=--no-browser --ServerApp.token={TOKEN}"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if get(f"{base}/api/status")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not start:\n" + proc.stdout.read().decode())
        yield base
    finally:
        stop_group(proc.pid)


def test_chapter_01_opens(lab):
    status, _ = get(f"{lab}/lab/tree/notebooks/01-foundations/01-foundations.ipynb")
    assert status == 200
    status, body = get(f"{lab}/api/contents/notebooks/01-foundations/01-foundations.ipynb")
    assert status == 200 and json.loads(body)["type"] == "notebook"


def test_nbgrader_and_widget_extensions_are_installed(lab):
    status, body = get(f"{lab}/lab/api/extensions")
    assert status == 200
    names = {ext["name"]: ext for ext in json.loads(body)}
    for name in ("jupyter-nbgrader", "jupyter-widgets-jupyterlab-manager"):   # @jupyter/nbgrader, @jupyter-widgets/jupyterlab-manager
        assert name in names and names[name]["enabled"] and names[name]["installed"], sorted(names)


def test_assignment_list_and_formgrader_answer(lab):
    status, body = get(f"{lab}/assignments?course_id=dlcourse")
    assert status == 200 and json.loads(body)["success"] is True, body
    status, body = get(f"{lab}/courses")
    assert status == 200 and json.loads(body)["success"] is True, body
    assert get(f"{lab}/formgrader")[0] in (200, 302)
