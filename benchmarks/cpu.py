"""CPU benchmark: every CPU form of tconv_edu against torch.nn.functional.conv_transpose1d/2d/3d, in the same run.

Usage: ``python benchmarks/cpu.py [--repeats 15] [--runs 3] [--only W1,W3] [--forms gemm,direct]
[--dtypes float32,float64] [--matrix-max-mb 1024] [--order shuffled|fixed] [--min-time 0.05]``

W1-W4 are 2-D layers; W5 (1-D) and W6, W7 (3-D) run ``te.conv_transpose1d`` / ``conv_transpose3d`` against
torch's ``conv_transpose1d`` / ``conv_transpose3d`` the same way.

Calls are interleaved (form A, form B, torch, form B, ...) and the median is reported, so a noisy machine
slows every contender alike. Each round takes the contenders in a new order (seeded, so the same in every
invocation): a call's time depends on the call before it, through the caches it leaves and the memory it frees,
and one fixed order gives each contender the same neighbour in every round. On W1 one and the same GEMM-form
call took 1.11-1.27x as long right after torch as right after itself; in the fixed order torch came right after
the subpixel form, whose freed memory spared torch's allocations their page faults (``--order fixed`` measures
that order). GFLOP/s counts ``2 * N * C_in * (C_out / groups) * H * W * kH * kW`` (in 1-D and 3-D the product of
every input size and kernel size). Each sample times back-to-back calls for at least ``--min-time`` seconds
(default 0.05, as a training loop calls a layer: the project's standard sample; the tables recorded before
2026-12-07 used 0.002, and torch's idle threads sleep between calls, so short samples favour the numpy forms on
layers of a few ms: compare a table with one made with the same setting).

Idle worker threads sleep at once (``OMP_WAIT_POLICY=PASSIVE`` for torch's OpenMP pool,
``OPENBLAS_THREAD_TIMEOUT=4`` for numpy's BLAS pool, unless set otherwise): threads that spin after one
contender's call would steal the cores from the next one, and interleaved timings then measure each other.
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, where the machine sets them, select a slower BLAS kernel: the script
warns, and ``make bench`` runs it without them.
"""
from __future__ import annotations

import os

# before numpy and torch start their thread pools (see the docstring)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import argparse  # noqa: E402
import datetime  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tconv_edu as te  # noqa: E402

#: named workloads: layer sizes from real networks and the course
WORKLOADS = {
    "W1": dict(N=16, C_in=128, C_out=64, H=16, W=16, k=4, stride=2, padding=1, output_padding=0,
               what="DCGAN generator layer"),
    "W2": dict(N=4, C_in=64, C_out=32, H=64, W=64, k=2, stride=2, padding=0, output_padding=0,
               what="U-Net up-sampling"),
    "W3": dict(N=1, C_in=1, C_out=1, H=28, W=28, k=3, stride=2, padding=1, output_padding=1,
               what="teaching size"),
    "W4": dict(N=1, C_in=32, C_out=16, H=256, W=256, k=3, stride=1, padding=1, output_padding=0,
               what="large image, stride 1"),
    "W5": dict(N=4, C_in=512, C_out=256, size=(64,), k=16, stride=8, padding=4, output_padding=0,
               what="vocoder's first upsampler (1-D)"),
    "W6": dict(N=1, C_in=64, C_out=32, size=(32, 32, 32), k=2, stride=2, padding=0, output_padding=0,
               what="3-D U-Net decoder step"),
    "W7": dict(N=1, C_in=32, C_out=16, size=(24, 24, 24), k=3, stride=2, padding=1, output_padding=1,
               what="overlapping 3-D upsampler"),
}


def size(w: dict) -> tuple:
    """The workload's spatial input size: (H, W) in 2-D, (L,) in 1-D, (D, H, W) in 3-D."""
    return tuple(w["size"]) if "size" in w else (w["H"], w["W"])


def rank(w: dict) -> int:
    return len(size(w))


def ours(w: dict, form: str):
    """tconv_edu's transposed conv of the workload's rank, by form ``form`` (a key of te.FORMS)."""
    fn = getattr(te, f"conv_transpose{rank(w)}d")
    return lambda x, weight, bias, **kw: fn(x, weight, bias, method=form, **kw)


def theirs(w: dict, F):
    """torch.nn.functional's transposed conv of the workload's rank."""
    return getattr(F, f"conv_transpose{rank(w)}d")


