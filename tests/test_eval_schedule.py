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
