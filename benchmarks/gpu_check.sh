#!/usr/bin/env bash
# GPU check for the Yuma kernel: CuPy == NumPy bit for bit (gpu-marked tests) and the CuPy benchmark.
# Installs nothing; uses .venv/bin/python when present, else python3. Finishes in well under 5 minutes.
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
echo "== python: $($PY --version 2>&1); cupy: $($PY -c 'import cupy; print(cupy.__version__, cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())' 2>&1 | tail -1)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "(nvidia-smi unavailable)"

echo "== gpu tests"
timeout 180 "$PY" -m pytest -q -m gpu tests/yuma -p no:cacheprovider 2>&1 | tail -15
TESTS_RC=${PIPESTATUS[0]}

echo "== yuma benchmark (cupy + numpy kernels, --quick)"
timeout 100 "$PY" benchmarks/bench_yuma.py --quick --backend all 2>&1 | tail -14
BENCH_RC=${PIPESTATUS[0]}

echo "== summary: gpu tests rc=$TESTS_RC (0 = all passed, 5 = none collected), benchmark rc=$BENCH_RC"
[ "$TESTS_RC" -eq 0 ] && [ "$BENCH_RC" -eq 0 ]
