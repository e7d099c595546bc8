"""Keeping a graded kernel honest (used by helpers.course.execute while nbgrader autogrades).

nbgrader runs the tests in the student's own kernel, so a submission can try to make failing tests
pass: replace ``helpers.grading.checks.expect_close`` or ``torch.allclose`` with a function that always
agrees, rebind builtins, swallow every error with an IPython exception handler, wrap each later
cell in ``try`` with an input or AST transformer, or install a trace function. The grader calls
``snapshot()`` right after the locked setup cell and ``restore()`` before every test cell: whatever
the student's cells replaced is put back, so the tests run with the originals, and the list of what
was put back is shown in that test's output.

This is a guard against the tampering a student would try, not a sandbox: code written to defeat
this module specifically can. It must stay importable without IPython (the unit tests call it).
"""
from __future__ import annotations

import builtins
import importlib
import os
import pkgutil
import sys
import types

# Modules whose every attribute is restored, and modules whose functions and classes are.
_ALL_ATTRIBUTES = ("helpers", "builtins")
_CALLABLES_ONLY = ("torch", "numpy", "math")

# Rebound on purpose by IPython and ipykernel during every execution, not by students.
_VOLATILE = {"builtins": {"_", "__", "___", "input", "raw_input"}}

_snapshot: dict | None = None


