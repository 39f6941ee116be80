"""GPU benchmark: the GPU form's kernels against torch.nn.functional.conv_transpose2d (cuDNN) on the same GPU.

Usage: ``python benchmarks/gpu.py [--repeats 15] [--only W1,W5] [--kernels gemm,gather,scatter] [--out DIR]``
(``--dry-run`` runs the whole script on a CPU with NumPy/torch-CPU stand-ins and shrunken workloads, to check it).

float32. Timing: CUDA events around back-to-back calls (enough for ~5 ms a sample), after warm-up; contenders
interleaved round-robin; the median of ``--repeats`` samples. Each call is the public call a notebook makes
(argument checks included), on arrays already on the device. torch is timed twice, with
``torch.backends.cudnn.allow_tf32 = False`` ("strict": true float32, the baseline of every "x strict" ratio) and
with its default (TF32 tensor cores allowed). The gemm path runs a second time in a child process with
``CUPY_TF32=1`` (cuBLAS may then use TF32 too) and is compared with torch's TF32 timed in that child.
Accuracy: max |y - y64| / max |y64| against torch in float64 on the same inputs. Repeatability: gather and gemm
must repeat bit for bit; for scatter (atomicAdd) the largest difference between runs is reported.
Writes ``gpu_<device>_<date>.txt`` (the printed table) and ``.json`` (the same numbers) to ``--out``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import WORKLOADS as CPU_WORKLOADS, gflop, make_inputs, params  # noqa: E402

import tconv_edu as te  # noqa: E402
from tconv_edu import gpu  # noqa: E402

WORKLOADS = dict(CPU_WORKLOADS)
WORKLOADS["W5"] = dict(N=64, C_in=256, C_out=128, H=32, W=32, k=4, stride=2, padding=1, output_padding=0,
                       what="DCGAN/U-Net layer, 32x32 -> 64x64")
KERNELS = ("gemm", "gather", "scatter")
SAMPLE_MS = 5.0
GEMM_PART = "  gemm: matmul only"


# --------------------------------------------------------------------------------------------------- back ends

class Device:
    """The real thing: CuPy arrays, torch on CUDA, CUDA-event timing."""
    dry = False

    def __init__(self):
        if not gpu.is_available():
            raise SystemExit(f"benchmarks/gpu.py: no usable GPU: {gpu.unavailable_reason()} (try --dry-run)")
        import cupy
        import torch
        import torch.nn.functional as F
        if not torch.cuda.is_available():
            raise SystemExit("benchmarks/gpu.py: torch sees no CUDA device (a CPU build of torch?)")
        self.cupy, self.torch, self.F = cupy, torch, F

    def describe(self) -> dict:
        cp, torch = self.cupy, self.torch
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        return dict(device=name, sm_count=props["multiProcessorCount"],
                    cupy=cp.__version__, cuda_runtime=cp.cuda.runtime.runtimeGetVersion(),
                    driver=cp.cuda.runtime.driverGetVersion(), torch=torch.__version__,
                    torch_cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                    cupy_tf32=os.environ.get("CUPY_TF32", "0"), python=platform.python_version(),
                    numpy=np.__version__)

    def inputs(self, x, w, b):
        return (tuple(map(self.cupy.asarray, (x, w, b))),
                tuple(self.torch.from_numpy(a).cuda() for a in (x, w, b)))

    def ours(self, kernel, arrays, p):
        return lambda: gpu.conv_transpose2d(*arrays, kernel=kernel, **p)

    def gemm_part(self, arrays, p):
        """The gemm path's matrix product alone (layout copy + cuBLAS), on a pre-checked spec."""
        spec = te.shapes.transpose_spec(*arrays, **p, xp=self.cupy)
        return lambda: gpu.stamps(spec, self.cupy)

    def theirs(self, tensors, p, tf32):
        torch, F = self.torch, self.F

        def call():
            torch.backends.cudnn.allow_tf32 = tf32
            return F.conv_transpose2d(*tensors, **p)
        return call

    def host(self, y):
        return self.cupy.asnumpy(y) if isinstance(y, self.cupy.ndarray) else y.detach().cpu().numpy()

    def reference(self, x, w, b, p):
        t = [self.torch.from_numpy(a.astype(np.float64)).cuda() for a in (x, w, b)]
        return self.F.conv_transpose2d(*t, **p).cpu().numpy()

    def same_bits(self, a, b):
        return bool((a == b).all()) if isinstance(a, self.cupy.ndarray) else bool(self.torch.equal(a, b))

    def max_abs_diff(self, a, b):
        return float(abs(a - b).max()) if isinstance(a, self.cupy.ndarray) else float((a - b).abs().max())

    def time_ms(self, fn, is_torch, loops):
        """Milliseconds per call over ``loops`` back-to-back calls, between two CUDA events."""
        if is_torch:
            s, e = self.torch.cuda.Event(enable_timing=True), self.torch.cuda.Event(enable_timing=True)
        else:
            s, e = self.cupy.cuda.Event(), self.cupy.cuda.Event()
        s.record()
        for _ in range(loops):
            fn()
        e.record()
        e.synchronize()
        return (s.elapsed_time(e) if is_torch else self.cupy.cuda.get_elapsed_time(s, e)) / loops

    def sync(self):
        self.cupy.cuda.Device().synchronize()
        self.torch.cuda.synchronize()


