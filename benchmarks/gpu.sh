#!/usr/bin/env bash
# The GPU benchmark in one command, on one GPU (meant to finish within 8 minutes; the table's last
# row says whether it did); prints one table:
#
#   GLUE_DIR=../shared/data/glue bash benchmarks/gpu.sh            # measure
#   bash benchmarks/gpu.sh --dry-run                               # print the plan, measure nothing
#   bash benchmarks/gpu.sh --help                                  # the options (sizes, k, runs)
#
# 1. the CUDA tests (pytest -m cuda tests/test_cuda.py); 2. one BERT-base-shaped trial (random
# weights from a config, no Hub) on MRPC, seedstudy against the HF Trainer, fp32 and bf16; 3. k = 1,
# 2, 4, 8 concurrent trials on the GPU as trials per GPU-hour (benchmarks/gpu_benchmark.py).
# Without CUDA it says "no CUDA: ..." and exits 0. Nothing else should use the GPU meanwhile.
# Python: $PYTHON, else .venv/bin/python, else python3; the HF Trainer arm needs the bench extra
# (pip install -e '.[bench]').
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
# this checkout's seedstudy, whatever is installed
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" benchmarks/gpu_benchmark.py "$@"
