"""Assertions for graded test cells.

A failed check raises ``CheckFailure`` (an AssertionError) whose message says what is wrong,
where, and, when the wrong output matches a known mistake from the exercise's catalogue, what the
student most likely did. Typical use in a test cell::

    checks.expect_close(stable_softmax(z), expected, what="stable_softmax(z) for logits near 1000",
                        mistakes=SOFTMAX_MISTAKES, args=(z,))

The torch functions the verdicts depend on are bound here at import time, so a submission that
later rebinds ``torch.allclose`` or ``torch.isfinite`` does not change them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from helpers.grading.guard import ForbiddenCall, blocking, names_of, reference

# Bound once: graded code may rebind the public names, these stay the originals.
_isfinite = torch.isfinite
_isnan = torch.isnan
_as_tensor = torch.as_tensor
_zeros_like = torch.zeros_like
_is_tensor = torch.is_tensor
_float64 = torch.float64


# What computes a gradient for the student: refused in exercises that ask for one by hand.
AUTOGRAD_LIBRARY = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward",
                    "torch.autograd.functional.jacobian", "torch.autograd.functional.vjp",
                    "torch.func.grad", "torch.func.vjp", "torch.func.jacrev")


class CheckFailure(AssertionError):
    """A failed check; the message is written for the student."""


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``variant`` computes what that mistake returns, ``hint`` explains it."""
    name: str
    hint: str
    variant: Callable[..., Any]


# ---------------------------------------------------------------- formatting

def fmt(value: Any, limit: int = 6) -> str:
    """A short, readable rendering of a tensor, array or number for messages."""
    if _is_tensor(value):
        flat = value.detach().reshape(-1).to("cpu")
        vals = ", ".join(f"{v:.4g}" for v in flat[:limit].tolist())
        more = ", …" if flat.numel() > limit else ""
        shape = tuple(value.shape)
        return f"tensor([{vals}{more}]) with shape {shape}" if shape else f"tensor({vals})"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def describe(x: torch.Tensor, values: bool = True) -> str:
    """'a (2, 3) float32 tensor with values in [-1000, 1002]' (or without the range) for messages."""
    kind = f"{tuple(x.shape)} {str(x.dtype).replace('torch.', '')} tensor"
    if not values:
        return f"a {kind}"
    if x.numel() == 0:
        return f"an empty {tuple(x.shape)} tensor"
    lo, hi = float(x.min()), float(x.max())
    return f"a {kind} with values in [{lo:.4g}, {hi:.4g}]"


def as_int(value: Any) -> Any:
    """A one-element integer tensor as a Python int (students often return tensor(42) for a count);
    anything else unchanged, so that expect_equal reports its type."""
    if _is_tensor(value) and value.numel() == 1 and not value.is_floating_point():
        return int(value)
    return value


def fail(what: str, problem: str, hint: str | None = None) -> None:
    msg = f"{what}: {problem}"
    if hint:
        msg += f"\n  Likely mistake: {hint}"
    raise CheckFailure(msg)


# ---------------------------------------------------------------- calling student code

def call(fn: Callable, *args, what: str, forbidden: Sequence = (), **kwargs):
    """Call a student's function; turn every way it can go wrong into a CheckFailure.

    ``forbidden`` lists what the function must not call: dotted names of library functions
    (e.g. "torch.softmax") and the course's own answer to the exercise (its ``@reference``
    function). Every other course function, the kernels of earlier chapters among them, may be used.
    """
    if not callable(fn):
        fail(what, f"expected a function, but the name holds {type(fn).__name__} {fmt(fn)}.")
    forbidden = names_of(forbidden)          # a mistake in the check itself fails loudly, not as the student's
    hits: list[str] = []
    try:
        with blocking(forbidden) as hits:
            result = fn(*args, **kwargs)
    except ForbiddenCall as exc:
        fail(what, f"it calls {exc.name}, which this exercise asks you to write yourself.",
              "use basic tensor operations (exp, log, max, sum, ...) instead of the ready-made function.")
    except NotImplementedError:
        fail(what, "not implemented yet.", "replace `raise NotImplementedError()` with your code.")
    except CheckFailure:
        raise
    except Exception as exc:  # the student's own bug: report it, do not crash the grader
        fail(what, f"calling it raised {type(exc).__name__}: {exc}", _exception_hint(exc))
    if hits:
        fail(what, f"it calls {hits[0]} (and hides the error), which this exercise asks you to write yourself.")
    return result


