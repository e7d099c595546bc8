"""A class on the course's JupyterHub (hub/jupyterhub_config.py), end to end through the hub.

The hub runs in its trial mode (any listed name logs in; servers run as this user, homes under the
hub's state folder) with an instructor and two students. Everything goes through the hub's proxy
and each user's own server, as the JupyterLab extensions would: the instructor's Formgrader API
generates and releases the fixture chapter (chapter 01's exercises, tests/grading/fixture.py);
alice and bob fetch it through their Assignment List API; alice saves the worked solution through
the contents API, bob submits the release untouched; the instructor collects, autogrades (in the
sandbox), generates and releases feedback; each student fetches feedback and gets only their own.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from helpers.course import grading, paths
from tests.conftest import ROOT, free_port
from tests.grading.fixture import CHAPTER

PROXY = ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not PROXY.exists(), reason="JupyterHub's proxy is missing: make hub-tools")]
STUDENTS = ("alice", "bob")
COURSE_ID = "dlcourse"


class Hub:
    """The running hub: its URL, an admin token, and a request helper."""

    def __init__(self, url: str, token: str, log: Path):
        self.url, self.token, self.log = url, token, log
        self.user_tokens: dict[str, str] = {}

    def request(self, method: str, path: str, *, token: str | None = None, form: dict | None = None,
                body: dict | None = None, timeout: float = 300) -> tuple[int, str]:
        data, headers = None, {"Authorization": f"token {token or self.token}"}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
        except urllib.error.URLError as err:          # not listening yet
            return 0, str(err.reason)

    def api(self, method: str, path: str, **kwargs):
        status, text = self.request(method, "/hub/api" + path, **kwargs)
        assert status < 300, f"{method} {path}: {status} {text}\n{self.log.read_text()[-3000:]}"
        return json.loads(text) if text else None

    def start_servers(self, users: tuple[str, ...]) -> None:
        """Start every user's server at once and wait until all are ready; keep a token for each."""
        for user in users:
            self.request("POST", f"/hub/api/users/{user}/server")
        waiting, deadline = set(users), time.monotonic() + 180
        while waiting and time.monotonic() < deadline:
            for user in sorted(waiting):
                if self.api("GET", f"/users/{user}")["servers"].get("", {}).get("ready"):
                    self.user_tokens[user] = self.api("POST", f"/users/{user}/tokens", body={"expires_in": 3600})["token"]
                    waiting.discard(user)
            time.sleep(0.5)
        assert not waiting, f"servers of {sorted(waiting)} did not start:\n{self.log.read_text()[-3000:]}"

    def as_user(self, user: str, method: str, path: str, **kwargs):
        status, text = self.request(method, f"/user/{user}{path}", token=self.user_tokens[user], **kwargs)
        assert status < 300, f"{user} {method} {path}: {status} {text[:2000]}"
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def hub(tmp_path_factory, fixture_root):
    base = tmp_path_factory.mktemp("hub")
    course = grading.course_copy(fixture_root, base / "course", [CHAPTER])
    port, token, log = free_port(), secrets.token_hex(16), base / "hub.log"
    env = {**os.environ, "DLCOURSE_HUB_MODE": "trial", "DLCOURSE_HUB_PORT": str(port),
           "DLCOURSE_HUB_STATE": str(base / "state"), "DLCOURSE_EXCHANGE": str(base / "exchange"),
           "DLCOURSE_HUB_COURSE": str(course), "DLCOURSE_HUB_STUDENTS": ",".join(STUDENTS),
           "DLCOURSE_HUB_INSTRUCTORS": "instructor", "DLCOURSE_HUB_API_TOKEN": token,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NBGRADER_EXECUTION", None)
    with log.open("w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
                                cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Hub(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + 60
        while running.request("GET", "/hub/api/")[0] != 200:
            assert proc.poll() is None and time.monotonic() < deadline, f"the hub did not start:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        running.start_servers(("instructor", *STUDENTS))
        yield running, course, base
    finally:
        os.killpg(proc.pid, signal.SIGINT)            # the hub stops its proxy and the users' servers
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def graded_class(hub, fixture_root):
    running, course, base = hub
    formgrader = f"/formgrader/api/assignment/{CHAPTER}"
    running.as_user("instructor", "POST", f"{formgrader}/assign")
    released = running.as_user("instructor", "POST", f"{formgrader}/release")
    assert released["success"], released
    for student in STUDENTS:
        listed = running.as_user(student, "GET", f"/assignments?course_id={COURSE_ID}")
        assert [a["assignment_id"] for a in listed["value"]] == [CHAPTER], listed
        running.as_user(student, "POST", "/assignments/fetch", form={"course_id": COURSE_ID, "assignment_id": CHAPTER})
    solution = nbformat.read(paths.notebook(fixture_root, "solutions", CHAPTER), as_version=4)
    running.as_user("alice", "PUT", f"/api/contents/{COURSE_ID}/{CHAPTER}/{CHAPTER}.ipynb",
                    body={"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(solution))})
    for student in STUDENTS:
        running.as_user(student, "POST", "/assignments/submit", form={"course_id": COURSE_ID, "assignment_id": CHAPTER})
    collected = running.as_user("instructor", "POST", f"{formgrader}/collect")
    assert collected["success"], collected
    for student in STUDENTS:
        graded = running.as_user("instructor", "POST", f"/formgrader/api/submission/{CHAPTER}/{student}/autograde")
        assert graded["success"], graded
    for step in ("generate_feedback", "release_feedback"):
        done = running.as_user("instructor", "POST", f"{formgrader}/{step}")
        assert done["success"], done
    for student in STUDENTS:
        running.as_user(student, "POST", "/assignments/fetch_feedback",
                        form={"course_id": COURSE_ID, "assignment_id": CHAPTER})
    return running, course, base


def test_each_student_is_graded_through_the_hub(graded_class):
    running, course, _ = graded_class
    submissions = {s["student"]: s for s in running.as_user("instructor", "GET", f"/formgrader/api/submissions/{CHAPTER}")}
    assert set(submissions) == set(STUDENTS)
    assert submissions["alice"]["score"] == submissions["alice"]["max_score"] > 0
    assert submissions["bob"]["score"] == 0


def test_each_student_sees_only_their_own_feedback(graded_class):
    running, _, base = graded_class
    for student in STUDENTS:
        listed = running.as_user(student, "GET", f"/assignments?course_id={COURSE_ID}")["value"]
        submissions = [sub for a in listed if a["status"] == "submitted" for sub in a["submissions"]]
        assert submissions and all(sub["student_id"] == student for sub in submissions), submissions
        assert all(sub["has_local_feedback"] for sub in submissions), submissions
        pages = sorted((base / "state" / "homes" / student / COURSE_ID / CHAPTER / "feedback").glob("*/*.html"))
        assert pages, f"{student} fetched no feedback"
        total = re.search(r"Score: ([0-9.]+) / ([0-9.]+)", pages[-1].read_text())  # the first is the total
        assert total, f"{student}'s feedback has no score"
        earned, possible = map(float, total.groups())
        assert earned == (possible if student == "alice" else 0.0), (student, earned, possible)
