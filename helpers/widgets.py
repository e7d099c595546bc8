"""The only ipywidgets wiring of the course: an output area redrawn when controls change, and tabs.

Each chapter's widgets live in its ``demos`` module; their logic is a plain function (tested on its
own) and the widget only wires controls to it with ``live_output``.
"""
from __future__ import annotations

from typing import Callable, Iterable

import ipywidgets as W
import matplotlib.pyplot as plt


def live_output(draw: Callable[[], None], controls: Iterable[W.ValueWidget]) -> W.Output:
    """An output area showing the figure ``draw()`` makes: drawn now, and again each time one of
    ``controls`` changes its value."""
    out = W.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            draw()
            plt.show()

    for control in controls:
        control.observe(redraw, names="value")
    redraw()
    return out


def tabs(pages: dict[str, W.Widget]) -> W.Tab:
    """A Tab widget with one titled page per entry of ``pages``."""
    tab = W.Tab(children=list(pages.values()))
    for i, title in enumerate(pages):
        tab.set_title(i, title)
    return tab
