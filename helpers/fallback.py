"""Demos that run on the student's function once it is written, and on the course's until then.

A lesson's demo after an exercise calls the student's answer. Before the exercise is solved that
function raises NotImplementedError, and the demo would fail with it. ``yours_or_reference`` wraps
the student's function: it is used while it works, and the first NotImplementedError switches the
demo to the course's reference, with one printed line that says so.
"""
from __future__ import annotations

import functools
from typing import Callable


def yours_or_reference(yours: Callable, reference: Callable, *, name: str | None = None) -> Callable:
    """A function that calls ``yours`` and, once it raises NotImplementedError, ``reference``.

    Prints one line saying which one the demo runs on: "this demo uses your stable_softmax" on the
    first successful call, or that the exercise is not solved yet and the reference stands in.
    Errors other than NotImplementedError are the student's to see and are raised as they are.
    """
    label = name or getattr(yours, "__name__", "your function")
    state = {"use_yours": True, "said": False}

    @functools.wraps(yours)
    def run(*args, **kwargs):
        if state["use_yours"]:
            try:
                result = yours(*args, **kwargs)
            except NotImplementedError:
                state["use_yours"] = False
                print(f"{label} is not written yet: this demo runs on the course's reference instead. "
                      "Solve its exercise and re-run the cell to see yours.")
            else:
                if not state["said"]:
                    print(f"this demo uses your {label}")
                    state["said"] = True
                return result
        return reference(*args, **kwargs)

    return run


def yours_if_defined(namespace: dict, name: str, reference: Callable) -> Callable:
    """The student's function ``namespace[name]`` behind yours_or_reference when the notebook
    defines it (its exercise cell has run in this session), else ``reference``, with a printed line
    saying so. Lets a section that uses an earlier exercise run straight after the setup cell.
    namespace: the notebook's globals()."""
    yours = namespace.get(name)
    if not callable(yours):
        print(f"{name} is not defined in this session (its exercise cell has not run): this section runs on "
              "the course's reference instead. Run that cell and then this one again to use yours.")
        return reference
    return yours_or_reference(yours, reference, name=name)
