"""Generate exercises/ (student notebooks) from solutions/ (instructor notebooks in nbgrader format).

    python scripts/make_exercises.py            # write exercises/; refuses to replace notebooks holding other content
    python scripts/make_exercises.py --force    # replace them anyway
    python scripts/make_exercises.py --check    # exit 1 when exercises/ is out of date (writes nothing)
    python scripts/make_exercises.py --workspace workspace   # copy exercises/ there, never replacing a file

See tconv_edu/grading/judge/release.py for what changes between a solution and an exercise notebook.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tconv_edu.grading.judge import release

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    ap.add_argument("--exercises", type=Path, default=ROOT / "exercises")
    ap.add_argument("--force", action="store_true", help="replace exercise notebooks even if they were edited")
    ap.add_argument("--check", action="store_true", help="only report whether exercises/ is up to date")
    ap.add_argument("--workspace", type=Path, help="copy exercises/ into this folder (never replacing a file)")
    args = ap.parse_args(argv)
    if args.workspace:
        copied, kept = release.workspace(args.exercises, args.workspace)
        for p in copied:
            print(f"copied {p}")
        for p in kept:
            print(f"kept {p} (already there: your work is left as it is)")
        print(f"Work in {args.workspace}/: make exercises and make test never touch it.")
        return 0
    if args.check:
        stale = release.generate(args.solutions, args.exercises, write=False)
        for p in stale:
            print(f"out of date: {p} (run make exercises)")
        return 1 if stale else 0
    try:
        changed = release.generate(args.solutions, args.exercises, force=args.force)
    except release.Refused as err:
        print(err, file=sys.stderr)
        return 1
    for p in changed:
        print(f"wrote {p}")
    if not changed:
        print(f"{args.exercises} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
