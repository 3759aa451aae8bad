"""The paper's learning-rate schedule, checked against an independent
transcription of its formulas."""

import csv
import io
import math
import subprocess
import sys

import pytest
import torch
from conftest import REPO

from seedstudy.training import eval_schedule, lr_schedule

# the real GLUE train sizes
TRAIN_SIZES = {"mrpc": 3668, "rte": 2490, "cola": 8551, "sst2": 67349}
TRAINING = {
    "lr": 2e-5,
    "batch_size": 16,
    "epochs": 3,
    "warmup_fraction": 0.1,
    "evals_per_epoch": 10,
}


def transcription(n, batch=16, epochs=3, lr=2e-5, warmup=0.1):
    """The paper's code written out again: the runner's epoch-local factor,
    BertAdam's global one."""

    def w(x):
        if x < warmup:
            return x / warmup
        return 1.0 - x

    t_total = int(n / batch * epochs)
    per_epoch = -(-n // batch)
    lrs = []
    global_step = 0
    for _epoch in range(epochs):
        for local_step in range(per_epoch):
            runner_lr = lr * w(local_step / t_total)
            lrs.append(runner_lr * w(global_step / t_total))
            global_step += 1
    return lrs


@pytest.mark.parametrize("task", sorted(TRAIN_SIZES))
def test_every_step_matches_the_transcription(task):
    n = TRAIN_SIZES[task]
    rows = lr_schedule.step_table({**TRAINING, "schedule": "paper"}, n)
    expected = transcription(n)
    assert len(rows) == len(expected) == math.ceil(n / 16) * 3
    assert [r["step"] for r in rows] == list(range(len(expected)))
    for row, lr in zip(rows, expected):
        assert row["lr"] == pytest.approx(lr, rel=1e-12, abs=1e-20)
    per_epoch = math.ceil(n / 16)
    assert rows[per_epoch]["lr"] == 0.0  # the restart at lr 0 every epoch
    if n % 16:  # t_total < steps run: the last steps get a negative factor
        assert rows[-1]["lr"] < 0


def test_linear_schedule_is_unchanged():
    n, per_epoch = 3668, 230
    total = per_epoch * 3
    warm = int(round(0.1 * total))
    factors = lr_schedule.lr_factors({**TRAINING}, n)  # no "schedule" key: linear, the default
    expected = [
        s / warm if s < warm else max(0.0, (total - s) / (total - warm)) for s in range(total)
    ]
    assert factors == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_paper_schedule_resumes_from_its_state_dict():
    training = {**TRAINING, "schedule": "paper"}

    def fresh():
        parameter = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([parameter], lr=2e-5)
        return opt, lr_schedule.build_schedule(opt, training, 100)

    opt, sched = fresh()
    for _ in range(9):
        opt.step()
        sched.step()
    state = sched.state_dict()
    expected = []
    for _ in range(10):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    opt2, sched2 = fresh()
    sched2.load_state_dict(state)
    opt2.param_groups[0]["lr"] = state["_last_lr"][0]
    got = []
    for _ in range(10):
        got.append(opt2.param_groups[0]["lr"])
        opt2.step()
        sched2.step()
    assert got == expected


def test_evaluate_marks_the_evaluation_steps():
    rows = lr_schedule.step_table({**TRAINING, "schedule": "paper"}, 3668)
    evaluated = [r["step"] + 1 for r in rows if r["evaluate"]]
    assert evaluated == eval_schedule.evaluation_steps(230, 3, 10)[1:]
    assert rows[-1]["evaluate"] == 1 and [r["epoch"] for r in rows[229:231]] == [0, 1]


def test_cli_prints_the_paper_schedule_of_mrpc(glue):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "seedstudy",
            "schedule",
            "--config",
            str(REPO / "config" / "paper.yaml"),
            "--task",
            "mrpc",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["step", "epoch", "lr", "evaluate"]
    expected = transcription(3668)
    assert len(rows) == len(expected) == 690
    assert [float(r["lr"]) for r in rows] == pytest.approx(expected, rel=1e-12, abs=1e-20)
    assert sum(int(r["evaluate"]) for r in rows) == 30
