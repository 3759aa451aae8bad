#!/usr/bin/env bash
# The one-node SLURM cluster of the SLURM tests (tests/slurm/), on this machine (root, Debian 12).
#
#   bash .ci/slurm.sh start   install slurm-wlm 22.05 + munge (apt) and start slurmctld/slurmd with
#                             4 fake GPUs, using ../shared/slurm/start-local-slurm.sh; idempotent
#   bash .ci/slurm.sh test    run the SLURM tests against it (the profile checks, then the tiny
#                             study through sbatch, scancel, an injected fault, packs and arrays)
#   bash .ci/slurm.sh stop    stop the daemons (jobs still running keep going until they end)
#
# Start the cluster before any snakemake call: once slurm-client is installed, every snakemake
# call waits ~9 s for a controller that does not answer. SEEDSTUDY_SHARED overrides ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SEEDSTUDY_SHARED:-$(cd .. && pwd)/shared}

case "${1:-}" in
  start)
    [ "$(id -u)" = 0 ] || { echo "slurm.sh start: must run as root (apt-get, daemons)" >&2; exit 1; }
    started=$(date +%s%N)
    bash "$SHARED/slurm/start-local-slurm.sh"
    echo "slurm.sh: cluster up in $(( ($(date +%s%N) - started) / 1000000 )) ms"
    ;;
  test)
    export GLUE_DIR="${GLUE_DIR:-$SHARED/data/glue}"
    export SEEDSTUDY_REQUIRE_SLURM=1   # fail, not skip, when no cluster answers
    PYTHON=python3
    [ -x .venv/bin/python ] && PYTHON=.venv/bin/python
    # -rP: print the timings the study fixture measured (submission, queue, status polling)
    "$PYTHON" -m pytest tests/slurm -v -rP
    ;;
  stop)
    [ "$(id -u)" = 0 ] || { echo "slurm.sh stop: must run as root" >&2; exit 1; }
    bash "$SHARED/slurm/stop-local-slurm.sh"
    ;;
  *)
    echo "usage: bash .ci/slurm.sh start|test|stop" >&2
    exit 2
    ;;
esac
