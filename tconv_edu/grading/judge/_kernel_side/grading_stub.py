"""``tconv_edu.grading`` as a learner's sandbox sees it while the instructor's judge grades.

The judge grades every exercise itself, outside this sandbox, so the real checks (and their reference answers) are
not here: ``check`` only says so, for a learner's own cell that calls it.
"""


def check(exercise_id, answer, *args, **kwargs):
    """The judge grades ``exercise_id`` outside this sandbox; here ``check`` does nothing."""
    print(f"check({exercise_id!r}, ...): graded by the instructor's judge, not in this notebook")


EXERCISES = {}
