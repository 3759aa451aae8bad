#!/usr/bin/env bash
# The one-node SLURM cluster of the SLURM tests (tests/slurm/), on this machine (root, Debian 12).
#
#   bash .ci/slurm.sh start   install slurm-wlm 22.05 + munge (apt) and start slurmctld/slurmd with
#                             4 fake GPUs, using ../shared/slurm/start-local-slurm.sh, then give
#                             each GPU SHARDS_PER_GPU (4) shards (gres shard, slurm/shared-gpu/)
#                             and restart the daemons on that config; idempotent (when the
#                             cluster is up it still restarts them twice: ~9 s)
#   bash .ci/slurm.sh test    run the SLURM tests against it (the profile checks, then the tiny
#                             study through sbatch, scancel, an injected fault, packs, arrays
#                             and two trials at once on one GPU's shards)
#   bash .ci/slurm.sh stop    stop the daemons (jobs still running keep going until they end)
#
# Start the cluster before any snakemake call: once slurm-client is installed, every snakemake
# call waits ~9 s for a controller that does not answer. SEEDSTUDY_SHARED overrides ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SEEDSTUDY_SHARED:-$(cd .. && pwd)/shared}

SHARDS_PER_GPU=${SHARDS_PER_GPU:-4}

# GPU sharding (slurm/shared-gpu/): the shared script declares `GresTypes=gpu`, `Gres=gpu:N` on the
# node and one gres.conf line for the N fake GPUs; add shard to the types, N x SHARDS_PER_GPU
# shards to the node and one `Name=shard Count=SHARDS_PER_GPU File=<the GPU's device>` line per
# GPU (a shard belongs to the GPU whose device file it names), then restart both daemons (a new
# GRES type needs a restart, not only `scontrol reconfigure`).
add_shards() {
  local conf=/etc/slurm/slurm.conf gres=/etc/slurm/gres.conf gpus i
  gpus=$(grep -oE '^NodeName=localhost .*Gres=gpu:[0-9]+' "$conf" | grep -oE '[0-9]+$' || true)
  [ -n "$gpus" ] || { echo "slurm.sh: no GPUs on the node in $conf, no shards added" >&2; return 0; }
  if grep -q '^GresTypes=gpu,shard$' "$conf" && grep -q 'Name=shard' "$gres"; then
    echo "slurm.sh: shards already configured"
    return 0
  fi
  sed -i -e 's/^GresTypes=gpu$/GresTypes=gpu,shard/' \
         -e "/^NodeName=localhost /s/Gres=gpu:$gpus\b/Gres=gpu:$gpus,shard:$(( gpus * SHARDS_PER_GPU ))/" "$conf"
  {
    echo "# $SHARDS_PER_GPU shards of each fake GPU: up to $SHARDS_PER_GPU jobs share one GPU (gres shard)"
    for i in $(seq 0 $(( gpus - 1 ))); do
      echo "NodeName=localhost Name=shard Count=$SHARDS_PER_GPU File=/var/spool/slurmd/fake-gpu$i"
    done
  } >> "$gres"
  echo "slurm.sh: $gpus GPUs x $SHARDS_PER_GPU shards; restarting slurmctld and slurmd"
  local pidfile pid
  for pidfile in /run/slurm/slurmd.pid /run/slurm/slurmctld.pid; do
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
  done
  /usr/sbin/slurmctld
  for i in $(seq 1 150); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
  /usr/sbin/slurmd -N localhost
  for i in $(seq 1 120); do
    case "$(sinfo -h -n localhost -o %T 2>/dev/null | head -1)" in
      idle|mixed|allocated|completing) break ;;
      *drain*|down*|inval*|fail*) scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  sinfo -N -o "%N %T %c %m %G"
  sinfo -h -n localhost -o %G | grep -q "shard:$(( gpus * SHARDS_PER_GPU ))" \
    || { echo "slurm.sh: the node does not announce its shards; see /var/log/slurm/slurm{ctld,d}.log" >&2; exit 1; }
}

case "${1:-}" in
  start)
    [ "$(id -u)" = 0 ] || { echo "slurm.sh start: must run as root (apt-get, daemons)" >&2; exit 1; }
    started=$(date +%s%N)
    bash "$SHARED/slurm/start-local-slurm.sh"
    add_shards
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
