"""Grade one answer: run every case, compare with the library, find the smallest failure, name the mistake."""
from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

import numpy as np

from ._cases import AnyValue, Case, Exercise, Raises
from ._student import Call, call

RTOL, ATOL = 1e-6, 1e-8


@dataclass
class Result:
    """The outcome of one check: ``message`` is the success line or the failure report.

    ``summary`` is one line for a score table; ``mistakes`` names every recognised mistake (most cases first);
    ``stopped`` says why grading stopped early (time limit, a dead kernel, a forbidden call), else "".
    """
    exercise: Exercise
    passed: bool
    n_passed: int
    n_cases: int
    message: str
    summary: str = ""
    mistakes: tuple = ()
    stopped: str = ""

    @property
    def cases(self) -> str:
        """Cases passed, e.g. ``8/12``."""
        return f"{self.n_passed}/{self.n_cases}"


@dataclass
class _Failure:
    case: Case
    call: Call
    expected: object
    problem: str          # what is wrong, expected versus got


def cases_for(ex: Exercise, seed: int):
    """The exercise's cases for ``seed``, smallest first (stable: ties keep the fixed ones first).

    A random case whose expected array is all zeros is drawn again ("array" and "matrix" results; a count of zero
    is a real answer): an answer of zeros in the right shape would pass it (a stride and a padding can crop a 2x2
    output out of the gaps between the stamps).
    """
    rng = np.random.default_rng(seed)
    cases = ex.cases(rng)

    def weak(case):
        return case.random and ex.functions[case.func] in ("array", "matrix") and _all_zeros(ex.reference(case))
    for _ in range(100):                                   # bounded; a weak case is rare, two in a row rarer
        redraw = [i for i, c in enumerate(cases) if weak(c)]
        if not redraw:
            break
        spares = [c for c in ex.cases(rng) if c.random]
        for i, spare in zip(redraw, spares):
            cases[i] = spare
    return sorted(cases, key=lambda c: c.size)


def _all_zeros(value) -> bool:
    """Whether ``value`` is a non-empty numeric array of zeros."""
    return isinstance(value, np.ndarray) and value.size > 0 and value.dtype.kind in "biufc" and not value.any()


def grade(ex: Exercise, answer, *, seed=None, time_limit: float | None = 5.0) -> Result:
    """Run the exercise's cases on ``answer`` in this process and build the report (never raises for its code)."""
    fns, problem = _functions(ex, answer)
    if problem:
        return Result(ex, False, 0, 0, f"{ex.id}: {problem} (0/{ex.points} points)", summary=problem)
    budget, used = [time_limit], []

    def run(case):
        with _tripwire(used) if ex.no_library else contextlib.nullcontext():
            rec = call(fns[case.func], case.args, budget[0])
        if budget[0] is not None:
            budget[0] -= rec.seconds
        if rec.timed_out:
            rec.stopped = _timeout_message(ex, case, time_limit)
        if used:
            rec.stopped = library_message(ex)
        return rec

    return evaluate(ex, run, seed=seed)


def evaluate(ex: Exercise, run, *, seed=None) -> Result:
    """Grade with ``run(case) -> Call`` (a call here, or in a learner's kernel); the expected values and every
    comparison are computed here, after each call returns. A call whose ``stopped`` is set ends the check."""
    seed = secrets.randbelow(10 ** 6) if seed is None else seed
    cases = cases_for(ex, seed)
    failures = []
    for case in cases:
        rec = run(case)
        if isinstance(rec.error, NotImplementedError):
            return Result(ex, False, 0, len(cases), f"{ex.id}: not implemented yet: replace the "
                          f"`raise NotImplementedError(...)` in {case.func}() with your code (0/{ex.points} points)",
                          summary="not implemented yet")
        if rec.stopped:
            return Result(ex, False, 0, len(cases), f"{rec.stopped} (0/{ex.points} points)",
                          summary=rec.stopped.split("\n")[0].removeprefix(f"{ex.id}: "), stopped=rec.stopped)
        expected = ex.reference(case)
        problem = _compare(ex.functions[case.func], expected, rec)
        if problem is None and rec.mutated:
            problem = (f"your function changed its argument{'s' if len(rec.mutated) > 1 else ''} "
                       f"{', '.join(rec.mutated)} in place; leave the inputs as they are (work on a copy, "
                       f"or write into a new array)")
        if problem is not None:
            failures.append(_Failure(case, rec, expected, problem))
    n = len(cases)
    if not failures:
        n_fixed = sum(not c.random for c in cases)
        return Result(ex, True, n, n, f"{ex.id}: all {n} cases passed ({n_fixed} fixed, {n - n_fixed} random), "
                                      f"{ex.points}/{ex.points} points", summary="passed")
    found = _diagnose(ex, failures)
    summary = f"failed {len(failures)} of {n} cases"
    if found:
        summary += "; likely: " + ", ".join(m.name for m, _ in found)
    return Result(ex, False, n - len(failures), n, _failure_message(ex, failures, found, n, seed), summary=summary,
                  mistakes=tuple(m.name for m, _ in found))