def make_inputs(w: dict, dtype=np.float32, seed=0):
    """Random x (N, C_in, H, W), weight (C_in, C_out, k, k) and bias (C_out,) for a workload (any rank)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((w["N"], w["C_in"]) + size(w)).astype(dtype)
    weight = rng.standard_normal((w["C_in"], w["C_out"]) + (w["k"],) * rank(w)).astype(dtype)
    bias = rng.standard_normal(w["C_out"]).astype(dtype)
    return x, weight, bias


def params(w: dict) -> dict:
    return dict(stride=w["stride"], padding=w["padding"], output_padding=w["output_padding"])


def gflop(w: dict) -> float:
    return 2 * w["N"] * w["C_in"] * w["C_out"] * math.prod(size(w)) * w["k"] ** rank(w) / 1e9


def interleaved_medians(calls: dict, repeats: int, min_time: float = 0.002, order: str = "shuffled") -> dict:
    """Median seconds per call for each named zero-argument callable, measured in rounds of one sample each.

    Each sample times enough back-to-back calls to last ``min_time`` (fast calls are otherwise all timer noise).
    ``order``: "shuffled", each round in a new seeded order (module docstring); "fixed", every round as given.
    """
    loops = {}
    for name, fn in calls.items():
        fn()                                        # warm-up (and caches)
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-7)
        loops[name] = max(1, int(min_time / one))
    samples = {name: [] for name in calls}
    names, shuffle = list(calls), random.Random(0).shuffle
    for _ in range(repeats):
        if order == "shuffled":
            shuffle(names)
        for name in names:
            fn = calls[name]
            t0 = time.perf_counter()
            for _ in range(loops[name]):
                fn()
            samples[name].append((time.perf_counter() - t0) / loops[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def blas_report() -> list[str]:
    """numpy's BLAS kernels (threadpoolctl), and a warning where OPENBLAS_* variables slow them down."""
    lines = []
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            lines.append(f"# {info.get('internal_api')} {info.get('version')} "
                         f"core={info.get('architecture')} threads={info.get('num_threads')} ({info.get('prefix')})")
    except ImportError:
        lines.append("# threadpoolctl not installed: BLAS kernel unknown")
    lines.append(f"# OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')} "
                 f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            lines.append(f"# WARNING: {var}={os.environ[var]} is set; it can make numpy's BLAS several times slower")
    return lines


# ----------------------------------------------------------------------------------------------- the matrix form

def matrix_rows(names, repeats: int, max_mb: float, order: str, min_time: float = 0.002) -> None:
    """The matrix form's own table: nnz and bytes of C, time to build it, time of a cached call (Cᵀ @ x for the
    whole batch), and that call's ratio to torch and to the GEMM form (the default), all three measured in this run.

    C is the conv2d matrix of the transposed conv (``matrix.conv_matrix`` at the output size); its build is timed
    once. A workload whose matrix would exceed ``max_mb`` is not built: its row gives nnz and bytes (from
    ``conv_matrix_nnz``, exact) and says so.
    """
    import torch
    import torch.nn.functional as F

    from tconv_edu import matrix

    matrix.conv_matrix((2, 2), np.ones((1, 1)))          # load scipy before timing a build
    print(f"\n# matrix form: build C once, then cached calls; bytes = data + indices + indptr "
          f"(ideal = nnz x (value + int32 index)); cap {max_mb:.0f} MB")
    print(f"{'workload':<9}{'nnz':>12}{'MB':>9}{'x ideal':>8}{'build s':>9}{'apply ms':>10}{'torch ms':>10}"
          f"{'x torch':>9}{'gemm ms':>9}{'x gemm':>8}")
    for name in names:
        w = WORKLOADS[name]
        x, weight, bias = make_inputs(w)
        out_chw = (w["C_out"],) + te.output_size(size(w), w["k"], **params(w))
        conv = dict(stride=w["stride"], padding=w["padding"])
        nnz = matrix.conv_matrix_nnz(out_chw, weight.shape, **conv)
        rows = w["C_in"] * math.prod(size(w))
        ideal_mb = nnz * (4 + 4) / 1e6
        if ideal_mb + 4 * rows / 1e6 > max_mb:
            print(f"{name:<9}{nnz:>12,}{ideal_mb:9.0f}{'':>8}  not built: above --matrix-max-mb {max_mb:.0f}")
            continue
        matrix.cache_clear()
        t0 = time.perf_counter()
        C = matrix.conv_matrix(out_chw, weight, **conv)
        build = time.perf_counter() - t0
        assert C.nnz == nnz, (C.nnz, nnz)
        mb = (C.data.nbytes + C.indices.nbytes + C.indptr.nbytes) / 1e6
        del C
        tx, tw, tb = map(torch.from_numpy, (x, weight, bias))
        calls = {"torch": lambda: theirs(w, F)(tx, tw, tb, **params(w)),
                 "gemm": lambda: ours(w, "gemm")(x, weight, bias, **params(w)),
                 "matrix": lambda: ours(w, "matrix")(x, weight, bias, **params(w))}
        ref = calls["torch"]().numpy()
        err = np.abs(calls["matrix"]() - ref).max() / max(1.0, np.abs(ref).max())
        assert err < 1e-4, f"{name} matrix: relative error {err:.2e} against torch"
        med = interleaved_medians(calls, repeats, min_time, order=order)
        print(f"{name:<9}{nnz:>12,}{mb:9.1f}{mb / ideal_mb:8.3f}{build:9.3f}{med['matrix'] * 1e3:10.3f}"
              f"{med['torch'] * 1e3:10.3f}{med['matrix'] / med['torch']:9.2f}{med['gemm'] * 1e3:9.3f}"
              f"{med['matrix'] / med['gemm']:8.2f}")
        matrix.cache_clear()


def gemm_call(w: dict, dtype):
    """This machine's BLAS GEMM on the workload's own stamps product, (C_out*k*k, C_in) @ (C_in, N*H*W) (in any
    rank: (C_out * k**rank, C_in) @ (C_in, N * pixels))."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((w["C_out"] * w["k"] ** rank(w), w["C_in"])).astype(dtype)
    b = rng.standard_normal((w["C_in"], w["N"] * math.prod(size(w)))).astype(dtype)
    return lambda: np.matmul(a, b)


def main_table(names, forms, dtypes, repeats, torch, F, order: str, min_time: float = 0.002) -> dict:
    """One run of the main table; returns {(workload, dtype, form): ratio to torch}."""
    print(f"{'workload':<9}{'dtype':<9}{'form':<10}{'ms':>9}{'GFLOP/s':>9}{'BLAS GF/s':>10}{'x BLAS':>8}"
          f"{'x torch':>9}")
    ratios = {}
    for name in names:
        w = WORKLOADS[name]
        for dtype in dtypes:
            x, weight, bias = make_inputs(w, np.dtype(dtype).type)
            tx, tw, tb = map(torch.from_numpy, (x, weight, bias))
            calls = {"torch": lambda: theirs(w, F)(tx, tw, tb, **params(w))}
            for form in forms:
                calls[form] = (lambda f: lambda: ours(w, f)(x, weight, bias, **params(w)))(form)
            ref = calls["torch"]().numpy()
            for form in forms:
                err = np.abs(calls[form]() - ref).max() / max(1.0, np.abs(ref).max())
                assert err < 1e-4, f"{name} {form} {dtype}: relative error {err:.2e} against torch"
            med = interleaved_medians(calls, repeats, min_time, order=order)
            # the machine's reference, measured right after (not among the contenders, whose caches it would flush)
            blas = gflop(w) / interleaved_medians({"BLAS": gemm_call(w, dtype)}, repeats, min_time)["BLAS"]
            for form, t in med.items():
                ratios[name, dtype, form] = t / med["torch"]
                print(f"{name:<9}{dtype:<9}{form:<10}{t * 1e3:9.3f}{gflop(w) / t:9.1f}{blas:10.1f}"
                      f"{gflop(w) / t / blas:8.2f}{t / med['torch']:9.2f}")
    return ratios


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--runs", type=int, default=1, help="run the main table this many times, then summarise")
    ap.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workload names")
    ap.add_argument("--forms", default=",".join(m for m in te.FORMS if m not in ("gpu", "matrix")),
                    help="forms for the main table (the matrix form has its own table, see --matrix-max-mb)")
    ap.add_argument("--dtypes", default="float32,float64", help="comma-separated dtypes for the main table")
    ap.add_argument("--matrix-max-mb", type=float, default=1024,
                    help="build the matrix form's C only where it takes at most this many MB (0: no matrix table)")
    ap.add_argument("--order", choices=("shuffled", "fixed"), default="shuffled",
                    help="the contenders' order in each round (see the module docstring)")
    ap.add_argument("--min-time", type=float, default=0.05,
                    help="seconds of back-to-back calls per sample (default 0.05; tables before 2026-12-07: 0.002)")
    args = ap.parse_args(argv)
    import torch
    import torch.nn.functional as F

    names, forms, dtypes = args.only.split(","), args.forms.split(","), args.dtypes.split(",")
    print(f"# benchmarks/cpu.py  {datetime.date.today()}  {platform.processor() or platform.machine()}  "
          f"{os.cpu_count()} CPUs  numpy {np.__version__}  torch {torch.__version__} "
          f"(threads {torch.get_num_threads()})  tconv_edu threads {te.gemm.THREADS}")
    for line in blas_report():
        print(line)
    print(f"# contenders in each round: {args.order} order; medians of {args.repeats} rounds; samples of at "
          f"least {args.min_time * 1e3:g} ms of back-to-back calls")
    print("# GFLOP/s counts the useful multiply-adds; BLAS GF/s is numpy's GEMM on the workload's stamps product "
          "(C_out*k*k, C_in) @ (C_in, N*H*W), measured right after that workload's contenders; "
          "x BLAS = GFLOP/s / BLAS GF/s")
    runs = []
    for run in range(args.runs):
        if args.runs > 1:
            print(f"\n## run {run + 1} of {args.runs}")
        runs.append(main_table(names, forms, dtypes, args.repeats, torch, F, args.order, args.min_time))
    if args.runs > 1:
        print(f"\n## x torch over the {args.runs} runs: median (min - max)")
        for key in runs[0]:
            if key[2] != "torch":
                r = sorted(run[key] for run in runs)
                print(f"{key[0]:<9}{key[1]:<9}{key[2]:<10}{statistics.median(r):9.2f}   ({r[0]:.2f} - {r[-1]:.2f})")
    if args.matrix_max_mb > 0:
        matrix_rows(names, args.repeats, args.matrix_max_mb, args.order, args.min_time)


if __name__ == "__main__":
    main()
