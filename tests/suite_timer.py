"""A pytest plugin that records how long each test took (setup, call and teardown together), for
`dlcourse bench --suite`: ``pytest -p tests.suite_timer`` with DLCOURSE_SUITE_TIMES=file.json."""
from __future__ import annotations

import json
import os
from collections import defaultdict

_times: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    _times[report.nodeid] += report.duration


def pytest_sessionfinish(session):
    path = os.environ.get("DLCOURSE_SUITE_TIMES")
    if path:
        with open(path, "w") as f:
            json.dump(dict(_times), f, indent=0)
