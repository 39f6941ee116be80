"""Grade one answer: run every case, compare with the library, find the smallest failure, name the mistake."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from ._cases import Case, Exercise, Raises
from ._student import Call, call

RTOL, ATOL = 1e-6, 1e-8


@dataclass
class Result:
    """The outcome of one check: ``message`` is the success line or the failure report."""
    exercise: Exercise
    passed: bool
    n_passed: int
    n_cases: int
    message: str


@dataclass
class _Failure:
    case: Case
    call: Call
    expected: object
    problem: str          # what is wrong, expected versus got


def grade(ex: Exercise, answer, *, seed=None, time_limit: float | None = 5.0) -> Result:
    """Run the exercise's cases on ``answer`` and build the report (never raises for the learner's code)."""
    fns, problem = _functions(ex, answer)
    if problem:
        return Result(ex, False, 0, 0, f"{ex.id}: {problem} (0/{ex.points} points)")
    seed = secrets.randbelow(10 ** 6) if seed is None else seed
    cases = sorted(ex.cases(np.random.default_rng(seed)), key=lambda c: c.size)   # stable: ties keep fixed first
    failures, compared, budget = [], [], time_limit
    for case in cases:
        rec = call(fns[case.func], case.args, budget)
        if budget is not None:
            budget -= rec.seconds
        if isinstance(rec.error, NotImplementedError):
            return Result(ex, False, 0, len(cases), f"{ex.id}: not implemented yet: replace the "
                          f"`raise NotImplementedError(...)` in {case.func}() with your code (0/{ex.points} points)")
        if rec.timed_out:
            return Result(ex, False, 0, len(cases), _timeout_message(ex, case, time_limit))
        expected = ex.reference(case)
        problem = _compare(ex.functions[case.func], expected, rec)
        if problem is None and rec.mutated:
            problem = (f"your function changed its argument{'s' if len(rec.mutated) > 1 else ''} "
                       f"{', '.join(rec.mutated)} in place; leave the inputs as they are (work on a copy, "
                       f"or write into a new array)")
        if problem is not None:
            failures.append(_Failure(case, rec, expected, problem))
        if rec.error is None:
            compared.append((case, rec.value, expected, problem is None))
    n = len(cases)
    if not failures:
        n_fixed = sum(not c.random for c in cases)
        return Result(ex, True, n, n, f"{ex.id}: all {n} cases passed ({n_fixed} fixed, {n - n_fixed} random), "
                                      f"{ex.points}/{ex.points} points")
    return Result(ex, False, n - len(failures), n, _failure_message(ex, failures, compared, n, seed))


def _functions(ex: Exercise, answer):
    """The learner's function(s) by name, or a problem with the answer itself."""
    names = list(ex.functions)
    fns = tuple(answer) if isinstance(answer, (tuple, list)) and len(names) > 1 else (answer,)
    if len(fns) != len(names):
        return None, f"expected the {len(names)} functions ({', '.join(names)}) as a tuple, got {_kind(answer)}"
    for name, fn in zip(names, fns):
        if not callable(fn):
            return None, f"expected the function {name} itself (without calling it), got {_kind(fn)}"
    return dict(zip(names, fns)), None


def _kind(v) -> str:
    if isinstance(v, np.ndarray):
        return f"a numpy array of shape {v.shape} and dtype {v.dtype}"
    if v is None:
        return "None"
    try:
        text = repr(v)
    except Exception:  # noqa: BLE001 - a learner's object with a broken __repr__
        text = f"<{type(v).__name__} object>"
    return f"{type(v).__name__} {text if len(text) < 60 else text[:57] + '...'}"


# ------------------------------------------------------------------------------------------------- comparing

def _compare(kind: str, expected, rec: Call) -> str | None:
    """None when the call's outcome is right, else what is wrong (expected versus got)."""
    if isinstance(expected, Raises):
        if isinstance(rec.error, expected.kind):
            return None
        if rec.error is not None:
            return f"expected {expected.kind.__name__} ({expected.reason}),\n  got {_error(rec)}"
        return (f"expected {expected.kind.__name__} ({expected.reason}),\n  got {_kind(rec.value)} (your function "
                f"returned instead of raising)")
    if rec.error is not None:
        want = f"an array of shape {expected.shape}" if isinstance(expected, np.ndarray) else repr(expected)
        return f"your function raised {_error(rec)}\n  (expected {want})"
    got = rec.value
    if kind in ("int", "bool"):
        want = (int,) if kind == "int" else (bool, np.bool_)
        if got is None:
            return f"your function returned None (a missing `return`?); expected {kind} {expected!r}"
        if (kind == "int" and (isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)))) or \
                (kind == "bool" and not isinstance(got, want)):
            hint = " (use // for integer division)" if isinstance(got, (float, np.floating)) and kind == "int" else ""
            return f"expected {kind} {expected!r}, got {_kind(got)}{hint}"
        return None if got == expected else f"expected {expected!r}, got {got!r}"
    # arrays
    if kind == "matrix" and hasattr(got, "toarray") and not isinstance(got, np.ndarray):
        got = rec.value = np.asarray(got.toarray())
    if got is None:
        return f"your function returned None (a missing `return`?); expected an array of shape {expected.shape}"
    if not isinstance(got, np.ndarray):
        return (f"expected a numpy array of shape {expected.shape}, got {_kind(got)}"
                + (" (wrap it with np.array(...))" if isinstance(got, (list, tuple)) else ""))
    integer = kind == "counts"
    if integer and got.dtype.kind not in "iu":
        return f"expected integer counts (dtype int), got dtype {got.dtype}\n{_pair(expected, got)}"
    if not integer and got.dtype.kind != "f":
        why = " (an integer array truncates the products: create it with a float dtype, e.g. np.zeros(shape))" \
            if got.dtype.kind in "iub" else ""
        return f"expected a float array, got dtype {got.dtype}{why}\n{_pair(expected, got)}"
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got.shape}\n{_pair(expected, got)}"
    bad = ~np.isfinite(got)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"your result holds {int(bad.sum())} NaN or infinite value(s), the first at {where} "
                f"(uninitialised memory from np.empty, or a division by zero?)\n{_pair(expected, got, where)}")
    ok = np.isclose(got, expected, rtol=RTOL, atol=ATOL) if not integer else got == expected
    if ok.all():
        return None
    where = tuple(int(i) for i in np.argwhere(~ok)[0])
    return (f"values differ at {int((~ok).sum())} of {ok.size} positions, the first at {where}: "
            f"expected {expected[where].item()!r}, got {got[where].item()!r}\n{_pair(expected, got, where)}")