class DryRun(Device):
    """CPU stand-ins, to check this script without a GPU: NumPy's scatter form plays every kernel."""
    dry = True

    def __init__(self):
        import torch
        import torch.nn.functional as F
        self.torch, self.F = torch, F

    def describe(self) -> dict:
        return dict(device="dry-run (CPU stand-ins)", torch=self.torch.__version__, numpy=np.__version__,
                    python=platform.python_version(), cupy_tf32=os.environ.get("CUPY_TF32", "0"))

    def inputs(self, x, w, b):
        return (x, w, b), tuple(map(self.torch.from_numpy, (x, w, b)))

    def ours(self, kernel, arrays, p):
        return lambda: te.scatter.conv_transpose2d(*arrays, **p)

    def gemm_part(self, arrays, p):
        spec = te.shapes.transpose_spec(*arrays, **p)
        return lambda: gpu.stamps(spec, np)

    def theirs(self, tensors, p, tf32):
        return lambda: self.F.conv_transpose2d(*tensors, **p)

    def host(self, y):
        return y if isinstance(y, np.ndarray) else y.numpy()

    def reference(self, x, w, b, p):
        return self.F.conv_transpose2d(*[self.torch.from_numpy(a.astype(np.float64)) for a in (x, w, b)],
                                       **p).numpy()

    def same_bits(self, a, b):
        return bool(np.array_equal(self.host(a), self.host(b)))

    def max_abs_diff(self, a, b):
        return float(np.abs(self.host(a) - self.host(b)).max())

    def time_ms(self, fn, is_torch, loops):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        return (time.perf_counter() - t0) * 1e3 / loops

    def sync(self):
        pass


# -------------------------------------------------------------------------------------------------- measuring

def medians(dev, calls: dict, repeats: int) -> dict:
    """Median ms per call of each (fn, is_torch), round-robin; each sample lasts about SAMPLE_MS."""
    loops = {}
    for name, (fn, is_torch) in calls.items():
        for _ in range(3):
            fn()                                            # warm-up: compilation, cuBLAS/cuDNN handles, caches
        dev.sync()
        one = dev.time_ms(fn, is_torch, 1)
        loops[name] = int(min(200, max(1, SAMPLE_MS / max(one, 1e-3))))
    samples = {name: [] for name in calls}
    for _ in range(repeats):
        for name, (fn, is_torch) in calls.items():
            samples[name].append(dev.time_ms(fn, is_torch, loops[name]))
    return {name: statistics.median(s) for name, s in samples.items()}


def rel_err(y, ref) -> float:
    return float(np.abs(y.astype(np.float64) - ref).max() / max(np.abs(ref).max(), 1e-30))


def workload(dev, name: str, kernels, repeats: int, scale: int = 1) -> list[dict]:
    """Rows for one workload: torch strict, torch TF32 and each kernel."""
    w = dict(WORKLOADS[name])
    if scale > 1:                                         # the dry run's shrunken copy
        w.update(N=max(1, w["N"] // scale), C_in=max(1, w["C_in"] // scale), C_out=max(1, w["C_out"] // scale))
    x, weight, bias = make_inputs(w)
    p = params(w)
    ours_in, torch_in = dev.inputs(x, weight, bias)
    ref = dev.reference(x, weight, bias, p)
    calls = {"torch strict": (dev.theirs(torch_in, p, tf32=False), True),
             "torch TF32": (dev.theirs(torch_in, p, tf32=True), True)}
    for k in kernels:
        calls[f"cupy {k}"] = (dev.ours(k, ours_in, p), False)
    if "gemm" in kernels:
        calls[GEMM_PART] = (dev.gemm_part(ours_in, p), False)
    ms = medians(dev, calls, repeats)
    rows = []
    for label, (fn, _) in calls.items():
        if label == GEMM_PART:
            rows.append(dict(workload=name, contender=label, ms=ms[label], gflops=gflop(w) / (ms[label] * 1e-3),
                             x_strict=ms[label] / ms["torch strict"], x_tf32=ms[label] / ms["torch TF32"],
                             max_rel_err=None, repeat="part of cupy gemm"))
            continue
        first = fn()
        row = dict(workload=name, contender=label, ms=ms[label], gflops=gflop(w) / (ms[label] * 1e-3),
                   x_strict=ms[label] / ms["torch strict"], x_tf32=ms[label] / ms["torch TF32"],
                   max_rel_err=rel_err(dev.host(first), ref), repeat="")
        if label in ("cupy gather", "cupy gemm"):
            same = all(dev.same_bits(fn(), first) for _ in range(5))
            row["repeat"] = "bitwise" if same else "DIFFERS"
            row["bitwise_repeatable"] = same
        elif label == "cupy scatter":
            diff = max(dev.max_abs_diff(fn(), first) for _ in range(10))
            row["repeat"] = f"max|d| {diff:.1e} ({diff / max(np.abs(ref).max(), 1e-30):.1e} rel)"
            row["run_to_run_max_abs_diff"] = diff
        rows.append(row)
    dev.torch.backends.cudnn.allow_tf32 = True            # torch's default again
    return rows


def tf32_child(args) -> list[dict]:
    """The gemm path under CUPY_TF32=1, in a fresh process (CuPy reads the variable), with torch's TF32 beside it."""
    cmd = [sys.executable, __file__, "--child-tf32", "--only", args.only, "--repeats", str(args.repeats)]
    if args.dry_run:
        cmd.append("--dry-run")
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, CUPY_TF32="1"), timeout=900)
    if out.returncode != 0:
        print(f"# the CUPY_TF32=1 child failed:\n{out.stderr[-3000:]}", file=sys.stderr)
        return []
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------------- output

