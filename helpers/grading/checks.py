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

import inspect
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

def call(fn: Callable, *args, what: str, forbidden: Sequence = (), mutates: Sequence[str] = (), **kwargs):
    """Call a student's function; turn every way it can go wrong into a CheckFailure.

    ``forbidden`` lists what the function must not call: dotted names of library functions
    (e.g. "torch.softmax") and the course's own answer to the exercise (its ``@reference``
    function). Every other course function, the kernels of earlier chapters among them, may be used.

    The tensors among the arguments (also inside lists, tuples and dicts) are compared before and
    after the call: one the function changed in place fails the check, unless its parameter is
    named in ``mutates`` (an in-place update step), and its values are put back, so expected values
    computed afterwards come from the untouched inputs.
    """
    if not callable(fn):
        fail(what, f"expected a function, but the name holds {type(fn).__name__} {fmt(fn)}.")
    forbidden = names_of(forbidden)          # a mistake in the check itself fails loudly, not as the student's
    watched = _watched_arguments(fn, args, kwargs, set(mutates))
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
    finally:
        changed = _put_back(watched)
    if hits:
        fail(what, f"it calls {hits[0]} (and hides the error), which this exercise asks you to write yourself.")
    if changed:
        fail(what, f"your function changed its argument {changed[0]} in place.",
              "write results to new tensors (z = z - m, not z -= m; no add_(), copy_(), z[...] = ... "
              "or out= on an input): the caller still needs its input.")
    return result


def _tensors_in(value: Any, label: str) -> list[tuple[str, torch.Tensor]]:
    """(label, tensor) for every tensor in value, looking inside lists, tuples and dicts."""
    if _is_tensor(value):
        return [(label, value)]
    if isinstance(value, (list, tuple)):
        return [found for i, item in enumerate(value) for found in _tensors_in(item, f"{label}[{i}]")]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _tensors_in(item, f"{label}[{key!r}]")]
    return []


def _parameter_names(fn: Callable, args: tuple, kwargs: dict) -> list[tuple[str, Any]]:
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
        named = list(bound.arguments.items())
        if len(named) == len(args) + len(kwargs):
            return named
    except (TypeError, ValueError):
        pass
    return [(f"#{i + 1}", a) for i, a in enumerate(args)] + list(kwargs.items())


