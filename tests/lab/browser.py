"""Driving JupyterLab and the Formgrader in a real Chromium (Playwright), as a person would.

Small helpers for tests/lab/test_browser.py: a course copy served by its own JupyterLab, the
browser, and a notebook page object that runs cells, types into them and reads their outputs.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT

SCREENSHOTS = ROOT / ".artifacts" / "browser"      # git-ignored
TOKEN = "browser-test-token"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# A headless Chromium in a container: no sandbox of its own (it may run as root), no GPU, and none
# of the background traffic (updates, sync) that would try the network.
BROWSER_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run")
# JupyterLab settings for the test: every cell in the DOM (no virtual scrolling), no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}
# An error as a cell shows it: the course's short "CheckFailure: ..." display, or IPython's
# traceback, which opens with a rule of dashes and then "SomeError   Traceback (most recent ...)".
ERROR_TEXT = re.compile(r"^(?:-{20,}\s+)?\w*(Error|Failure|Exception|Interrupt)\b")
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
IDLE = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
WIDGET_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]'


def browser_executable() -> str | None:
    """The system's Chromium ($DLCOURSE_BROWSER first); None when there is none."""
    names = (os.environ.get("DLCOURSE_BROWSER"), *BROWSER_NAMES)
    return next((shutil.which(n) for n in names if n and shutil.which(n)), None)


def write_lab_settings(folder: Path) -> Path:
    for name, values in LAB_SETTINGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


def api(base: str, method: str, path: str, timeout: float = 30) -> tuple[int, object]:
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        body = resp.read().decode()
        return resp.status, json.loads(body) if body else None


class Lab:
    """A JupyterLab serving ``course`` on ``port``; stop() ends it and its kernels."""

    def __init__(self, course: Path, port: int, settings: Path, log: Path):
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        env.pop("NBGRADER_EXECUTION", None)
        self.base, self.log = f"http://127.0.0.1:{port}", log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--ServerApp.port={port}",
                 f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={course}", "--ServerApp.open_browser=False",
                 f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={settings.parent / 'workspaces'}",
                 *(["--allow-root"] if os.geteuid() == 0 else [])],
                cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if api(self.base, "GET", "/api/status", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.3)

    def shut_down_kernels(self) -> None:
        """End every notebook session, so that kernels do not pile up between chapters."""
        for session in api(self.base, "GET", "/api/sessions")[1]:
            api(self.base, "DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        stop_group(self.proc.pid)


def stop_group(pgid: int, grace: float = 5.0) -> None:
    """SIGTERM make, JupyterLab and its kernels; SIGKILL whatever is left after ``grace`` s."""
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)