def _exception_hint(exc: Exception) -> str | None:
    text = str(exc)
    if "must match the size" in text or "broadcast" in text:
        return "two tensors' shapes do not line up: keep reduced dimensions with keepdim=True, or check the axis."
    if "mat1 and mat2 shapes cannot be multiplied" in text:
        return "a matrix product got the wrong inner sizes: flatten the input or transpose the weight."
    if "expected scalar type" in text or "dtype" in text:
        return "mixed dtypes: build new tensors with dtype=x.dtype and device=x.device."
    return None


# ---------------------------------------------------------------- basic expectations

def expect_tensor(value: Any, *, what: str, shape: tuple | None = None,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    """``value`` must be a torch.Tensor (of ``shape`` and ``dtype`` when given)."""
    if not _is_tensor(value):
        fail(what, f"expected a torch.Tensor, got {type(value).__name__} {fmt(value)}.",
              "return a tensor (e.g. build it from torch operations, not Python floats or NumPy arrays).")
    if shape is not None and tuple(value.shape) != tuple(shape):
        fail(what, f"expected shape {tuple(shape)}, got {tuple(value.shape)}.", _shape_hint(tuple(shape), tuple(value.shape)))
    if dtype is not None and value.dtype != dtype:
        fail(what, f"expected dtype {dtype}, got {value.dtype}.",
              "do not cast: compute in the dtype of the input (avoid torch.tensor(...) around results).")
    return value


def _shape_hint(want: tuple, got: tuple) -> str | None:
    if got == () and want != ():
        return "you reduced over everything (a sum or mean without dim=...); keep one value per row."
    if want == () and got != ():
        return "the result should be a single number: average (or sum) over the batch."
    if len(got) == len(want) and sorted(got) == sorted(want):
        return "the axes are swapped: check which dimension you reduce over or transpose."
    if len(got) == len(want) - 1:
        return "a dimension is missing: reduce with keepdim=True where you need broadcasting."
    return None


def expect_finite(value: torch.Tensor, *, what: str, hint: str | None = None) -> None:
    """No NaN or ±inf anywhere; the message says where the first one is."""
    ok = _isfinite(value)
    if bool(ok.all()):
        return
    bad = (~ok).nonzero()[0].tolist()
    kind = "nan" if bool(_isnan(value[tuple(bad)])) else "inf"
    count = int((~ok).sum())
    fail(what, f"{count} of {value.numel()} entries are not finite (first: {kind} at index {tuple(bad)}).",
          hint or "an exp overflowed or a log got 0: use the numerically stable form.")


def expect_equal(actual: Any, expected: Any, *, what: str, mistakes: Sequence[Mistake] = (),
                 args: tuple = (), kwargs: dict | None = None) -> None:
    """Exact equality for integers, strings and tuples; catalogue lookup on failure."""
    if actual == expected and type(actual) is type(expected):
        return
    if actual == expected:
        fail(what, f"expected type {type(expected).__name__}, got {type(actual).__name__} {fmt(actual)}.")
    hint = diagnose(actual, mistakes, args, kwargs or {})
    fail(what, f"expected {fmt(expected)}, got {fmt(actual)}.", hint)


def expect_close(actual: Any, expected: torch.Tensor, *, what: str, atol: float = 1e-6, rtol: float = 1e-5,
                 mistakes: Sequence[Mistake] = (), args: tuple = (), kwargs: dict | None = None,
                 check_dtype: bool = False) -> None:
    """``actual`` must be a tensor of ``expected``'s shape, finite where expected is, and within
    atol + rtol·|expected| everywhere. Failures name the worst entry and, if the output matches a
    known mistake, the mistake."""
    expected = _as_tensor(expected)
    expect_tensor(actual, what=what, dtype=expected.dtype if check_dtype else None)
    kwargs = kwargs or {}
    if tuple(actual.shape) != tuple(expected.shape):
        hint = diagnose(actual, mistakes, args, kwargs) or _shape_hint(tuple(expected.shape), tuple(actual.shape))
        fail(what, f"expected shape {tuple(expected.shape)}, got {tuple(actual.shape)}.", hint)
    a = actual.detach().to("cpu", _float64)
    e = expected.detach().to("cpu", _float64)
    finite = _isfinite(e)
    if not bool(_isfinite(a)[finite].all()):
        expect_finite(a.masked_fill(~finite, 0.0), what=what,
                      hint=diagnose(actual, mistakes, args, kwargs))
    err = (a - e).abs().masked_fill(~finite, 0.0)
    tol = atol + rtol * e.abs().masked_fill(~finite, 0.0)
    if bool((err <= tol).all()) and bool((a[~finite] == e[~finite]).all()):
        return
    worst = (err - tol).reshape(-1).argmax().item()
    index = tuple(int(i) for i in _unravel(worst, tuple(e.shape)))
    where = f" at index {index}" if index else ""
    problem = (f"expected {fmt(expected)}, got {fmt(actual)}; the largest error is "
               f"{err.reshape(-1)[worst].item():.3g}{where} (expected {e.reshape(-1)[worst].item():.6g}, "
               f"got {a.reshape(-1)[worst].item():.6g}).")
    fail(what, problem, diagnose(actual, mistakes, args, kwargs) or _relation_hint(a, e))


def _unravel(flat: int, shape: tuple) -> list[int]:
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return list(reversed(out))


def _relation_hint(a: torch.Tensor, e: torch.Tensor) -> str | None:
    """Generic diagnoses: a constant factor, a constant offset or a flipped sign."""
    mask = _isfinite(a) & _isfinite(e) & (e.abs() > 1e-12)
    if int(mask.sum()) == 0:
        return None
    ratio = a[mask] / e[mask]
    if float(ratio.std(correction=0)) < 1e-6 * max(1.0, float(ratio.abs().mean())):
        r = float(ratio.mean())
        if abs(r + 1) < 1e-6:
            return "the sign is flipped."
        return f"your result is {r:.4g} times the expected one: check constant factors, sums versus means, and the log base."
    diff = (a - e)[_isfinite(a) & _isfinite(e)]
    if diff.numel() > 1 and float(diff.std(correction=0)) < 1e-6 * max(1.0, float(diff.abs().mean())):
        return f"your result is off by a constant {float(diff.mean()):.4g}: a constant term is missing or extra."
    return None


def diagnose(actual: Any, mistakes: Sequence[Mistake], args: tuple, kwargs: dict) -> str | None:
    """The hint of the first catalogued mistake whose output equals ``actual`` on these inputs."""
    for mistake in mistakes:
        try:
            with torch.no_grad():
                wrong = mistake.variant(*args, **kwargs)
        except Exception:
            continue
        if _same(actual, wrong):
            return mistake.hint
    return None


def _same(a: Any, b: Any) -> bool:
    if _is_tensor(a) and _is_tensor(b):
        if a.shape != b.shape:
            return False
        a64, b64 = a.detach().to("cpu", _float64), b.detach().to("cpu", _float64)
        finite = _isfinite(b64)
        if not bool((_isfinite(a64) == finite).all()):
            return False
        same_special = (a64 == b64) | (_isnan(a64) & _isnan(b64))
        close = (a64 - b64).abs().masked_fill(~finite, 0.0) <= 1e-6 + 1e-5 * b64.abs().masked_fill(~finite, 0.0)
        return bool(torch.where(finite, close, same_special).all())
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


# ---------------------------------------------------------------- gradients

@reference   # chapter 02 asks students to write this: their graded code may not call it
def numerical_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h for a scalar function f, in float64.

    x: any shape; returns a tensor of x's shape, in float64; x itself is left unchanged.
    """
    x = x.detach().to(_float64).clone()
    grad = _zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + h
        up = float(f(x))
        flat[i] = old - h
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


def expect_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, what: str,
                    atol: float = 1e-6, rtol: float = 1e-5, h: float = 1e-6) -> None:
    """Autograd's gradient of the scalar function f at x agrees with central differences.

    x: any shape (compared in float64). Catches hand-written backward passes and custom
    autograd Functions whose gradient is wrong, and functions that break the graph.
    """
    leaf = x.detach().to(_float64).clone().requires_grad_(True)
    out = call(f, leaf, what=what)
    expect_tensor(out, what=what, shape=())
    if not out.requires_grad:
        fail(what, "the output is not connected to the input's autograd graph.",
             "stay in torch operations: no .item(), .numpy(), .detach() or torch.tensor(...) on the way.")
    (grad,) = torch.autograd.grad(out, leaf)
    expect_close(grad, numerical_gradient(f, x, h=h), what=f"the gradient of {what}", atol=atol, rtol=rtol)
