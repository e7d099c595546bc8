"""A pytest plugin, always loaded (pyproject's addopts), that records how long each test took
(setup, call and teardown together) and the whole run's wall clock, when DLCOURSE_SUITE_TIMES
names a file: ``DLCOURSE_SUITE_TIMES=times.json make test``, then ``dlcourse bench --suite-times
times.json`` prints where the time went. `dlcourse bench --suite` does both in one step."""
from __future__ import annotations

import json
import os
import time
from collections import defaultdict

_times: dict[str, float] = defaultdict(float)
_start: list[float] = []


def pytest_sessionstart(session):
    _start[:] = [time.perf_counter()]


def pytest_runtest_logreport(report):
    _times[report.nodeid] += report.duration


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("DLCOURSE_SUITE_TIMES")
    if path:
        wall = time.perf_counter() - _start[0] if _start else 0.0
        with open(path, "w") as f:
            json.dump({"wall_s": wall, "exit_code": int(exitstatus), "tests": dict(_times)}, f, indent=0)
