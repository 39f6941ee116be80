"""The learner's side of grading: the thirteen exercises, their cases and known mistakes, and the check that compares
an answer with the library and names the mistake.

``tconv_edu.grading.check`` runs it in the learner's kernel, on the learner's function; the instructor's judge
(``tconv_edu.grading.judge``) runs the same cases and comparisons in its own process, on what the learner's kernel
sends back. Needs numpy and the library only.
"""
from ._cases import AnyValue, Case, Exercise, Mistake, Raises
from ._check import Result, evaluate, grade, library_message
from ._student import Call
from .exercises import EXERCISES

__all__ = ["EXERCISES", "Exercise", "Case", "Mistake", "Raises", "AnyValue", "Result", "grade", "evaluate",
           "library_message", "Call"]
