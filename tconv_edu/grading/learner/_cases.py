"""The building blocks of an exercise: a case, an expected exception, a known mistake, the exercise itself."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call of a learner's function: ``func(*args.values())``."""
    func: str
    args: dict
    random: bool = False

    @property
    def size(self) -> int:
        """Smallness, for showing the smallest failing case: array elements plus integer arguments."""
        total = 0
        for v in self.args.values():
            if isinstance(v, np.ndarray):
                total += v.size
            elif isinstance(v, tuple):
                total += int(np.prod(v))
            else:
                total += abs(int(v))
        return total


@dataclass(frozen=True)
class Raises:
    """The expected outcome of a case whose parameters are invalid: the exception type and the rule broken."""
    kind: type
    reason: str


@dataclass(frozen=True)
class AnyValue:
    """A mistake's outcome where the mistaken code returns some value (any) instead of raising."""


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and what to tell the learner whose answer matches it.

    ``result(case)`` computes what the mistaken code returns (``None`` where the mistake makes no difference or is
    not defined); ``matches(case, got, expected)`` may replace the comparison (for mistakes seen in the shape only).
    """
    name: str
    diagnosis: str
    result: Callable | None = None
    matches: Callable | None = None


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: ``check(id, answer)`` runs ``cases(rng)`` and compares with ``reference(case)``."""
    id: str
    points: int
    signature: str
    statement: str
    functions: dict = field(repr=False)        # function name -> kind of result: array, matrix, counts, int, bool
    cases: Callable = field(repr=False)        # rng -> list of Case (fixed ones first)
    reference: Callable = field(repr=False)    # Case -> expected value or Raises
    mistakes: tuple = field(default=(), repr=False)
    hints: dict = field(default_factory=dict, repr=False)   # exception name raised by the learner -> hint
    no_library: bool = False     # to be written without tconv_edu's transposed convolution (checked while grading)