def _error(rec: Call) -> str:
    text = f"{type(rec.error).__name__}: {rec.error}".rstrip(": ")
    return text + (f"\n  at {rec.where}" if rec.where else "")


def _show(a) -> str:
    if isinstance(a, np.ndarray):
        body = np.array2string(a, precision=4, suppress_small=True, max_line_width=100, threshold=120,
                               separator=" ")
        return body.replace("\n", "\n    ")
    return repr(a)


def _pair(expected, got, where=None) -> str:
    """Expected and got, in full; for a large batch of images, the image holding position ``where`` only."""
    if where is not None and np.ndim(expected) > 2 and np.size(expected) > 24:
        lead = where[:-2]
        name = "[" + ", ".join(map(str, lead)) + "]"
        return (f"  expected{name} (of shape {np.shape(expected)}):\n    {_show(expected[lead])}\n"
                f"  got{name} (of shape {np.shape(got)}):\n    {_show(got[lead])}")
    return (f"  expected (shape {np.shape(expected)}):\n    {_show(expected)}\n"
            f"  got (shape {np.shape(got)}):\n    {_show(got)}")


# ----------------------------------------------------------------------------------------------- the report

def _call_text(case: Case) -> str:
    lines = [f"{case.func}({', '.join(case.args)}) with"]
    for name, v in case.args.items():
        shape = f"  (shape {v.shape})" if isinstance(v, np.ndarray) else ""
        lines.append(f"  {name} = {_show(v)}{shape}".replace("\n    ", "\n    " + " " * (len(name) + 1)))
    return "\n".join(lines)


def _failure_message(ex: Exercise, failures, compared, n, seed) -> str:
    first = failures[0]
    lines = [f"{ex.id}: {len(failures)} of {n} cases failed (0/{ex.points} points).",
             f"Smallest failing case{' (random)' if first.case.random else ''}: {_call_text(first.case)}",
             first.problem]
    if first.call.output.strip():
        printed = first.call.output.strip().splitlines()
        lines.append("your function printed:\n  " + "\n  ".join(printed[:6]) + ("\n  ..." if len(printed) > 6 else ""))
    diagnoses = _diagnose(ex, failures)
    if diagnoses:
        lines.append("Likely mistake: " + "\nAlso possible: ".join(diagnoses))
    elif first.call.error is not None and type(first.call.error).__name__ in ex.hints:
        lines.append("Hint: " + ex.hints[type(first.call.error).__name__])
    if any(f.case.random for f in failures):
        lines.append(f"(random cases drawn with seed={seed}: check({ex.id!r}, ..., seed={seed}) repeats them)")
    return "\n".join(line.rstrip() for line in "\n".join(lines).split("\n"))


def _diagnose(ex: Exercise, failures) -> list[str]:
    """Known mistakes that explain every failing case where the learner's function returned (or raised) a value."""
    found = []
    for mistake in ex.mistakes:
        verdicts = [v for v in (_explains(mistake, f) for f in failures) if v is not None]
        if verdicts and all(verdicts):
            found.append(mistake.diagnosis)
    return found


def _explains(mistake, failure: _Failure):
    """True/False: does the mistake explain this failure; None: the case says nothing about it."""
    got, rec = failure.call.value, failure.call
    if rec.mutated and failure.problem.startswith("your function changed"):
        return None
    try:
        if mistake.matches is not None:
            if rec.error is not None or isinstance(failure.expected, Raises):
                return None
            return bool(mistake.matches(failure.case, got, failure.expected))
        wrong = mistake.result(failure.case)
        if wrong is None:
            return None if rec.error is not None else False
        if isinstance(wrong, Raises):
            return isinstance(rec.error, wrong.kind)
        if rec.error is not None:
            return None
        if isinstance(wrong, np.ndarray):
            return isinstance(got, np.ndarray) and got.shape == wrong.shape and \
                bool(np.allclose(got, wrong, rtol=RTOL, atol=ATOL))
        if isinstance(wrong, (bool, np.bool_)):
            return isinstance(got, (bool, np.bool_)) and bool(got) == bool(wrong)
        return not isinstance(got, (bool, np.bool_)) and got == wrong
    except Exception:  # noqa: BLE001 - a mistake that cannot even be computed for this case explains nothing
        return False


def _timeout_message(ex: Exercise, case: Case, limit) -> str:
    return (f"{ex.id}: your function did not finish within the time limit ({limit:g} s for the whole check), on "
            f"{_call_text(case)}\nAn endless loop? (Small cases take milliseconds; "
            f"check({ex.id!r}, ..., time_limit=30) allows more time.) (0/{ex.points} points)")