class LibraryUsed(Exception):
    """Raised into a learner's function that calls the library where the exercise rules it out."""


@contextlib.contextmanager
def _tripwire(used: list):
    """While inside: every form of the library's transposed convolution raises LibraryUsed (recorded in ``used``).

    Feedback for check() only (every form starts with ``shapes.transpose_spec``); the instructor's judge enforces
    the rule with a tripwire in the learner's kernel that no code there can switch off."""
    from tconv_edu import shapes
    real = shapes.transpose_spec

    def tripwire(*args, **kwargs):
        used.append("te.conv_transpose2d")
        raise LibraryUsed("the library's transposed convolution is not allowed in this exercise")

    shapes.transpose_spec = tripwire
    try:
        yield
    finally:
        shapes.transpose_spec = real


def library_message(ex: Exercise) -> str:
    """What a learner is told whose function called the library where ``ex`` rules it out."""
    return (f"{ex.id}: your function called the library's transposed convolution; this exercise asks you to write it "
            f"yourself, without te.conv_transpose2d or its forms (te.conv2d, numpy and loops are fine)")


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
        return f"expected an integer array (dtype int), got dtype {got.dtype}\n{_pair(expected, got)}"
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


def _failure_message(ex: Exercise, failures, found, n, seed) -> str:
    first = failures[0]
    lines = [f"{ex.id}: {len(failures)} of {n} cases failed, {n - len(failures)}/{n} cases passed "
             f"(0/{ex.points} points).",
             f"Smallest failing case{' (random)' if first.case.random else ''}: {_call_text(first.case)}",
             first.problem]
    if first.call.output.strip():
        printed = first.call.output.strip().splitlines()
        lines.append("your function printed:\n  " + "\n  ".join(printed[:6]) + ("\n  ..." if len(printed) > 6 else ""))
    for i, (mistake, count) in enumerate(found):
        share = "" if count == len(failures) else f" ({count} of the {len(failures)} failing cases)"
        lines.append(("Likely mistake" if i == 0 else "Also possible") + f"{share}: {mistake.diagnosis}")
    if not found and first.call.error is not None and type(first.call.error).__name__ in ex.hints:
        lines.append("Hint: " + ex.hints[type(first.call.error).__name__])
    if any(f.case.random for f in failures):
        lines.append(f"(random cases drawn with seed={seed}: check({ex.id!r}, ..., seed={seed}) repeats them)")
    return "\n".join(line.rstrip() for line in "\n".join(lines).split("\n"))


def _diagnose(ex: Exercise, failures) -> list:
    """(mistake, failing cases it explains) for each known mistake that explains the failing cases it speaks of,
    or at least two of them (an answer with two mistakes has each explain its own cases), most first."""
    found = []
    for mistake in ex.mistakes:
        verdicts = [v for v in (_explains(mistake, f) for f in failures) if v is not None]
        count = sum(verdicts)
        if count and (all(verdicts) or count >= 2):
            found.append((mistake, count))
    return sorted(found, key=lambda mc: -mc[1])


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
        if isinstance(wrong, AnyValue):
            return rec.error is None and got is not None
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
            f"check({ex.id!r}, ..., time_limit=30) allows more time.)")