@contextmanager
def page_for(browser, lab: Lab, name: str):
    """A fresh browser page logged in to ``lab``; a screenshot named ``name`` is kept if the block fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  extra_http_headers={"Authorization": f"token {TOKEN}"})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    except BaseException:
        screenshot(page, f"FAILED-{name}")
        raise
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    try:
        page.screenshot(path=str(path))
    except Exception:      # a page that died still lets the test report its own failure
        pass
    return path


class NotebookPage:
    """One notebook open in JupyterLab. Cell indices are the notebook file's (all cells are in the DOM)."""

    def __init__(self, page, lab: Lab, path: str, n_cells: int):
        self.page, self.path = page, path
        page.goto(f"{lab.base}/lab/tree/{path}?reset&token={TOKEN}")   # reset: only this notebook open
        self.cells = page.locator(".jp-Notebook .jp-Cell")
        self.cells.nth(n_cells - 1).wait_for(state="attached", timeout=90_000)     # rendered in full
        page.wait_for_selector(IDLE, timeout=90_000)

    def menu(self, menu: str, command: str) -> None:
        self.page.locator("#jp-MainMenu").get_by_text(menu, exact=True).click()
        self.page.locator(f'li[data-command="{command}"]').click()

    def run_all(self, timeout_s: float = 240) -> int:
        """Run > Run All Cells, until the kernel stops (at the end or the first error). Returns the
        index of the first cell showing an error, or -1."""
        self._run("runmenu:run-all", 0)
        self._wait_stopped(timeout_s)
        return self.first_error()

    def _run(self, command: str, start: int, timeout_s: float = 60) -> None:
        """A Run-menu command that runs cells from ``start`` on; returns once the first code cell
        from there has been queued or run (before that the kernel still looks idle)."""
        first = self.cells.evaluate_all(
            "(cells, start) => cells.findIndex((c, i) => i >= start && c.classList.contains('jp-CodeCell'))", start)
        prompt = self.cells.nth(first).locator(".jp-InputArea-prompt") if first >= 0 else None
        before = prompt.inner_text() if prompt else ""
        self.menu("Run", command)
        deadline = time.monotonic() + timeout_s
        while prompt and prompt.inner_text() == before:
            assert time.monotonic() < deadline, f"{command} did not start cell {first}"
            time.sleep(0.05)

    def _running(self) -> bool:
        return self.page.locator(".jp-InputArea-prompt", has_text="[*]").count() > 0 or not self._idle()

    def _wait_stopped(self, timeout_s: float, until=lambda: False) -> None:
        """Wait until no cell is queued or running, or until ``until()`` holds."""
        deadline = time.monotonic() + timeout_s
        while self._running() and not until():
            assert time.monotonic() < deadline, f"the cells did not finish within {timeout_s:.0f} s"
            time.sleep(0.2)

    @staticmethod
    def _wait_for(condition, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.1)
        return bool(condition())

    def _idle(self) -> bool:
        return self.page.locator(IDLE).count() > 0

    def wait_idle(self, timeout_s: float = 120) -> None:
        """Wait until the kernel has started on what it was sent and finished it."""
        time.sleep(0.5)
        self.page.wait_for_selector(IDLE, timeout=timeout_s * 1000)

    def first_error(self, start: int = 0) -> int:
        return self.cells.evaluate_all(
            "(cells, [start, pattern]) => cells.findIndex((c, i) => i >= start && [...c.querySelectorAll("
            "'.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')].some("
            "o => new RegExp(pattern).test(o.innerText)))", [start, ERROR_TEXT.pattern])

    def errors(self, index: int) -> str:
        """The error text a cell shows ('' if none)."""
        shown = self.cells.nth(index).locator(STDERR).all_inner_texts()
        return "\n".join(t for t in shown if ERROR_TEXT.match(t))

    def output(self, index: int) -> str:
        return self.cells.nth(index).locator(".jp-Cell-outputArea").inner_html()

    def select(self, index: int) -> None:
        self.cells.nth(index).locator(".jp-InputPrompt").first.click()

    def type_code(self, index: int, code: str) -> None:
        """Replace cell ``index``'s code with ``code``, as pasted (no auto-indentation)."""
        self.cells.nth(index).locator(".cm-content").click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(code)

    def run_selected(self, index: int, timeout_s: float = 240) -> None:
        """Shift+Enter on the selected cell ``index``; for a code cell, wait until it has run (its
        prompt shows a new execution count)."""
        code = self._code_cell(index)
        prompt = self.cells.nth(index).locator(".jp-InputArea-prompt")
        before = prompt.inner_text() if code else ""
        self.page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + timeout_s
        while code and ((now := prompt.inner_text()) == before or not re.match(r"\[\d+\]", now)):
            assert time.monotonic() < deadline, f"cell {index} did not finish"
            time.sleep(0.1)

    def _code_cell(self, index: int) -> bool:
        return "jp-CodeCell" in (self.cells.nth(index).get_attribute("class") or "")

    def run_until_slider(self, start: int, timeout_s: float = 240):
        """Run on from cell ``start`` one cell at a time (Shift+Enter, as a student reads on past a
        failed test) until a cell shows a slider, unless one already shows above ``start``. Nothing is
        left queued behind it, so no interrupt is needed. Returns (the cell holding the slider, the slider)."""
        shown = self.cells.evaluate_all(
            "cells => cells.findIndex(c => [...c.querySelectorAll('[role=slider]')].some(s => s.offsetParent))")
        if 0 <= shown < start:
            return shown, self.cells.nth(shown).locator("[role=slider]").first
        self.select(start)
        for index in range(start, self.cells.count()):
            self.run_selected(index, timeout_s)
            slider = self.cells.nth(index).locator("[role=slider]")
            if self._code_cell(index) and self.cells.nth(index).locator(WIDGET_OUTPUT).count():
                self._wait_for(slider.count, 15)       # a widget renders just after its cell ends
            if slider.count():
                return index, slider.first
        raise AssertionError("no slider showed anywhere in the chapter")

    def validate(self, timeout_s: float = 300) -> str:
        """Press nbgrader's Validate button; returns the text of the verdict dialog."""
        self.page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.wait_for(timeout=timeout_s * 1000)
        return dialog.inner_text()


def drag(page, handle, dx: float) -> None:
    """Drag a slider's handle ``dx`` pixels to the right with the mouse, as a person would."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=5)
    page.mouse.up()


def close_modal(page, modal) -> None:
    """Close a Formgrader (Bootstrap) dialog and wait until it and its backdrop are gone."""
    modal.get_by_role("button").first.click()
    modal.wait_for(state="hidden")
    page.wait_for_selector(".modal-backdrop", state="detached")


def wait_for_change(read, before: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while (now := read()) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    return now
