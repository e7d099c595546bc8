"""Driving widgets in tests: find controls by description, and see the figures each redraw makes.

Exceptions raised while a widget redraws are not swallowed in the tests (tests/conftest.py makes
ipywidgets' Output let them through), so a broken redraw fails the test that moves the control.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt


def controls(root: W.Widget, kind: type = W.ValueWidget) -> dict[str, W.Widget]:
    """Every widget of ``kind`` under ``root``, by its description (depth first)."""
    found, stack = {}, [root]
    while stack:
        widget = stack.pop()
        if isinstance(widget, kind) and getattr(widget, "description", ""):
            found.setdefault(widget.description, widget)
        stack.extend(reversed(getattr(widget, "children", ())))
    return found


def titles(fig: plt.Figure) -> list[str]:
    """The titles of a figure's axes, top left first."""
    return [ax.get_title() for ax in fig.axes]


class Redraws(list):
    """The figures shown so far: each plt.show() appends the current figure."""


def record_redraws(monkeypatch) -> Redraws:
    shown = Redraws()
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(plt.gcf()))
    return shown