def table(meta: dict, rows: list[dict]) -> str:
    lines = [f"# benchmarks/gpu.py  {meta['date']}  {meta['device']}",
             "# " + "  ".join(f"{k} {v}" for k, v in meta.items() if k not in ("date", "device", "command", "fastest_vs_strict")),
             f"# command: {meta['command']}",
             "# float32; ms = median per call (CUDA events, back-to-back calls, warm); x strict = ms / torch strict "
             "(cuDNN, allow_tf32=False, the baseline); x TF32 = ms / torch TF32 (torch's default, tensor cores)",
             "# err = max|y - y64| / max|y64| against torch float64 on the same inputs",
             f"{'workload':<9}{'contender':<24}{'ms':>10}{'GFLOP/s':>10}{'x strict':>10}{'x TF32':>9}"
             f"{'err':>10}  repeat"]
    for r in rows:
        lines.append(f"{r['workload']:<9}{r['contender']:<24}{r['ms']:10.4f}{r['gflops']:10.1f}"
                     f"{r['x_strict']:10.2f}{r['x_tf32']:9.2f}"
                     + (f"{r['max_rel_err']:10.1e}" if r["max_rel_err"] is not None else f"{'-':>10}")
                     + f"  {r['repeat']}")
    lines.append("# fastest CuPy path (float32, no TF32) against strict cuDNN; target <= 2x, goal <= 1.5x:")
    for name, t in meta["fastest_vs_strict"].items():
        lines.append(f"#   {name}: {t['kernel']} {t['x_strict']:.2f}x")
    return "\n".join(lines) + "\n"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workload names")
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    ap.add_argument("--dry-run", action="store_true", help="CPU stand-ins and shrunken workloads (checks the script)")
    ap.add_argument("--no-tf32", action="store_true", help="skip the CUPY_TF32=1 child")
    ap.add_argument("--child-tf32", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    dev = DryRun() if args.dry_run else Device()
    scale = 16 if args.dry_run else 1
    names = args.only.split(",")
    if args.child_tf32:
        rows = []
        for name in names:
            for r in workload(dev, name, ["gemm"], args.repeats, scale)[:-1]:   # without the matmul part
                if r["contender"] == "cupy gemm":
                    r["contender"] = "cupy gemm CUPY_TF32=1"
                    rows.append(r)
                    r.pop("bitwise_repeatable", None)
                    r["repeat"] = ""
        print(json.dumps(rows))
        return
    meta = dict(date=datetime.date.today().isoformat(), **dev.describe(),
                command="python benchmarks/gpu.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    rows = []
    for name in names:
        rows += workload(dev, name, args.kernels.split(","), args.repeats, scale)
        print(f"# {name} done", file=sys.stderr, flush=True)
    if not args.no_tf32:
        child = tf32_child(args)
        for name in names:                                  # beside their workload in the table
            i = max(j for j, r in enumerate(rows) if r["workload"] == name)
            rows[i + 1:i + 1] = [r for r in child if r["workload"] == name]
    meta["fastest_vs_strict"] = {}
    for name in names:
        ours = [r for r in rows if r["workload"] == name and r["contender"].startswith("cupy")
                and "TF32" not in r["contender"]]           # whole calls only (not the matmul part)
        best = min(ours, key=lambda r: r["ms"])
        meta["fastest_vs_strict"][name] = dict(kernel=best["contender"], x_strict=best["x_strict"])
    text = table(meta, rows)
    print(text, end="")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"gpu_{slug(meta['device'])}_{meta['date']}"
    (out / f"{stem}.txt").write_text(text)
    (out / f"{stem}.json").write_text(json.dumps(dict(meta=meta, workloads={n: WORKLOADS[n] for n in names},
                                                      rows=rows), indent=1) + "\n")
    print(f"# wrote {out / stem}.txt and .json")


if __name__ == "__main__":
    main()