def _watched(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def _restorable(name: str, attr: str, value) -> bool:
    """Attributes put back: everything of the course's own modules and of builtins; functions,
    classes and modules of the libraries (their other attributes are state that may change)."""
    if attr in _VOLATILE.get(name, ()):
        return False
    if _watched(name, _ALL_ATTRIBUTES):
        return True
    return callable(value) or isinstance(value, types.ModuleType)


def import_course_modules() -> None:
    """Import every helpers module now, before any student code runs, so all are in the snapshot."""
    import helpers
    for info in pkgutil.walk_packages(helpers.__path__, prefix="helpers."):
        if not info.name.startswith("helpers.course"):
            importlib.import_module(info.name)


def _parents() -> dict[int, int]:
    """{pid: parent pid} of every live (not zombie) process this one can see."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if state != "Z":
                parents[int(entry)] = int(ppid)
    return parents


def _reap_zombies() -> None:
    """Collect the exit status of this process's dead children (they count as processes until then)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _strays(me: int) -> list[int]:
    parents = _parents()
    if os.environ.get("DLCOURSE_SANDBOX") == "1":         # its own PID namespace: all but init and me
        return [pid for pid in parents if pid not in (1, me)]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], list(children.get(me, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def reap_strays(rounds: int = 50) -> int:
    """Kill every process this kernel started that still runs (a fork bomb's copies, a forgotten
    server); returns how many. In the grading sandbox, which has its own PID namespace, that is
    every process but its init and this one; elsewhere this process's descendants. Repeated until
    none is left, since a fork bomb's copies fork while they are being killed."""
    import signal
    if not os.path.isdir("/proc"):
        return 0
    me, killed = os.getpid(), 0
    for _ in range(rounds):
        strays = _strays(me)
        if not strays:
            break
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        _reap_zombies()
    _reap_zombies()
    return killed


def limit_memory(gigabytes: float) -> None:
    """Cap this process's address space, so that a memory bomb raises MemoryError instead of
    taking the machine down. Skipped with CUDA, which reserves far more address space than it uses.
    A reserve held under the cap is freed on MemoryError, so the error can still be shown."""
    import resource

    import torch

    from helpers.grading import feedback
    if gigabytes <= 0 or torch.cuda.is_available():
        return
    limit = int(gigabytes * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    feedback.hold_memory_reserve()
    shell = _shell()
    if shell is not None:
        feedback.install(shell)


def _watched_classes() -> list[type]:
    import torch
    classes = [torch.Tensor, torch.nn.Module]
    for name, module in list(sys.modules.items()):
        if module is not None and _watched(name, ("helpers",)):
            classes += [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == name]
    return classes


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _shell_state(shell) -> dict:
    if shell is None:
        return {}
    return {"custom_exceptions": shell.custom_exceptions, "CustomTB": getattr(shell, "CustomTB", None),
            "input_transformers_cleanup": list(shell.input_transformers_cleanup),
            "input_transformers_post": list(shell.input_transformers_post),
            "ast_transformers": list(shell.ast_transformers),
            "events": {name: list(callbacks) for name, callbacks in shell.events.callbacks.items()}}


def snapshot() -> None:
    """Record the modules, classes, interpreter hooks and IPython shell state to restore later."""
    global _snapshot
    roots = _ALL_ATTRIBUTES + _CALLABLES_ONLY
    modules = {name: (module, dict(vars(module))) for name, module in list(sys.modules.items())
               if module is not None and _watched(name, roots) and name != __name__}
    modules["builtins"] = (builtins, dict(vars(builtins)))
    _snapshot = {"modules": modules,
                 "classes": {cls: dict(vars(cls)) for cls in _watched_classes()},
                 "trace": (sys.gettrace(), sys.getprofile()),
                 "shell": _shell_state(_shell())}


def _torch_rewrapped(now, before) -> bool:
    """Whether ``now`` is torch's own ``_disable_dynamo`` wrapper around ``before``: importing
    torch._dynamo, which torch does lazily (on the first torch.optim step, for one), rebinds
    torch.manual_seed that way. Not tampering: the wrapper calls the original."""
    if not isinstance(now, types.FunctionType) or now.__dict__.get("__wrapped__") is not before:
        return False
    wrap = getattr(sys.modules.get("torch"), "_disable_dynamo", None)
    return wrap is not None and now.__code__ is getattr(wrap(_torch_rewrapped), "__code__", None)


def _restore_modules(saved: dict) -> list[str]:
    fixed = []
    for name, (module, attributes) in saved.items():   # this module is not in it: it holds the snapshot
        if sys.modules.get(name, module) is not module:
            sys.modules[name] = module
            fixed.append(f"sys.modules[{name!r}]")
        current = vars(module)
        for attr, value in attributes.items():
            now = current.get(attr, value)
            if now is value or not _restorable(name, attr, value):
                continue
            if _watched(name, ("torch",)) and _torch_rewrapped(now, value):
                attributes[attr] = now                  # torch's own rebinding: keep it, say nothing
                continue
            setattr(module, attr, value)
            fixed.append(f"{name}.{attr}")
    return fixed


def _restore_classes(saved: dict) -> list[str]:
    fixed = []
    for cls, attributes in saved.items():
        for attr in set(vars(cls)) - set(attributes):          # added: it may shadow an inherited one
            try:
                delattr(cls, attr)
                fixed.append(f"{cls.__qualname__}.{attr}")
            except (AttributeError, TypeError):
                pass
        for attr, value in attributes.items():
            if vars(cls).get(attr, value) is not value:
                try:
                    setattr(cls, attr, value)
                    fixed.append(f"{cls.__qualname__}.{attr}")
                except (AttributeError, TypeError):
                    pass
    return fixed


def _restore_tracing(trace: tuple) -> list[str]:
    """sys.settrace and sys.setprofile (sys.excepthook and displayhook are IPython's to swap)."""
    fixed = []
    if sys.gettrace() is not trace[0]:
        sys.settrace(trace[0])
        fixed.append("sys.settrace")
    if sys.getprofile() is not trace[1]:
        sys.setprofile(trace[1])
        fixed.append("sys.setprofile")
    return fixed


def _restore_shell(saved: dict) -> list[str]:
    shell = _shell()
    if shell is None or not saved:
        return []
    fixed = []
    for attr in ("custom_exceptions", "CustomTB"):
        if getattr(shell, attr, None) is not saved[attr]:
            setattr(shell, attr, saved[attr])
            fixed.append(f"the IPython shell's {attr}")
    for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
        if getattr(shell, attr) != saved[attr]:
            getattr(shell, attr)[:] = saved[attr]
            fixed.append(f"the IPython shell's {attr}")
    for event, callbacks in shell.events.callbacks.items():
        before = saved["events"].get(event, [])
        if callbacks != before:
            changed = [cb for cb in callbacks if cb not in before] + [cb for cb in before if cb not in callbacks]
            callbacks[:] = before
            if not all(_benign_callback(cb) for cb in changed):
                fixed.append(f"the IPython shell's {event} callbacks")
    return fixed


# Libraries whose event callbacks honest notebooks install (`%matplotlib inline` registers
# flush_figures, `%load_ext autoreload` its reloader): still removed before each test, not reported.
_BENIGN_CALLBACK_MODULES = ("matplotlib_inline.", "IPython.extensions.", "ipykernel.", "IPython.core.")


def _benign_callback(callback) -> bool:
    target = getattr(callback, "__func__", callback)
    module = getattr(target, "__module__", None) or ""
    return module.startswith(_BENIGN_CALLBACK_MODULES)


def restore() -> list[str]:
    """Put back everything recorded by snapshot() that has changed since; returns what was put
    back (empty when nothing was touched, or before any snapshot)."""
    if _snapshot is None:
        return []
    return (_restore_modules(_snapshot["modules"]) + _restore_classes(_snapshot["classes"])
            + _restore_tracing(_snapshot["trace"]) + _restore_shell(_snapshot["shell"]))


def report(fixed: list[str], limit: int = 8) -> str:
    """The note shown in a test's output when restore() had to put things back."""
    if not fixed:
        return ""
    names = ", ".join(fixed[:limit]) + (f" and {len(fixed) - limit} more" if len(fixed) > limit else "")
    return (f"Grading note: code in this notebook had replaced {names}. The originals were put back "
            "before this test ran, so it checks your answers with the real functions.\n")
