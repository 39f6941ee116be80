"""Graded checks for the course's exercises: feedback that names the mistake, robust to any learner code.

``check(exercise_id, answer)`` runs fixed and fresh random cases on the learner's function, compares every result with
the library, and either prints one line (the exercise, the cases passed, the points) or raises ``AssertionError``
(what nbgrader's autograder counts) with the smallest failing case, expected versus got, and the likely mistake.

>>> import numpy as np
>>> def scatter_2d(x, k):
...     y = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
...     for i in range(x.shape[0]):
...         for j in range(x.shape[1]):
...             y[i:i + k.shape[0], j:j + k.shape[1]] += x[i, j] * k
...     return y
>>> check("scatter_2d", scatter_2d)
scatter_2d: all 12 cases passed (4 fixed, 8 random), 2/2 points
>>> sorted(EXERCISES) == sorted(e.id for e in EXERCISES.values())
True

``check`` is the learner's feedback (``learner``: the exercises, their cases and the diagnosis). Grades come from
``python -m tconv_edu.grading PATH...`` (``judge``): it calls the learner's functions in a kernel of their own, on the
same cases, and compares outside that kernel, so nothing the learner's code does to ``check``, the library or numpy
can change a grade.
"""
from __future__ import annotations

from .learner import EXERCISES, Exercise, Result, grade

__all__ = ["check", "EXERCISES", "Exercise", "Result", "grade"]


def check(exercise_id: str, answer, *, seed: int | None = None, time_limit: float | None = 5.0) -> None:
    """Grade ``answer`` (the learner's function, or a tuple of functions) for exercise ``exercise_id``.

    Prints one line on success; raises ``AssertionError`` with the report otherwise. ``seed`` repeats the random
    cases of an earlier report; ``time_limit`` (seconds, for the whole check) stops a function that runs too long.
    """
    __tracebackhide__ = True   # pytest (and IPython, for frames above the last) show the report, not this frame
    if exercise_id not in EXERCISES:
        raise KeyError(f"exercise_id={exercise_id!r}: expected one of {', '.join(EXERCISES)}")
    result = grade(EXERCISES[exercise_id], answer, seed=seed, time_limit=time_limit)
    if not result.passed:
        raise AssertionError(result.message) from None
    print(result.message)
