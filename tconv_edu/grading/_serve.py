"""In the learner's kernel: call one of the learner's functions on the judge's inputs; write back plain data only.

The judge writes ``NAME.json`` (how to rebuild each argument) and ``NAME.npz`` (the arrays) into the kernel's folder
and runs one cell that calls ``serve``. ``serve`` answers with ``NAME.out.json`` and, for arrays, ``.npy`` files
(``allow_pickle=False`` on both sides): the value's kind and data, or the exception's name, builtin bases, message and
place, what the function printed, and the arguments as they were after the call. Nothing here decides a grade: the
judge compares in its own process, so a learner who changes this module only changes what their own answer says.
"""
from __future__ import annotations

import contextlib
import io
import json
import time

import numpy as np

from ._student import _innermost

_NUMERIC = "biufc"


def load_args(prefix: str) -> dict:
    """The arguments the judge wrote for one call (arrays, ints, floats, bools, tuples of ints)."""
    with open(prefix + ".json", encoding="utf-8") as f:
        spec = json.load(f)
    arrays = np.load(prefix + ".npz", allow_pickle=False)
    args = {}
    for name, (kind, value) in spec.items():
        args[name] = {"array": lambda v: arrays[v].copy(), "tuple": tuple, "int": int, "float": float,
                      "bool": bool}[kind](value)
    return args


def dump_args(prefix: str, args: dict) -> None:
    """Write ``args`` for ``load_args`` (the judge's side of the exchange)."""
    spec, arrays = {}, {}
    for name, v in args.items():
        if isinstance(v, np.ndarray):
            spec[name], arrays[name] = ("array", name), v
        elif isinstance(v, (bool, np.bool_)):
            spec[name] = ("bool", bool(v))
        elif isinstance(v, (int, np.integer)):
            spec[name] = ("int", int(v))
        elif isinstance(v, (float, np.floating)):
            spec[name] = ("float", float(v))
        elif isinstance(v, tuple) and all(isinstance(e, (int, np.integer)) for e in v):
            spec[name] = ("tuple", [int(e) for e in v])
        else:
            raise TypeError(f"argument {name}: cannot send {type(v).__name__} to a kernel")
    with open(prefix + ".json", "w", encoding="utf-8") as f:
        json.dump(spec, f)
    np.savez(prefix + ".npz", **arrays)


def describe(value, prefix: str) -> dict:
    """Plain data for ``value``: arrays go to ``prefix.npy``; anything else becomes its kind and a short text."""
    if hasattr(value, "toarray") and not isinstance(value, np.ndarray):   # a scipy.sparse matrix
        try:
            value = np.asarray(value.toarray())
        except Exception:  # noqa: BLE001 - a learner's object with a broken toarray
            pass
    if isinstance(value, np.ndarray) and value.dtype.kind in _NUMERIC:
        np.save(prefix + ".npy", np.ascontiguousarray(value), allow_pickle=False)
        return {"kind": "array", "file": prefix + ".npy"}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "numpy": isinstance(value, np.bool_), "value": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"kind": "int", "numpy": isinstance(value, np.integer), "value": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"kind": "float", "numpy": isinstance(value, np.floating), "value": float(value)}
    if isinstance(value, (list, tuple)) and len(value) <= 10_000 and all(
            isinstance(e, (int, float)) and not isinstance(e, bool) for e in value):
        return {"kind": type(value).__name__, "value": [float(e) if isinstance(e, float) else int(e) for e in value]}
    return {"kind": "other", "type": type(value).__name__, "text": _text(value)}


def _text(value) -> str:
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001 - a broken __repr__
        text = f"<{type(value).__name__} object>"
    return text if len(text) < 200 else text[:197] + "..."


def _error(err: BaseException) -> dict:
    bases = [c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins"]
    try:
        message = str(err)
    except BaseException:  # noqa: BLE001
        message = ""
    return {"type": type(err).__name__, "bases": bases, "message": message[:2000], "where": _innermost(err)}


def serve(namespace: dict, function: str, prefix: str) -> None:
    """Call ``namespace[function]`` on the arguments at ``prefix``; write ``prefix.out.json``."""
    answer = {"function": function}
    fn = namespace.get(function)
    if not callable(fn):
        answer["missing"] = "not defined" if fn is None else f"a {type(fn).__name__}, not a function"
    else:
        args = load_args(prefix)
        out = io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                value = fn(*args.values())
            answer["value"] = describe(value, prefix + ".value")
        except KeyboardInterrupt:
            answer["interrupted"] = True
        except BaseException as err:  # noqa: BLE001 - learners' code may raise anything, SystemExit included
            answer["error"] = _error(err)
        answer["seconds"] = time.perf_counter() - start
        answer["output"] = out.getvalue()[-4000:]
        answer["after"] = {name: describe(v, f"{prefix}.after.{name}") for name, v in args.items()}
    with open(prefix + ".out.json", "w", encoding="utf-8") as f:
        json.dump(answer, f)
