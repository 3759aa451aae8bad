"""How far Table 1 (best found) moves between the two evaluation cadences of a trial.

    GLUE_DIR=../shared/data/glue python benchmarks/evaluation_cadence.py [--workdir DIR]
        [--seeds 2] [--train-size 480] [--dev-size 100] [--cores 2]

Runs one small study twice with the default model, identical but for `training.evaluation`:
`regular` (step 0, 10 evaluations per epoch, the final step) and `paper` (the authors' runner:
dense in epoch 0, then its epoch-local grid, step 0 and every epoch end); MRPC and SST-2, --seeds x
--seeds seeds, --train-size / --dev-size examples. The evaluations do not change training (the
same seeds give the same updates), so the difference is only in the points the maximum is taken
over. Prints each task's Table 1 value under both cadences, their difference, and how many trials'
own best moved. A workdir that already holds a finished study is reused.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
TASKS = ("mrpc", "sst2")


def study_config(evaluation: str, seeds: int, train_size: int, dev_size: int) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config.update(study=f"evaluation cadence ({evaluation})")
    config["data"] = {"source": "local", "glue_dir": None, "subsample_seed": 0}
    config["training"].update(
        evals_per_epoch=10, evaluation=evaluation, batch_size=16, eval_batch_size=100
    )
    config["tasks"] = {
        task: {
            "init_seeds": f"1..{seeds}",
            "order_seeds": f"1..{seeds}",
            "train_size": train_size,
            "dev_size": dev_size,
        }
        for task in TASKS
    }
    config["runtime"] = {"device": "cpu", "threads": 1}
    config["analysis"] = {"only": ["best_found"]}
    return config


def run_study(workdir: Path, config: dict, cores: int) -> pd.DataFrame:
    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir / "study.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
    command += ["--configfile", str(configfile), "-d", str(workdir), "-c", str(cores)]
    subprocess.run([*command, "results/tables/best_found.csv"], check=True)
    return pd.read_parquet(workdir / "results" / "aggregate" / "trials.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("evaluation-cadence"))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=480)
    parser.add_argument("--dev-size", type=int, default=100)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    trials = {
        evaluation: run_study(
            args.workdir / evaluation,
            study_config(evaluation, args.seeds, args.train_size, args.dev_size),
            args.cores,
        ).set_index(["task", "init_seed", "order_seed"])
        for evaluation in ("regular", "paper")
    }
    regular, paper = trials["regular"], trials["paper"].loc[trials["regular"].index]
    print("task  trials  Table 1 regular  Table 1 paper  difference (points)  trials moved")
    for task in TASKS:
        r, p = regular.loc[task, "best"], paper.loc[task, "best"]
        moved = int((abs(p - r) > 1e-12).sum())
        print(
            f"{task:5} {len(r):7d}  {100 * r.max():15.2f}  {100 * p.max():13.2f}  "
            f"{100 * (p.max() - r.max()):+19.2f}  {moved:12d}"
        )
    print(
        "mean over trials of (paper - regular) best, points: "
        + ", ".join(
            f"{t} {100 * (paper.loc[t, 'best'] - regular.loc[t, 'best']).mean():+.2f}"
            for t in TASKS
        )
    )


if __name__ == "__main__":
    main()
