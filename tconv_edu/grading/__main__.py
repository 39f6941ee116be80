"""``python -m tconv_edu.grading [options] PATH...``: grade submitted notebooks with the instructor's judge
(``tconv_edu.grading.judge``; the command itself is ``judge._cli``, ``--help`` lists its options)."""
import sys

from .judge._cli import main

if __name__ == "__main__":
    sys.exit(main())
