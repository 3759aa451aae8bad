import pytest

from seedstudy.training import eval_schedule


def test_steps_per_epoch_keeps_the_last_partial_batch():
    assert eval_schedule.steps_per_epoch(1000, 16) == 63
    assert eval_schedule.steps_per_epoch(32, 16) == 2


def test_evaluation_steps_evenly_spaced_with_step_zero_and_final():
    steps = eval_schedule.evaluation_steps(10, 3, 2)
    assert steps == [0, 5, 10, 15, 20, 25, 30]
    steps = eval_schedule.evaluation_steps(63, 3, 10)
    assert steps[0] == 0 and steps[-1] == 189
    assert len(steps) == 31
    assert {63, 126, 189} <= set(steps)  # every epoch end
    gaps = [b - a for a, b in zip(steps, steps[1:])]
    assert set(gaps) <= {6, 7}


def test_more_evaluations_than_steps_collapse():
    assert eval_schedule.evaluation_steps(2, 1, 5) == [0, 1, 2]


def test_invalid_schedule():
    with pytest.raises(ValueError):
        eval_schedule.evaluation_steps(10, 1, 0)


def test_stop_step_is_nearest_evaluation_inside_training():
    steps = eval_schedule.evaluation_steps(10, 3, 10)  # 0..30
    assert eval_schedule.stop_step(steps, 0.3) == 9
    assert eval_schedule.stop_step(steps, 0.01) == 1
    assert eval_schedule.stop_step(steps, 0.999) == 29
    with pytest.raises(ValueError):
        eval_schedule.stop_step([0, 5], 0.5)


def test_eval_every_steps_gives_multiples_plus_start_and_end():
    assert eval_schedule.evaluation_steps(100, 3, 10, eval_every_steps=70) == [
        0,
        70,
        140,
        210,
        280,
        300,
    ]
    assert eval_schedule.evaluation_steps(100, 3, 10, eval_every_steps=100) == [0, 100, 200, 300]
    # it takes precedence over evals_per_epoch
    training = {"epochs": 3, "evals_per_epoch": 1, "eval_every_steps": 150}
    assert eval_schedule.trial_evaluation_steps(training, 100) == [0, 150, 300]
    assert eval_schedule.trial_evaluation_steps({"epochs": 3, "evals_per_epoch": 1}, 100) == [
        0,
        100,
        200,
        300,
    ]
    with pytest.raises(ValueError):
        eval_schedule.evaluation_steps(100, 3, 10, eval_every_steps=0)


@pytest.mark.parametrize(
    "n_train, per_epoch_grid, last, final",
    [(3668, 10, 668, 690), (2490, 11, 463, 468), (8551, 11, 1601, 1605), (67349, 43, 12621, 12630)],
)
def test_paper_grid_is_the_authors_runner(n_train, per_epoch_grid, last, final):
    # glue/runners.py: after the optimizer step of batch s (0-based, restarting every epoch),
    # evaluate when s % min(int(S / 10), 100) == 0: the grid ends before the final step
    per_epoch = eval_schedule.steps_per_epoch(n_train, 16)
    grid = eval_schedule.paper_grid_steps(per_epoch, 3)
    assert len(grid) == 3 * per_epoch_grid and grid[-1] == last and per_epoch * 3 == final
    assert grid[per_epoch_grid] == per_epoch + 1  # the counter restarts: epoch 1's batch 0


def test_paper_cadence_by_hand():
    # RTE: S = 156, tenth = 15, tenth / 10 = 1.5: in epoch 0 every step of batches 0..49, then
    # every third batch up to 299 (here to the epoch's end), then the grid; step 0; epoch ends
    steps = eval_schedule.trial_evaluation_steps(
        {"evaluation": "paper", "epochs": 3, "evals_per_epoch": 10}, 156
    )
    epoch0 = [s for s in steps if s <= 156]
    assert epoch0 == [0, *range(1, 51), *range(52, 156, 3), 156]
    later = [s for s in steps if s > 156]
    assert later == [157 + 15 * j for j in range(11)] + [312] + [
        313 + 15 * j for j in range(11)
    ] + [468]
    # SST-2: tenth = 100, so batches 50..290 by 10 in epoch 0
    sst2 = eval_schedule.paper_evaluation_steps(4210, 3)
    assert [s for s in sst2 if 50 < s < 300] == [*range(51, 300, 10)]
    # the regular cadence is untouched by the key's default
    regular = {"evaluation": "regular", "epochs": 3, "evals_per_epoch": 10}
    assert eval_schedule.trial_evaluation_steps(regular, 156) == eval_schedule.evaluation_steps(
        156, 3, 10
    )


def test_live_early_stopping_ranks_on_the_authors_grid_under_the_paper_cadence(monkeypatch):
    """Under `evaluation: paper` the stop step is a grid step (the dense epoch-0 evaluations are
    not), and the partial trials are ranked by their best grid evaluation."""
    from seedstudy.analysis.early_stopping import live

    training = {"evaluation": "paper", "epochs": 3}
    per_epoch = 230  # grid every 23 steps; dense evaluations in epoch 0
    grid = eval_schedule.paper_grid_steps(per_epoch, 3)
    everything = eval_schedule.trial_evaluation_steps(training, per_epoch)
    ranking = eval_schedule.ranking_steps(training, per_epoch)
    assert set(ranking) - {0, 3 * per_epoch} == set(grid) < set(everything)
    stop = eval_schedule.stop_step(ranking, 0.05)  # near step 34.5: dense points are closer
    assert stop in grid and stop == 24
    assert eval_schedule.stop_step(everything, 0.05) not in grid
    regular = {"evals_per_epoch": 10, "epochs": 3}
    assert eval_schedule.ranking_steps(regular, 30) == eval_schedule.trial_evaluation_steps(
        regular, 30
    )
    trials = {
        name: {
            "metric": "acc",
            "status": "stopped",
            "stopped_at_step": 24,
            "grid_steps": grid,
            "evaluations": [{"step": s, "acc": v} for s, v in scores.items()],
        }
        for name, scores in (
            ("a.json", {0: 0.5, 2: 0.9, 24: 0.6}),
            ("b.json", {0: 0.5, 2: 0.6, 24: 0.7}),
        )
    }
    monkeypatch.setattr(live, "read_trial", trials.__getitem__)
    # a's best is at step 2, off the grid: on the grid b (0.7) beats a (0.6)
    assert live.select_survivors(list(trials), keep=1)["keep"] == ["b"]
    for trial in trials.values():
        del trial["grid_steps"]  # the regular cadence ranks on every evaluation
    assert live.select_survivors(list(trials), keep=1)["keep"] == ["a"]
