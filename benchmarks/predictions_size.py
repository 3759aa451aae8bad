"""Disk size of the per-example predictions of a study (`training.store_predictions`).

Writes one trial's predictions file per task, as a trial of the paper grid (config/paper.yaml:
31 evaluations, the real dev sizes read from the GLUE files) would write it, for `labels` and
`probabilities`, and scales each to the paper grid (625 trials of MRPC, RTE and CoLA, 225 of
SST-2: 2,100 trials). Prints a Markdown table.

    GLUE_DIR=../shared/data/glue python benchmarks/predictions_size.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from seedstudy import preflight, study
from seedstudy.data.prepare import split_size
from seedstudy.store import predictions
from seedstudy.tasks import get_task

PAPER = Path(__file__).resolve().parents[1] / "config" / "paper.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glue-dir", default=os.environ.get("GLUE_DIR"))
    parser.add_argument("--evaluations", type=int, default=31)
    args = parser.parse_args()
    cfg = preflight.load(PAPER, check_files=False)
    rng = np.random.default_rng(0)
    rows, totals = [], {"labels": 0, "probabilities": 0}
    with tempfile.TemporaryDirectory() as folder:
        for task_name in cfg["tasks"]:
            task = get_task(task_name)
            n_dev = split_size(
                {**study.data_spec(cfg, task_name), "source": "local", "dev_size": None},
                "dev",
                args.glue_dir,
            )
            trials = len(study.task_grid(cfg, task_name))
            logits = [rng.normal(size=(n_dev, task.num_labels)) for _ in range(args.evaluations)]
            sizes = {}
            for kind in ("labels", "probabilities"):
                path = Path(folder) / f"{task_name}.{kind}.npy"
                predictions.write(path, predictions.encode(logits, kind), kind)
                sizes[kind] = path.stat().st_size
                totals[kind] += sizes[kind] * trials
            rows.append((task_name, n_dev, trials, sizes["labels"], sizes["probabilities"]))
    print(
        "| task | dev examples | trials | one trial, labels | one trial, probabilities | grid, "
        "labels | grid, probabilities |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for task_name, n_dev, trials, labels, probabilities in rows:
        print(
            f"| {task_name} | {n_dev} | {trials} | {labels / 1e3:.1f} kB | "
            f"{probabilities / 1e3:.1f} kB | {labels * trials / 1e6:.1f} MB | "
            f"{probabilities * trials / 1e6:.1f} MB |"
        )
    n = sum(r[2] for r in rows)
    print(
        f"| all | | {n} | | | {totals['labels'] / 1e6:.1f} MB | "
        f"{totals['probabilities'] / 1e6:.1f} MB |"
    )


if __name__ == "__main__":
    main()
