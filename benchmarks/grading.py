"""Grade a class of generated submissions with the judge: wall time, time per notebook, peak memory.

    python benchmarks/grading.py [--n 200] [--jobs 2] [--sandbox bwrap|none|both]

Makes N copies of exercises/ex1_scatter.ipynb in a temporary nbgrader-style folder (``<student>/ex1/``): a third
correct, a third wrong in known ways, a third hostile (rebinding check, patching numpy, os._exit, an endless loop, a
50 GB allocation, calling the library), grades them with ``python -m tconv_edu.grading --jobs J --csv --report
--feedback`` in a subprocess, and prints the time, the time per notebook, the peak memory of the judge (its largest
process) and of one kernel (the largest), sampled from /proc every 50 ms, the time the class report and the feedback
pages took, and that every correct submission scored full points and no other did. ``--sandbox both`` grades the same
class with the sandbox on and off, one after the other, and prints the sandbox's cost per notebook. Run it while
nothing else runs.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NAME = "ex1_scatter.ipynb"


def _solutions() -> dict:
    """grade_id -> the instructor's answer (solutions/, markers removed): the correct submissions."""
    nb = nbformat.read(str(ROOT / "solutions" / NAME), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(line for line in c.source.split("\n") if "### " not in line)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


SOLVED = _solutions()
LOOPS, STRIDED = SOLVED["scatter_2d-answer"], SOLVED["scatter_strided-answer"]
WRONG = {
    "assign": LOOPS.replace("+= x[i, j] * k", "= x[i, j] * k"),
    "flipped": LOOPS.replace("* k\n", "* k[::-1, ::-1]\n"),
    "too_large": LOOPS.replace("np.zeros((H + kH - 1, W + kW - 1))", "np.zeros((H + kH, W + kW))"),
}
assert all(v != LOOPS for v in WRONG.values()), "a wrong answer is the solution itself: the solution's text changed"
HOSTILE = {
    "rebind_check": LOOPS.replace("return y", "return -y") + "\ncheck = lambda *a, **k: None",
    "patch_numpy": "np.allclose = lambda *a, **k: True\n" + LOOPS.replace("return y", "return 0 * y"),
    "exit": "import os\nos._exit(0)",
    "endless": "def scatter_2d(x, k):\n    while True:\n        pass",
    "memory": "def scatter_2d(x, k):\n    return np.ones(50 * 2 ** 30 // 8)",
    "library": "def scatter_2d(x, k):\n    return te.conv_transpose2d(x, k)",
}


def submission(answer: str):
    nb = nbformat.read(str(ROOT / "exercises" / NAME), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid == "scatter_2d-answer":
            cell.source = answer
        elif gid == "scatter_strided-answer":
            cell.source = STRIDED
    return nb


class PeakMemory:
    """The largest peak resident size (VmHWM) seen of the judge's processes and of the kernels', from /proc."""

    def __init__(self):
        self.judge = self.kernel = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while self.running:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read()
                    hwm = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status")
                               if line.startswith("VmHWM"))
                except (OSError, StopIteration, ValueError):
                    continue
                if b"runner.py" in cmd:
                    self.kernel = max(self.kernel, hwm)
                elif b"tconv_edu.grading" in cmd:
                    self.judge = max(self.judge, hwm)
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.thread.join()


def grade_class(root: Path, expected: dict, args, sandbox: str) -> float:
    gradebook = root.parent / f"grades-{sandbox}.csv"
    peak = PeakMemory()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tconv_edu.grading", str(root), "--jobs", str(args.jobs),
                           "--timeout", str(args.timeout), "--csv", str(gradebook), "--sandbox", sandbox,
                           "--report", str(root.parent / f"class-{sandbox}.html"),
                           "--feedback", str(root.parent / f"feedback-{sandbox}")],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wall = time.perf_counter() - start
    peak.stop()
    written = re.search(r"report and feedback written in ([0-9.]+) s", proc.stdout)
    rows = list(csv.DictReader(gradebook.open()))
    full = {r["student"] for r in rows if r["exercise"] == "scatter_2d" and r["points"] == r["max_points"]}
    wrongly = sorted(s for s, ok in expected.items() if ok != (s in full))
    print(f"--sandbox {sandbox}: {args.n} submissions, --jobs {args.jobs}, {os.cpu_count()} cores: {wall:.1f} s "
          f"({wall / args.n:.2f} s per notebook), exit status {proc.returncode}")
    print(f"  peak memory: judge {peak.judge / 1024:.0f} MB (its largest process), kernel {peak.kernel / 1024:.0f} MB "
          f"(the largest)")
    print(f"  gradebook rows {len(rows)}; correct submissions with full points {len(full)} of "
          f"{sum(expected.values())}; misgraded: {wrongly or 'none'}")
    if written:
        pages = len(list((root.parent / f"feedback-{sandbox}").rglob("*.html")))
        print(f"  class report and {pages} feedback pages: {float(written[1]):.2f} s, "
              f"{100 * float(written[1]) / wall:.1f}% of the run")
    return wall if not wrongly else float("nan")


def kernel_starts(sandbox: bool, n: int = 20) -> float:
    """Median seconds to start a library-free kernel (bwrap and the runner, or the runner alone) and close it."""
    from tconv_edu.grading.judge._remote import Kernel
    times = []
    for _ in range(n):
        k = Kernel(memory_mb=2048, sandbox=sandbox, no_library=True)
        start = time.perf_counter()
        k.start()
        k.close()
        times.append(time.perf_counter() - start)
    return sorted(times)[n // 2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--sandbox", choices=("bwrap", "none", "both"), default="both")
    args = ap.parse_args()
    kinds = [("correct", LOOPS)] + [(f"wrong_{k}", v) for k, v in WRONG.items()] + \
        [(f"hostile_{k}", v) for k, v in HOSTILE.items()]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "submitted"
        expected = {}
        for i in range(args.n):
            kind, answer = ("correct", LOOPS) if i % 3 == 0 else kinds[1 + i % (len(kinds) - 1)]
            student = f"s{i:03d}_{kind}"
            (root / student / "ex1").mkdir(parents=True)
            nbformat.write(submission(answer), str(root / student / "ex1" / NAME))
            expected[student] = kind == "correct"
        walls = {s: grade_class(root, expected, args, s)
                 for s in (("bwrap", "none") if args.sandbox == "both" else (args.sandbox,))}
    if len(walls) == 2:
        print(f"the sandbox's cost: {(walls['bwrap'] - walls['none']) / args.n * 1000:+.0f} ms per notebook "
              f"({walls['bwrap'] / walls['none']:.2f}x the time without it; without it the library-free kernels "
              f"also run the in-kernel tripwire, a profiler on every call)")
        on, off = kernel_starts(True), kernel_starts(False)
        print(f"starting and closing one library-free kernel (median of 20): {on * 1000:.0f} ms in the sandbox, "
              f"{off * 1000:.0f} ms without it ({(on - off) * 1000:+.0f} ms)")
    return 0 if all(w == w for w in walls.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