def _watched_arguments(fn, args, kwargs, mutates: set[str]) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(`name`, tensor, copy of its values) for each argument tensor the call may not change."""
    watched = []
    for name, value in _parameter_names(fn, args, kwargs):
        if name in mutates:
            continue
        for label, tensor in _tensors_in(value, name):
            if tensor.layout == torch.strided and not tensor.is_meta:
                watched.append((f"`{label}`", tensor, tensor.detach().clone()))
    return watched


def _put_back(watched) -> list[str]:
    """Restore every watched tensor whose values changed; returns their names."""
    changed = []
    for label, tensor, saved in watched:
        now = tensor.detach()
        if now.shape == saved.shape and now.dtype == saved.dtype and _equal_or_both_nan(now, saved):
            continue
        changed.append(label)
        try:
            with torch.no_grad():
                if now.shape == saved.shape:
                    now.copy_(saved)
                else:                     # resize_ in place: give it its old shape and values back
                    now.resize_(saved.shape).copy_(saved)
        except RuntimeError:
            pass
    return changed


def _equal_or_both_nan(a: torch.Tensor, b: torch.Tensor) -> bool:
    same = a == b
    if a.is_floating_point() or a.is_complex():
        same = same | (_isnan(a) & _isnan(b))
    return bool(same.all())


def _exception_hint(exc: Exception) -> str | None:
    text = str(exc)
    if "must match the size" in text or "broadcast" in text:
        return "two tensors whose shapes do not broadcast were combined on that line: print their .shape."
    if "mat1 and mat2 shapes cannot be multiplied" in text:
        return "a matrix product got the wrong inner sizes: flatten the input or transpose the weight."
    if "leaf Variable that requires grad is being used in an in-place operation" in text:
        return ("your function changes its input in place (x += ..., x.clamp_(...), x[...] = ...): "
                "write the result to a new tensor instead.")
    if "modified by an inplace operation" in text:
        return ("a tensor autograd saved for the backward pass was changed in place afterwards: "
                "use out-of-place operations (y = y * 2, not y *= 2).")
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
        fail(what, f"expected dtype {_dtype_name(dtype)}, got {_dtype_name(value.dtype)}.",
             _dtype_hint(value.dtype, dtype))
    return value


def _shape_hint(want: tuple, got: tuple) -> str | None:
    if got == () and want != ():
        return "you reduced over everything (a sum or mean without dim=...); keep one value per row."
    if want == () and got != ():
        return "the result should be a single number: average (or sum) over the batch."
    if len(got) == len(want) and got != want and sorted(got) == sorted(want) and len(set(got)) == len(got):
        return "the axes are swapped: check which dimension you reduce over or transpose."
    if len(got) == len(want) - 1:
        for d in range(len(want)):
            if want[:d] + want[d + 1:] == got:
                if want[d] == 1:
                    return (f"dimension {d} (of size 1) is missing: a reduction dropped it; "
                            "keepdim=True keeps it.")
                return f"dimension {d} (of size {want[d]}) is missing: you reduced over an axis the result keeps."
    return None


def _size_source_hint(want: tuple, got: tuple, args: tuple, kwargs: dict) -> str | None:
    """A dimension with a wrong size that is the size of some input's dimension: a reduction (or
    a product) over the wrong axis. Named only when exactly one dimension differs."""
    if len(want) != len(got):
        return None
    wrong = [d for d in range(len(want)) if want[d] != got[d]]
    if len(wrong) != 1:
        return None
    d = wrong[0]
    ordinals = ("first", "second", "third", "fourth", "fifth", "sixth")
    named = [(f"the {ordinals[i]} argument" if i < len(ordinals) else f"argument {i + 1}", a)
             for i, a in enumerate(args)] + [(f"`{k}`", v) for k, v in kwargs.items()]
    for label, value in named:
        if _is_tensor(value):
            for k, size in enumerate(value.shape):
                if int(size) == got[d] and got[d] != want[d]:
                    return (f"dimension {d} of your result has size {got[d]}, the size of dimension {k} of {label}, "
                            f"where {want[d]} is asked: a sum or product ran over the wrong axis?")
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
                 check_dtype: bool = True, reference: Callable | None = None) -> None:
    """``actual`` must be a tensor of ``expected``'s shape, dtype (unless ``check_dtype`` is False)
    and device, finite where expected is, and within atol + rtol·|expected| everywhere.

    A failure names the worst entry and the likely mistake: first a catalogued one (``mistakes``,
    called on ``args``), then a generic variant of the right answer (a flipped sign, a missing
    factor 2 or 1/N, the log base, a transpose, a constant offset, probabilities or log-probabilities
    where the other form is asked, float32 rounding, or, given the ``reference`` function, the
    wrong axis). A variant that coincides with the right answer on this input is never named."""
    expected = _as_tensor(expected)
    expect_tensor(actual, what=what)
    kwargs = kwargs or {}
    variants = lambda: _variants(expected, args, kwargs, reference)   # noqa: E731 (built only on failure)
    if tuple(actual.shape) != tuple(expected.shape):
        hint = (diagnose(actual, mistakes, args, kwargs, expected=expected) or _match(actual, expected, variants())
                or _shape_hint(tuple(expected.shape), tuple(actual.shape))
                or _size_source_hint(tuple(expected.shape), tuple(actual.shape), args, kwargs))
        fail(what, f"expected shape {tuple(expected.shape)}, got {tuple(actual.shape)}.", hint)
    if actual.device.type != expected.device.type:
        fail(what, f"the result is on {actual.device}, the input on {expected.device}.",
             "create new tensors on the input's device: torch.zeros(..., device=x.device), or x.new_zeros(...).")
    a = actual.detach().to("cpu", _float64)
    e = expected.detach().to("cpu", _float64)
    finite = _isfinite(e)
    if not bool(_isfinite(a)[finite].all()):
        expect_finite(a.masked_fill(~finite, 0.0), what=what,
                      hint=diagnose(actual, mistakes, args, kwargs, expected=expected))
    err = (a - e).abs().masked_fill(~finite, 0.0)
    tol = atol + rtol * e.abs().masked_fill(~finite, 0.0)
    if bool((err <= tol).all()) and bool((a[~finite] == e[~finite]).all()):
        if check_dtype and actual.dtype != expected.dtype:    # right values, wrong dtype: later cells break
            fail(what, f"the values are right, but the dtype is {_dtype_name(actual.dtype)} where "
                       f"{_dtype_name(expected.dtype)} is expected.", _dtype_hint(actual.dtype, expected.dtype))
        return
    worst = (err - tol).reshape(-1).argmax().item()
    index = tuple(int(i) for i in _unravel(worst, tuple(e.shape)))
    where = f" at index {index}" if index else ""
    problem = (f"expected {fmt(expected)}, got {fmt(actual)}; the largest error is "
               f"{err.reshape(-1)[worst].item():.3g}{where} (expected {e.reshape(-1)[worst].item():.6g}, "
               f"got {a.reshape(-1)[worst].item():.6g}).")
    hint = (diagnose(actual, mistakes, args, kwargs, expected=expected) or _match(actual, expected, variants())
            or _float32_hint(a, e, expected.dtype, atol, rtol))
    fail(what, problem, hint)


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def _dtype_hint(got: torch.dtype, want: torch.dtype) -> str:
    if want == _float64 and got in (torch.float32, torch.float16, torch.bfloat16):
        return ("part of your computation ran in lower precision (do not cast: a tensor made with torch.tensor(...), "
                "torch.zeros(...) or torch.ones(...) without dtype=x.dtype is float32).")
    if got == _float64 and want != _float64:
        return "a float64 constant or tensor (e.g. from NumPy) crept in: build new tensors with dtype=x.dtype."
    if not got.is_floating_point and want.is_floating_point:
        return "an integer result: divide with / (not //) and keep the input's floating dtype."
    return "compute in the dtype of the input (new tensors: dtype=x.dtype); do not cast the result."


def _unravel(flat: int, shape: tuple) -> list[int]:
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return list(reversed(out))


def _batch_sizes(expected: torch.Tensor, args: tuple, kwargs: dict) -> list[int]:
    """The sizes a missing 1/N could be: every dimension of the inputs and of the result (> 1)."""
    sizes = []
    for value in list(args) + list(kwargs.values()) + [expected]:
        for _, t in _tensors_in(value, ""):
            sizes += [int(n) for n in t.shape if int(n) > 1]
    return sorted(set(sizes))


def _variants(expected: torch.Tensor, args: tuple, kwargs: dict,
              reference: Callable | None) -> list[tuple[str, Callable[[], Any]]]:
    """Generic wrong answers, as (hint, what that answer returns) built from the right answer."""
    e = expected.detach()
    out: list[tuple[str, Callable[[], Any]]] = [
        ("the sign is flipped.", lambda: -e),
        ("your result is twice the right one: an extra factor 2 (check the constant in front of your formula).",
         lambda: 2 * e),
        ("your result is half the right one: a factor 2 is missing (the derivative of x² is 2x, "
         "of (y - t)² is 2 (y - t)).", lambda: e / 2),
    ]
    for n in _batch_sizes(e, args, kwargs):
        out.append((f"your result is {n} times the right one: a sum over {n} items where the mean is asked "
                    f"(a missing 1/{n}).", lambda n=n: e * n))
        out.append((f"your result is 1/{n} of the right one: a mean over {n} items where the sum is asked, "
                    f"or a 1/{n} applied twice.", lambda n=n: e / n))
    for name, base in (("2", math.log(2.0)), ("10", math.log(10.0))):
        out.append((f"you used log base {name} where the natural log is asked.", lambda b=base: e / b))
        out.append((f"you used the natural log where log base {name} is asked.", lambda b=base: e * b))
    if e.dim() == 2:
        out.append(("your result is the transpose of the right one.", lambda: e.T))
    if e.dim() >= 1 and e.is_floating_point():
        out += [("you returned probabilities (a softmax) where logits are asked: return the scores before the softmax.",
                 lambda: torch.softmax(e, dim=-1)),
                ("you returned log-probabilities (a log-softmax) where logits are asked.",
                 lambda: torch.log_softmax(e, dim=-1)),
                ("you returned probabilities (a sigmoid) where logits are asked.", lambda: torch.sigmoid(e)),
                ("you returned the exp of the right answer: probabilities where log-probabilities are asked?",
                 lambda: torch.exp(e)),
                ("you returned the log of the right answer: log-probabilities where probabilities are asked?",
                 lambda: torch.log(e))]
    if reference is not None:
        out += _axis_variants(reference, args, kwargs)
    return out


def _axis_variants(reference: Callable, args: tuple, kwargs: dict) -> list[tuple[str, Callable[[], Any]]]:
    """The reference computed along each other axis (its ``dim`` argument, or the input transposed)."""
    out: list[tuple[str, Callable[[], Any]]] = []
    try:
        params = inspect.signature(reference).parameters
    except (TypeError, ValueError):
        return out
    x = args[0] if args and _is_tensor(args[0]) else None
    if "dim" in params and x is not None:
        default = params["dim"].default
        given = kwargs.get("dim", default if default is not inspect.Parameter.empty else None)
        for d in range(x.dim()):
            if given is not None and d % x.dim() == given % x.dim():
                continue
            out.append((f"you computed along dim={d}; the statement asks for dim={given}.",
                        lambda d=d: reference(*args, **{**kwargs, "dim": d})))
    elif x is not None and x.dim() == 2:
        out.append(("you computed along the other axis (over the rows instead of along each row, or the reverse).",
                    lambda: reference(x.T, *args[1:], **kwargs).T))
    return out


def _match(actual: Any, expected: torch.Tensor, variants: list) -> str | None:
    """The hint of the first variant equal to ``actual`` and not to the right answer."""
    for hint, build in variants:
        try:
            with torch.no_grad():
                wrong = build()
        except Exception:
            continue
        if _is_tensor(wrong) and _same(actual, wrong) and not _same(expected, wrong):
            return hint
    return _shift_hint(actual, expected) or _offset_hint(actual, expected)


def _shift_hint(actual: Any, expected: torch.Tensor) -> str | None:
    """Entries that sit one place off along an axis (all but the end one agree when shifted)."""
    if not _is_tensor(actual) or actual.shape != expected.shape:
        return None
    a, e = actual.detach().to("cpu", _float64), expected.detach().to("cpu", _float64)
    for d in range(e.dim()):
        n = e.shape[d]
        if n < 3:
            continue
        head, tail = (lambda t: t.narrow(d, 0, n - 1)), (lambda t: t.narrow(d, 1, n - 1))
        if _same(head(e), tail(e)):
            continue                                  # constant along d: a shift cannot be told
        if _same(head(a), tail(e)):
            return (f"your result is one place ahead along dim {d} (entry i holds what belongs at i + 1): "
                    "an off-by-one in a range or an index; is the first one missing?")
        if _same(tail(a), head(e)):
            return (f"your result is one place behind along dim {d} (entry i holds what belongs at i - 1): "
                    "an off-by-one in a range or an index; one too many at the start?")
    return None


def _offset_hint(actual: Any, expected: torch.Tensor) -> str | None:
    """A constant offset over several entries (a missing or extra constant term)."""
    if not _is_tensor(actual) or actual.shape != expected.shape or actual.numel() < 2:
        return None
    a, e = actual.detach().to("cpu", _float64), expected.detach().to("cpu", _float64)
    ok = _isfinite(a) & _isfinite(e)
    diff = (a - e)[ok]
    if diff.numel() < 2:
        return None
    shift = float(diff.mean())
    scale = max(1.0, float(e[ok].abs().max()))
    if abs(shift) > 1e-6 * scale and float(diff.std(correction=0)) < 1e-9 * scale:
        return f"every entry is off by the same {shift:.4g}: a constant term is missing or extra."
    return None


_FLOAT32_ROUNDOFF = 2.0 ** -24        # float32's unit roundoff: a rounded constant is off by at most this


def _float32_hint(a: torch.Tensor, e: torch.Tensor, dtype: torch.dtype, atol: float, rtol: float) -> str | None:
    """Within float32 rounding of a float64 answer (16 roundoffs of its largest entry), but outside the
    float64 tolerance. One consistent factor larger than a rounded constant's error is not rounding:
    a small constant (an eps) is missing or extra, and the hint says that instead."""
    if dtype != _float64:
        return None
    if not bool(((a - e).abs() <= 16 * _FLOAT32_ROUNDOFF * float(e.abs().max())).all()):
        return None
    factor = _consistent_factor(a, e)
    if factor is not None and abs(factor) > 4 * _FLOAT32_ROUNDOFF:
        return (f"your result is off by one tiny, consistent factor (1 {'+' if factor > 0 else '-'} {abs(factor):.1g}): "
                "a small constant (an eps, a 1e-6 in a denominator) is missing, extra or in another place.")
    return ("your result has float32 rounding errors: a step ran in float32 (a constant tensor without "
            "dtype=x.dtype, or .float()).")


def _consistent_factor(a: torch.Tensor, e: torch.Tensor) -> float | None:
    """The relative error (a - e) / e when it is one factor for the whole result, for each row, or for
    each column (what a misplaced eps in a shared denominator gives); None when it varies like noise."""
    nonzero = e != 0
    rel = torch.where(nonzero, (a - e) / torch.where(nonzero, e, torch.ones_like(e)), torch.nan)
    groups = [rel.reshape(1, -1)]
    if rel.dim() >= 2:
        groups += [rel.reshape(-1, rel.shape[-1]), rel.reshape(rel.shape[0], -1).T]
    for rows in groups:
        if all(_flat(row[~torch.isnan(row)]) for row in rows):
            return float(rel[nonzero].abs().max()) * (1 if float(rel[nonzero].sum()) > 0 else -1)
    return None


def _flat(values: torch.Tensor) -> bool:
    """At least two values, all within 1 % of their mean, which is not 0."""
    if values.numel() < 2:
        return False
    mean = float(values.mean())
    return mean != 0 and bool(((values - mean).abs() <= 0.01 * abs(mean)).all())


def diagnose(actual: Any, mistakes: Sequence[Mistake], args: tuple, kwargs: dict,
             expected: Any = None) -> str | None:
    """The hint of the first catalogued mistake whose output equals ``actual`` on these inputs and,
    when ``expected`` is given, differs from it (a mistake that coincides with the right answer on
    this input says nothing about this answer)."""
    for mistake in mistakes:
        try:
            with torch.no_grad():
                wrong = mistake.variant(*args, **kwargs)
        except Exception:
            continue
        if _same(actual, wrong) and (expected is None or not _same(expected, wrong)):
            return mistake.hint
    return None


def _same(a: Any, b: Any) -> bool:
    if _is_tensor(a) and _is_tensor(b):
        return a.shape == b.shape and _close(a, b, 1e-6, 1e-5)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


# ---------------------------------------------------------------- probe inputs

def past_overflow(dtype: torch.dtype) -> float:
    """A magnitude at which exp overflows in ``dtype`` with room to spare (log of its largest
    finite value, times 1.4): 993 for float64, 124 for float32, 15.5 for float16. Stability tests
    need logits this large; 179 looks large but is harmless in float64."""
    return 1.4 * math.log(torch.finfo(dtype).max)


def one_hot_rows(n: int, k: int, *, dtype: torch.dtype = _float64, generator: torch.Generator | None = None) -> torch.Tensor:
    """(n, k) rows with a single 1 each (at random positions) and zeros elsewhere: a probe input
    on which a sum, a max and a mean along the row all differ from each other."""
    idx = torch.randint(0, k, (n,), generator=generator)
    return torch.zeros(n, k, dtype=dtype).scatter_(1, idx.unsqueeze(1), 1.0)


# ---------------------------------------------------------------- the form of an output

_FORMS = ("logits", "probabilities", "log_probabilities")


def output_form(out: torch.Tensor, dim: int = -1, tol: float = 1e-4) -> str:
    """What a floating tensor of scores looks like along ``dim``: "probabilities" (non-negative,
    summing to 1), "log_probabilities" (at most 0, exp summing to 1) or "logits" (anything else)."""
    x = out.detach().to("cpu", _float64)
    if x.numel() == 0:
        return "logits"
    if bool((x >= -tol).all()) and bool(((x.sum(dim=dim) - 1).abs() <= tol).all()):
        return "probabilities"
    if bool((x <= tol).all()) and bool(((torch.logsumexp(x, dim=dim)).abs() <= tol).all()):
        return "log_probabilities"
    return "logits"


def expect_form(out: Any, form: str, *, what: str, dim: int = -1) -> None:
    """``out`` holds scores in the form the statement asks (one of logits, probabilities,
    log_probabilities) along ``dim``; the message names the form it has instead. A single class
    (size 1 along dim) cannot tell the forms apart and is not judged."""
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}, not {form!r}")
    out = expect_tensor(out, what=what)
    if out.dim() == 0 or out.shape[dim] < 2:
        return
    found = output_form(out, dim)
    if found == form:
        return
    fixes = {("logits", "probabilities"): "return the scores before the softmax: the loss applies it itself.",
             ("logits", "log_probabilities"): "return the scores before the log-softmax: the loss applies it itself.",
             ("probabilities", "logits"): "apply a softmax along the class axis.",
             ("probabilities", "log_probabilities"): "these are log-probabilities: exponentiate them.",
             ("log_probabilities", "logits"): "apply a log-softmax along the class axis.",
             ("log_probabilities", "probabilities"): "take the log (better: log-softmax the logits, it is stable)."}
    shown = {"logits": "unnormalised scores (logits)", "probabilities": "probabilities (each row sums to 1)",
             "log_probabilities": "log-probabilities (each row's exp sums to 1)"}
    fail(what, f"the outputs are {shown[found]}; {form.replace('_', '-')} are asked.", fixes[(form, found)])


# ---------------------------------------------------------------- probes that locate an error

def expect_rows_independent(fn: Callable, x: torch.Tensor, *, what: str, forbidden: Sequence = (),
                            atol: float = 1e-6, rtol: float = 1e-5, **kwargs) -> None:
    """Row i of fn(x) depends on row i of x only: fn on one row alone gives that row of fn(x), and
    permuting the rows of x permutes the result. x: (N, ...) with N >= 2; fn(x): (N, ...).
    Catches a reduction over the batch axis (a max, sum or mean without dim=...) in a row-wise
    function, whatever its values look like on one input."""
    full = call(fn, x, what=what, forbidden=forbidden, **kwargs)
    expect_tensor(full, what=what)
    if full.dim() == 0 or full.shape[0] != x.shape[0]:
        fail(what, f"expected one result row per input row ({x.shape[0]}), got shape {tuple(full.shape)}.",
             _shape_hint((x.shape[0],) + tuple(full.shape[1:]), tuple(full.shape)))
    for i in sorted({0, x.shape[0] - 1}):
        alone = call(fn, x[i:i + 1], what=what, forbidden=forbidden, **kwargs)
        if not (_is_tensor(alone) and alone.shape == full[i:i + 1].shape
                and _close(alone, full[i:i + 1], atol, rtol)):
            fail(what, f"row {i} of your result changes when the other rows change (fn(x[{i}:{i + 1}]) "
                       f"differs from fn(x)[{i}:{i + 1}]).",
                 "a step of your function mixes the rows of the batch: a max, sum or mean over the batch "
                 "axis, or anything that depends on the number or position of the rows. Reduce along each row "
                 "(dim=-1, keepdim=True).")
    perm = torch.roll(torch.arange(x.shape[0], device=x.device), -1)
    moved = call(fn, x[perm], what=what, forbidden=forbidden, **kwargs)
    if not (_is_tensor(moved) and moved.shape == full.shape and _close(moved, full[perm], atol, rtol)):
        fail(what, "moving every row of x up by one place (the first to the end) does not move the rows of "
                   "your result the same way.",
             "the rows must be treated alike and independently: no position-dependent step over the batch.")


def expect_batch_mean(fn: Callable, *batch: torch.Tensor, what: str, forbidden: Sequence = (),
                      atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """A loss averaged over the batch: fn on the batch repeated twice (every argument concatenated
    with itself along dim 0) returns the same number. A sum over the batch doubles; anything else
    that changes means the loss depends on the batch size."""
    once = call(fn, *batch, what=what, forbidden=forbidden)
    twice = call(fn, *[torch.cat([b, b]) for b in batch], what=what, forbidden=forbidden)
    expect_tensor(once, what=what, shape=())
    if not (_is_tensor(twice) and twice.shape == () and _close(twice, once, atol, rtol)):
        n = batch[0].shape[0]
        doubled = _is_tensor(twice) and twice.shape == () and _close(twice, 2 * once, atol, rtol) \
            and not _close(once, 2 * once, atol, rtol)
        fail(what, f"on the same {n} examples repeated twice your loss changes from {fmt(once)} to {fmt(twice)}.",
             "you summed over the batch: the loss is the mean over the examples (divide by N)." if doubled
             else "the loss must not depend on the batch size: average over the examples once.")


def _close(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float) -> bool:
    """Within atol + rtol·|b| everywhere (tensors of one shape); nan matches nan and ±inf itself."""
    a64, b64 = a.detach().to("cpu", _float64), b.detach().to("cpu", _float64)
    finite = _isfinite(b64)
    if not bool((_isfinite(a64) == finite).all()):
        return False
    same_special = (a64 == b64) | (_isnan(a64) & _isnan(b64))
    close = (a64 - b64).abs().masked_fill(~finite, 0.0) <= atol + rtol * b64.abs().masked_fill(~finite, 0.0)
    return bool(torch.where(finite, close, same_special).all())


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
