"""Execute notebooks in place and store their outputs, ready for strict nbval.

    python scripts/run_notebooks.py                 # notebooks/*.ipynb and solutions/*.ipynb
    python scripts/run_notebooks.py notebooks/01_scatter.ipynb ...

Outputs are stored without execution timings or widget state (both change from run to run); notebooks are
written as nbformat 4.5 with a stable id per cell, and each widget view's model id (random at every run, and
pointing at no stored state) is replaced by one derived from the notebook and cell, so that re-running an
unchanged notebook changes nothing but its PNG bytes; tracebacks keep the cell's frame and the error, not the
frames inside files (and name no file by this machine's path). Cells tagged ``raises-exception`` may raise. Prints the
execution time of each notebook and the total; exits non-zero if a notebook fails.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["notebooks", "solutions"]


def notebooks(paths):
    """Expand folders to their *.ipynb (sorted), skipping checkpoints."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.glob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb":
            yield p
        else:
            raise SystemExit(f"{p}: not a notebook or a folder")


def with_ids(nb):
    """nbformat 4.5: every cell gets an id; existing ids are kept, missing ones are made from the position."""
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.nbformat_minor)
    used = {c.get("id") for c in nb.cells}
    for i, cell in enumerate(nb.cells):
        if not cell.get("id"):
            new = f"cell-{i:03d}"
            while new in used:
                new += "x"
            cell["id"] = new
            used.add(new)
    return nb


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def stable_widget_ids(nb, name: str):
    """Replace the random model_id of every widget view output by a hash of (notebook name, cell id, position)."""
    for cell in nb.cells:
        for i, out in enumerate(cell.get("outputs", [])):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view and "model_id" in view:
                view["model_id"] = hashlib.md5(f"{name}/{cell.get('id')}/{i}".encode()).hexdigest()
    return nb


def relative_tracebacks(nb, root: Path = ROOT):
    """Tracebacks name files relative to the repository, not by this machine's absolute path (which differs between
    checkouts and machines, and is nobody's business): ``/home/x/repo/tconv_edu/conv.py`` -> ``tconv_edu/conv.py``."""
    prefix = str(root).rstrip("/") + "/"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [line.replace(prefix, "") for line in out["traceback"]]
    return nb


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def without_file_frames(nb):
    """Stored tracebacks keep the learner's cell and the error, not the frames inside files (the library's source
    lines, which would change with every edit of the library, and mean nothing to a reader). A live run still
    shows every frame."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [line for line in out["traceback"]
                                    if not ANSI.sub("", line).startswith("File ")]
    return nb


def run(path: Path, timeout: int) -> float:
    nb = with_ids(nbformat.read(path, as_version=4))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:                      # nothing that varies between runs
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    stable_widget_ids(nb, path.name)
    without_file_frames(relative_tracebacks(nb))
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/ and solutions/)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = ap.parse_args(argv)
    paths = args.paths or [str(ROOT / d) for d in DEFAULT if (ROOT / d).is_dir()]
    total, failed = 0.0, []
    for path in notebooks(paths):
        try:
            t = run(path, args.timeout)
        except Exception as err:               # report every notebook, then fail
            print(f"FAILED {path}: {type(err).__name__}: {str(err).splitlines()[-1] if str(err) else ''}")
            failed.append(path)
            continue
        total += t
        print(f"{t:6.1f} s  {path}")
    print(f"{total:6.1f} s  total")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
