#!/usr/bin/env bash
# The GPU check, one call on the lent GPU machine (run from the repository root):
#   the whole of tests/test_gpu.py (gpu-marked tests included: every rank, 1-D on the 2-D kernels and 3-D by the
#   generic route, since issue 22), then benchmarks/gpu.py.
# Logs and the results table (.txt + .json) go to $OUT (default /tmp/gpu_check); exit status 0 only if both pass.
set -u
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH=. PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
PY=${PY:-python3}
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  nvcc --version | tail -1
  $PY -c "import sys, numpy, cupy, torch, hypothesis, pytest; print(sys.version.split()[0], 'numpy', numpy.__version__,
'cupy', cupy.__version__, 'torch', torch.__version__, 'cudnn', torch.backends.cudnn.version(),
'hypothesis', hypothesis.__version__, 'pytest', pytest.__version__)"
  $PY -c "import tconv_edu.gpu as g; print('is_available', g.is_available(), g.unavailable_reason())"
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

timeout 170 $PY -m pytest tests/test_gpu.py -p no:cacheprovider -o addopts="" -q -rfEs --maxfail=10 \
  -W ignore::DeprecationWarning 2>&1 | tee "$OUT/tests.log" | tail -n 40
tests=${PIPESTATUS[0]}
timeout 220 $PY benchmarks/gpu.py --out "$OUT" 2>&1 | tee "$OUT/bench.log"
bench=${PIPESTATUS[0]}
echo "gpu_check: tests exit $tests, benchmark exit $bench"
[ "$tests" = 0 ] && [ "$bench" = 0 ]
