"""The instructor's side of grading: the judge behind ``python -m tconv_edu.grading``, and ``release``, which
writes the exercise notebooks from the solutions (``make exercises``).

``grade_notebook`` grades one submitted notebook: the learner's cells run in a sandboxed kernel of their own
(``_remote``, ``_sandbox``, ``_kernel_side``), the cases and every comparison stay in the judge's process
(``tconv_edu.grading.learner``). Used by instructors and their scripts, never in a learner's kernel: there the
sandbox replaces the whole ``tconv_edu.grading`` package with a stand-in (``_kernel_side/grading_stub.py``).
"""
from ._grade import Options, Report, Row, grade_notebook

__all__ = ["Options", "Row", "Report", "grade_notebook"]
