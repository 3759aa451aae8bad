"""Early stopping offline: Algorithm 1 at equal budgets and the rank correlations (Fig. 5-7 data).

The fast simulation is checked against `reference_best`, a literal per-resample implementation of
Algorithm 1 on the raw (unpadded) curves, on the same draws; against the sort-based `outcomes`
on larger cases; and on small cases computed by hand.
"""

from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.early_stopping_reference import outcomes

from seedstudy.analysis.early_stopping import cross_fit, simulation
from seedstudy.analysis.early_stopping.correlation import correlation_table, rank_correlation_matrix
from seedstudy.analysis.early_stopping.curves import TaskCurves
from seedstudy.analysis.early_stopping.kernel import (
    candidate_means,
    candidate_outcomes,
    stop_ranking,
)
from seedstudy.analysis.early_stopping.simulation import (
    best_per_budget,
    candidates,
    draw_resamples,
    error_reduction,
    load_task_curves,
    simulate,
    simulation_note,
    simulation_tables,
    task_seed,
)

# ------------------------------------------------------------------------------------------------
# helpers: curves tables and the reference implementation
# ------------------------------------------------------------------------------------------------


def curves_frame(
    curves: list[list[float]], n_points: int, task: str = "mrpc", status=None
) -> pd.DataFrame:
    """An aggregate curves table: trial i has init seed i, its recorded scores at evaluations
    0..len-1 of a grid of n_points + 1; shorter curves are diverged unless `status` says
    otherwise."""
    rows = []
    for i, scores in enumerate(curves):
        trial_status = (
            status[i] if status else ("completed" if len(scores) == n_points + 1 else "diverged")
        )
        for j, score in enumerate(scores):
            rows.append(
                {
                    "task": task,
                    "init_seed": i,
                    "order_seed": 0,
                    "dropout_seed": 0,
                    "status": trial_status,
                    "eval_index": j,
                    "step": 5 * j,
                    "epoch": j / max(n_points, 1),
                    "score": score,
                }
            )
    return pd.DataFrame(rows)


def reference_best(curves: list[list[float]], sample, k: int, p: int) -> float:
    """Algorithm 1, literally, on one drawn sample of trials (indices, duplicates allowed):
    a trial still training at evaluation k (it has a score there) may be continued; the p best by
    best score over evaluations 0..k (ties: lower index) are continued and count their best over
    their whole recorded curve; every other drawn trial counts its best over evaluations 0..k."""
    alive = [position for position, trial in enumerate(sample) if len(curves[trial]) > k]
    alive.sort(key=lambda position: (-max(curves[sample[position]][: k + 1]), sample[position]))
    continued = set(alive[:p])
    found = []
    for position, trial in enumerate(sample):
        if position in continued:
            found.append(max(curves[trial]))
        else:
            found.append(max(curves[trial][: k + 1]))
    return max(found)


def reference_baseline(curves, sample) -> float:
    return max(max(curves[trial]) for trial in sample)


def random_curves(
    rng, n_trials: int, n_points: int, diverged: int = 0, levels: int = 6
) -> list[list[float]]:
    """Few distinct score levels (ties are common); the first `diverged` trials end early."""
    curves = []
    for i in range(n_trials):
        scores = list(np.round(rng.integers(0, levels, n_points + 1) / levels, 6))
        if i < diverged:
            scores = scores[: int(rng.integers(1, n_points + 1))]
        curves.append([float(s) for s in scores])
    return curves


# ------------------------------------------------------------------------------------------------
# candidates at equal budgets
# ------------------------------------------------------------------------------------------------


def brute_force_candidates(K, budgets, max_start):
    rows = []
    for x, t, k, p in product(
        range(1, budgets + 1), range(1, max_start + 1), range(1, K), range(1, max_start + 1)
    ):
        if p <= t and t * k + p * (K - k) == x * K:
            rows.append((x, t, k, p))
    return sorted(rows)


def assert_candidates_match_reference(task_curves, curves, table, draws, budgets, threads, chunk):
    """Every candidate's fast mean and outcomes equal the reference's on the same draws; returns
    the fast baseline means and outcomes."""
    means, baseline_means = candidate_means(
        task_curves, table, draws, budgets, threads=threads, chunk=chunk
    )
    found, baseline_found = candidate_outcomes(
        task_curves, table, draws, budgets, threads=threads, chunk=chunk
    )
    for index, row in table.iterrows():
        expected = [
            reference_best(curves, list(draws[r, : row.t]), row.k, row.p) for r in range(len(draws))
        ]
        assert means[index] == pytest.approx(np.mean(expected), rel=1e-12, abs=1e-12)
        np.testing.assert_array_equal(found[index], expected)
        np.testing.assert_array_equal(outcomes(task_curves, draws, row.t, row.k, row.p), expected)
    return baseline_means, baseline_found


@pytest.mark.parametrize(
    "K,budgets,max_start", [(1, 4, 10), (2, 3, 8), (3, 5, 12), (6, 6, 20), (10, 8, 30)]
)
def test_candidates_are_every_integer_solution_of_equal_cost(K, budgets, max_start):
    table = candidates(K, budgets, max_start)
    found = list(map(tuple, table[["budget", "t", "k", "p"]].to_numpy()))
    assert found == brute_force_candidates(K, budgets, max_start)


def test_candidates_by_hand():
    # K = 2: stop half-way, cost (t + p) / 2
    table = candidates(2, 3, 8)
    assert list(map(tuple, table.to_numpy())) == [
        (1, 1, 1, 1),
        (2, 2, 1, 2),
        (2, 3, 1, 1),
        (3, 3, 1, 3),
        (3, 4, 1, 2),
        (3, 5, 1, 1),
    ]
    assert candidates(1, 5, 10).empty  # one evaluation: nothing to stop at


def test_paper_example_is_a_candidate():
    # MRPC, budget 20: start 41, evaluate after 30% of training, continue 11
    for K in (10, 30):
        table = candidates(K, 30, 200)
        k = 3 * K // 10
        hit = table[
            (table["budget"] == 20) & (table["t"] == 41) & (table["k"] == k) & (table["p"] == 11)
        ]
        assert len(hit) == 1
        assert 41 * 0.3 + 11 * 0.7 == pytest.approx(20)
        table = table.assign(cost=(table["t"] * table["k"] + table["p"] * (K - table["k"])) / K)
        assert np.allclose(table["cost"], table["budget"])


# ------------------------------------------------------------------------------------------------
# the fast simulation against the reference, on the same draws
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seed,n_trials,K,diverged",
    [(0, 5, 2, 0), (1, 4, 3, 1), (2, 7, 5, 3), (3, 3, 6, 2), (4, 1, 4, 0), (5, 6, 1, 2)],
)
def test_fast_simulation_equals_reference_on_the_same_draws(seed, n_trials, K, diverged):
    rng = np.random.default_rng(seed)
    curves = random_curves(rng, n_trials, K, diverged)
    if all(len(c) < K + 1 for c in curves):
        curves.append([0.5] * (K + 1))
    task_curves = TaskCurves.from_curves(curves_frame(curves, K), "mrpc")
    # TaskCurves sorts trials by seed; curves_frame numbered them in order
    assert task_curves.trials["init_seed"].tolist() == list(range(len(curves)))
    budgets, max_start, resamples = 5, 12, 97
    draws = draw_resamples(len(curves), resamples, max_start, seed)
    table = candidates(K, budgets, max_start)
    for threads, chunk in ((1, 1000), (2, 16)):
        baseline_means, baseline_found = assert_candidates_match_reference(
            task_curves, curves, table, draws, budgets, threads, chunk
        )
        for x in range(1, budgets + 1):
            expected = [reference_baseline(curves, draws[r, :x]) for r in range(resamples)]
            assert baseline_means[x - 1] == pytest.approx(np.mean(expected), rel=1e-12, abs=1e-12)
            np.testing.assert_array_equal(baseline_found[x - 1], expected)
            np.testing.assert_array_equal(outcomes(task_curves, draws, x, K, x), expected)


def test_fast_simulation_equals_sorting_each_resample_on_a_larger_case():
    rng = np.random.default_rng(7)
    K = 10
    curves = [
        list(
            np.clip(
                0.6
                + 0.3 * (1 - np.exp(-rng.uniform(1, 6) * np.arange(K + 1) / K))
                + rng.normal(0, 0.02, K + 1),
                0,
                1,
            )
        )
        for _ in range(60)
    ]
    curves[3] = curves[3][:4]
    curves[9] = curves[9][:8]
    task_curves = TaskCurves.from_curves(curves_frame(curves, K), "mrpc")
    table = candidates(K, 12, 40)
    draws = draw_resamples(len(curves), 3000, 40, 11)
    means, _ = candidate_means(task_curves, table, draws, 12, chunk=700)
    for index, row in table.iterrows():
        assert means[index] == pytest.approx(
            outcomes(task_curves, draws, row.t, row.k, row.p).mean(), rel=1e-12
        )


def test_continuing_every_trial_equals_the_baseline_and_the_baseline_wins_the_tie():
    rng = np.random.default_rng(3)
    curves = random_curves(rng, 8, 4)
    task_curves = TaskCurves.from_curves(curves_frame(curves, 4), "mrpc")
    draws = draw_resamples(8, 500, 20, 1)
    table = candidates(4, 6, 20)
    means, baseline_means = candidate_means(task_curves, table, draws, 6)
    no_stopping = table[table["t"] == table["p"]]
    assert len(no_stopping) > 0
    for index, row in no_stopping.iterrows():
        assert row.t == row.budget
        assert means[index] == baseline_means[row.budget - 1]
    table["expected_best"] = means
    # a budget where only t = p exists: the baseline is chosen, not its twin
    best = best_per_budget(table, baseline_means)
    assert bool(best.loc[best["budget"] == 1, "baseline"].iloc[0])


def test_two_trials_by_hand():
    # trial 0 peaks early, trial 1 late; K = 2, stop after the first evaluation (k = 1)
    curves = [[0.5, 0.9, 0.6], [0.5, 0.6, 0.95]]
    task_curves = TaskCurves.from_curves(curves_frame(curves, 2), "mrpc")
    draws = np.array([[0, 1, 1], [1, 1, 1], [0, 0, 1], [1, 0, 0]], dtype=np.int16)
    # t = 3, p = 1: trial 0 ranks first whenever drawn and is continued (0.9), trial 1 stops at 0.6
    assert outcomes(task_curves, draws, 3, 1, 1).tolist() == [0.9, 0.95, 0.9, 0.9]
    # t = 3, p = 2: the second continued is trial 1 (if drawn) or a copy of trial 0
    assert outcomes(task_curves, draws, 3, 1, 2).tolist() == [0.95, 0.95, 0.9, 0.9]
    # baseline x = 2 on the first two draws
    assert outcomes(task_curves, draws, 2, 2, 2).tolist() == [0.95, 0.95, 0.9, 0.95]
    table = pd.DataFrame({"budget": [2, 2], "t": [3, 3], "k": [1, 1], "p": [1, 2]})
    means, baseline_means = candidate_means(task_curves, table, draws, 2)
    assert means == pytest.approx([(0.9 + 0.95 + 0.9 + 0.9) / 4, (0.95 + 0.95 + 0.9 + 0.9) / 4])
    assert baseline_means == pytest.approx(
        [(0.9 + 0.95 + 0.9 + 0.95) / 4, (0.95 + 0.95 + 0.9 + 0.95) / 4]
    )


def test_a_trial_diverged_before_the_stop_point_is_never_continued():
    # trial 1 diverged after its evaluation 1 (scores 0.5, 0.9): at k = 2 it is known diverged
    curves = [[0.5, 0.6, 0.6, 0.95], [0.5, 0.9]]
    task_curves = TaskCurves.from_curves(curves_frame(curves, 3), "mrpc")
    assert task_curves.scores[1].tolist() == [0.5, 0.9, 0.9, 0.9]  # last score kept
    assert task_curves.n_evals.tolist() == [4, 2]
    partial = np.maximum.accumulate(task_curves.scores, axis=1)[:, 2]
    assert partial.tolist() == [0.6, 0.9]
    assert stop_ranking(partial, task_curves.n_evals, 2).tolist() == [0, 1]
    assert stop_ranking(partial, task_curves.n_evals, 1).tolist() == [1, 0]
    draws = np.array([[0, 1], [1, 1], [1, 0]], dtype=np.int16)
    # the continued slot goes to trial 0 (0.95); trial 1 still counts its 0.9
    assert outcomes(task_curves, draws, 2, 2, 1).tolist() == [0.95, 0.9, 0.95]
    # at k = 1 trial 1 is still training, ranks first (0.9 > 0.6) and takes the slot
    assert outcomes(task_curves, draws, 2, 1, 1).tolist() == [0.9, 0.9, 0.9]
    table = pd.DataFrame({"budget": [1, 1], "t": [2, 2], "k": [2, 1], "p": [1, 1]})
    means, _ = candidate_means(task_curves, table, draws, 1)
    assert means == pytest.approx([(0.95 + 0.9 + 0.95) / 3, 0.9])


def test_best_per_budget_ties_and_choice():
    table = pd.DataFrame(
        {
            "budget": [2, 2, 2],
            "t": [3, 4, 3],
            "k": [1, 2, 2],
            "p": [1, 1, 1],
            "expected_best": [0.8, 0.8, 0.7],
        }
    )
    best = best_per_budget(table, np.array([0.5, 0.75]))
    # budget 2: two candidates tie at 0.8: fewer started first
    row = best[best["budget"] == 2].iloc[0]
    assert (row.t, row.k, row.p, bool(row.baseline)) == (3, 1, 1, False)
    # budget 1 has no candidate: the baseline
    row = best[best["budget"] == 1].iloc[0]
    assert (row.t, row.p, bool(row.baseline), row.n_candidates) == (1, 1, True, 0)
    # the baseline wins a tie
    best = best_per_budget(table, np.array([0.5, 0.8]))
    assert bool(best[best["budget"] == 2].iloc[0].baseline)


def test_error_reduction():
    assert error_reduction(0.8, 0.84) == pytest.approx(0.2)
    assert error_reduction(0.8, 0.8) == 0.0
    assert error_reduction(1.0, 1.0) == 0.0  # nothing left to reduce
    assert error_reduction(-0.2, 0.4) == pytest.approx(0.5)  # MCC below 0: err = 1 - score > 1


# ------------------------------------------------------------------------------------------------
# simulate: tables, seeds, degenerate studies
# ------------------------------------------------------------------------------------------------


def test_simulate_tables_are_consistent_and_reproducible():
    rng = np.random.default_rng(5)
    curves = random_curves(rng, 9, 4, diverged=2)
    task_curves = TaskCurves.from_curves(curves_frame(curves, 4), "mrpc")
    table, best = simulate(
        task_curves, budgets=5, max_start=15, resamples=400, seed=task_seed(0, "mrpc")
    )
    again, best_again = simulate(
        task_curves, budgets=5, max_start=15, resamples=400, seed=task_seed(0, "mrpc"), threads=2
    )
    pd.testing.assert_frame_equal(table, again)
    pd.testing.assert_frame_equal(best, best_again)
    assert best["budget"].tolist() == [1, 2, 3, 4, 5]
    assert (best["error_reduction"] >= 0).all()
    assert (best["expected_best"] >= best["baseline_expected_best"] - 1e-12).all()
    # the interval holds the central 95% of the resamples' best scores (the mean may lie outside it)
    for row in best.itertuples():
        found = outcomes(
            task_curves,
            draw_resamples(9, 400, 15, task_seed(0, "mrpc")),
            row.started,
            row.stop_index,
            row.continued,
        )
        assert found.mean() == pytest.approx(row.expected_best, rel=1e-12)
        assert np.mean(found < row.lower) <= 0.025 and np.mean(found > row.upper) <= 0.025
        assert row.lower <= row.upper
    for row in best.itertuples():
        cost = (row.started * row.stop_index + row.continued * (4 - row.stop_index)) / 4
        assert cost == row.budget
        if row.early_stopping:
            match = table[
                (table["budget"] == row.budget)
                & (table["started"] == row.started)
                & (table["stop_index"] == row.stop_index)
                & (table["continued"] == row.continued)
            ]
            assert match["expected_best"].iloc[0] == pytest.approx(row.expected_best, rel=1e-12)
            assert match["expected_best"].iloc[0] == pytest.approx(
                table.loc[table["budget"] == row.budget, "expected_best"].max(), rel=1e-12
            )
        else:
            assert (row.started, row.continued, row.stop_fraction) == (row.budget, row.budget, 1.0)
    other, _ = simulate(
        task_curves, budgets=5, max_start=15, resamples=400, seed=task_seed(1, "mrpc")
    )
    assert not np.array_equal(other["expected_best"], table["expected_best"])


def test_simulate_on_tiny_and_degenerate_studies():
    # the tiny workflow study: 4 trials, K = 2, budgets 3, t <= 8
    curves = [
        [0.4375, 0.59375, 0.5625],
        [0.4375, 0.5625, 0.5625],
        [0.59375, 0.6875, 0.59375],
        [0.59375, 0.5625, 0.5625],
    ]
    table, best = simulate(
        TaskCurves.from_curves(curves_frame(curves, 2, task="sst2"), "sst2"), 3, 8, 200
    )
    assert len(table) == 6 and len(best) == 3
    # one trial, one evaluation after step 0, budgets beyond max_start
    single = TaskCurves.from_curves(curves_frame([[0.3, 0.7]], 1, task="rte"), "rte")
    table, best = simulate(single, budgets=4, max_start=2, resamples=10)
    assert table.empty
    assert best["expected_best"].tolist() == [0.7] * 4
    assert best["error_reduction"].tolist() == [0.0] * 4
    # every trial identical: every candidate ties with the baseline, which is chosen
    same = TaskCurves.from_curves(curves_frame([[0.5, 0.6, 0.7]] * 3, 2, task="cola"), "cola")
    table, best = simulate(same, budgets=3, max_start=6, resamples=50)
    assert (~best["early_stopping"]).all()


def test_task_curves_from_the_aggregate_table():
    frame = curves_frame(
        [[0.1, 0.2, 0.3], [0.2, 0.5], [0.3, 0.1, 0.0], [0.4]],
        2,
        status=["completed", "diverged", "completed", "stopped"],
    )
    task_curves = TaskCurves.from_curves(frame, "mrpc")
    assert task_curves.n_trials == 3 and task_curves.n_stopped == 1
    assert task_curves.n_completed == 2 and task_curves.n_diverged == 1
    assert task_curves.scores.tolist() == [[0.1, 0.2, 0.3], [0.2, 0.5, 0.5], [0.3, 0.1, 0.0]]
    assert task_curves.epochs.tolist() == [0.0, 0.5, 1.0]
    # trials without a dropout seed of their own (dropout owned by the order or init seed)
    unseeded = TaskCurves.from_curves(frame.assign(dropout_seed=None), "mrpc")
    np.testing.assert_array_equal(unseeded.scores, task_curves.scores)
    assert unseeded.epochs.tolist() == [0.0, 0.5, 1.0]
    # no completed trial: the grid is unknown
    with pytest.raises(ValueError, match="no completed trial"):
        TaskCurves.from_curves(curves_frame([[0.1, 0.2]], 2), "mrpc")
    both = pd.concat([frame, curves_frame([[0.1, 0.2]], 2, task="rte")])
    loaded, skipped = load_task_curves(both)
    assert [c.task for c in loaded] == ["mrpc"] and list(skipped) == ["rte"]
    # completed trials on different grids
    bad = frame.copy()
    bad.loc[(bad["init_seed"] == 2) & (bad["eval_index"] == 1), "step"] = 7
    with pytest.raises(ValueError, match="grid"):
        TaskCurves.from_curves(bad, "mrpc")
    bad = frame.copy()
    bad.loc[0, "score"] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        TaskCurves.from_curves(bad, "mrpc")


def test_simulation_tables_of_several_tasks_and_none():
    frame = pd.concat(
        [curves_frame([[0.1, 0.5, 0.3], [0.2, 0.4, 0.6]], 2, task=task) for task in ("rte", "mrpc")]
    )
    loaded, _ = load_task_curves(frame)
    candidates_table, budgets_table = simulation_tables(
        loaded, budgets=2, max_start=4, resamples=30
    )
    assert sorted(budgets_table["task"].unique()) == ["mrpc", "rte"]
    note = simulation_note(loaded, 2, 4, 30, 0, 0.95)
    assert "mrpc 2+0, rte 2+0" in note and "survivors" not in note
    stopped = curves_frame(
        [[0.1, 0.5, 0.3], [0.2, 0.4, 0.6], [0.3]], 2, status=["completed"] * 2 + ["stopped"]
    )
    note = simulation_note(load_task_curves(stopped)[0], 2, 4, 30, 0, 0.95)
    assert "mrpc 2+0 (1 stopped left out); live early stopping ran" in note
    candidates_table, budgets_table = simulation_tables([], budgets=2, max_start=4, resamples=30)
    assert (
        candidates_table.empty
        and budgets_table.empty
        and "error_reduction" in budgets_table.columns
    )


# ------------------------------------------------------------------------------------------------
# rank correlations (Fig. 5)
# ------------------------------------------------------------------------------------------------


def test_rank_correlation_matrix_equals_scipy_spearman_pair_by_pair():
    rng = np.random.default_rng(2)
    scores = np.round(rng.random((12, 5)) * 4) / 4  # ties
    matrix = rank_correlation_matrix(scores)
    for a, b in product(range(5), repeat=2):
        assert matrix[a, b] == pytest.approx(
            stats.spearmanr(scores[:, a], scores[:, b]).statistic, abs=1e-12
        )


def test_rank_correlation_by_hand_and_degenerate():
    scores = np.array([[0.0, 1.0, 3.0, 0.5], [0.0, 2.0, 2.0, 0.4], [0.0, 3.0, 1.0, 0.1]])
    matrix = rank_correlation_matrix(scores)
    assert np.isnan(matrix[0]).all() and np.isnan(matrix[:, 0]).all()  # step 0 constant
    assert matrix[1, 2] == pytest.approx(-1.0)
    assert matrix[1, 1] == pytest.approx(1.0)
    assert matrix[2, 3] == pytest.approx(1.0)
    assert np.isnan(rank_correlation_matrix(np.array([[0.1, 0.2]]))).all()


def test_correlation_table_uses_completed_trials():
    frame = curves_frame([[0.1, 0.2, 0.3], [0.2, 0.3, 0.5], [0.3, 0.1, 0.0], [0.9, 0.0]], 2)
    loaded, _ = load_task_curves(frame)
    table = correlation_table(loaded)
    assert len(table) == 9 and (table["n_trials"] == 3).all()
    final = table[table["with_final"]].sort_values("eval_a")
    assert final["spearman"].tolist() == pytest.approx([-0.5, 1.0, 1.0])


def test_downsampling_keeps_start_end_and_evenly_spaced_points():
    full = [0.01 * i for i in range(13)]  # K = 12 evaluations after step 0
    frame = curves_frame([full, full[:5], full], 12, status=["completed", "diverged", "completed"])
    curves = TaskCurves.from_curves(frame, "mrpc")
    small = curves.downsample(4)  # indices 0, 3, 6, 9, 12
    assert small.n_points == 4
    assert small.scores[0].tolist() == pytest.approx([0.0, 0.03, 0.06, 0.09, 0.12])
    assert small.steps.tolist() == curves.steps[[0, 3, 6, 9, 12]].tolist()
    # the diverged trial had evaluations 0..4: it keeps indices 0 and 3
    assert small.n_evals.tolist() == [5, 2, 5]
    assert curves.downsample(None) is curves and curves.downsample(12) is curves
    loaded, _ = load_task_curves(frame, points=4)
    np.testing.assert_array_equal(loaded[0].scores, small.scores)


def test_correlation_table_has_pearson_and_optional_smoothing():
    from scipy.ndimage import gaussian_filter1d

    rng = np.random.default_rng(3)
    curves = [list(rng.random(6)) for _ in range(8)]
    task_curves = [TaskCurves.from_curves(curves_frame(curves, 5), "mrpc")]
    table = correlation_table(task_curves)
    scores = np.array(curves)
    for a, b in ((0, 5), (2, 3)):
        row = table[(table["eval_a"] == a) & (table["eval_b"] == b)].iloc[0]
        assert row["pearson"] == pytest.approx(stats.pearsonr(scores[:, a], scores[:, b])[0])
        assert row["spearman"] == pytest.approx(stats.spearmanr(scores[:, a], scores[:, b])[0])
    assert "pearson_smoothed" not in table
    smooth = correlation_table(task_curves, sigma=2)
    # as the notebook: the 1-D curve of each point's correlation with the final one, smoothed
    final = smooth[smooth["with_final"]].sort_values("eval_a")
    expected = gaussian_filter1d(final["pearson"].to_numpy(), 2)
    np.testing.assert_allclose(final["pearson_smoothed"], expected)
    assert not np.allclose(final["pearson_smoothed"], final["pearson"])
    assert smooth.loc[~smooth["with_final"], "spearman_smoothed"].isna().all()
    # a hand case of gaussian_filter1d's weights: a constant curve stays constant
    assert np.allclose(gaussian_filter1d(np.full(6, 0.4), 2), 0.4)
    np.testing.assert_array_equal(smooth["pearson"], table["pearson"])  # matrices untouched


# ------------------------------------------------------------------------------------------------
# accounting "paper": the authors' cost, p = 0, no off-grid final evaluation
# ------------------------------------------------------------------------------------------------


def brute_force_paper_candidates(K, budgets, max_start):
    rows = []
    for x, t, k, p in product(
        range(1, budgets + 1), range(1, max_start + 1), range(1, K), range(max_start + 1)
    ):
        if p <= t and t * (k + 1) + p * (K - k) == x * (K + 1):
            rows.append((x, t, k, p))
    return sorted(rows)


@pytest.mark.parametrize(
    "K,budgets,max_start", [(1, 4, 10), (2, 3, 8), (3, 5, 12), (6, 6, 20), (10, 8, 30)]
)
def test_paper_candidates_are_every_integer_solution(K, budgets, max_start):
    table = candidates(K, budgets, max_start, accounting="paper")
    assert list(
        map(tuple, table[["budget", "t", "k", "p"]].to_numpy())
    ) == brute_force_paper_candidates(K, budgets, max_start)


def test_paper_cost_by_hand():
    # K = 2, stop after evaluation 1: charged 2 of 3 intervals, cost (2t + p) / 3;
    # exact: (t + p) / 2
    table = candidates(2, 2, 8, accounting="paper")
    assert list(map(tuple, table.to_numpy())) == [(1, 1, 1, 1), (2, 2, 1, 2), (2, 3, 1, 0)]
    # (2, 3, 1, 1) costs 2 under exact accounting but 7/3 under the paper's
    assert (2, 3, 1, 1) in set(map(tuple, candidates(2, 2, 8).to_numpy()))
    with pytest.raises(ValueError, match="accounting"):
        candidates(2, 2, 8, accounting="other")


def test_p_zero_is_the_best_partial_run_by_hand():
    # K = 2; p = 0 counts partial bests only: best over evaluations 0..1
    curves = [[0.1, 0.3, 0.9], [0.2, 0.5, 0.6], [0.0, 0.4]]  # trial 2 diverged after evaluation 1
    task_curves = TaskCurves.from_curves(curves_frame(curves, 2), "mrpc")
    draws = np.array([[0, 1, 2], [0, 0, 0], [2, 0, 2], [2, 2, 2]])
    table = pd.DataFrame({"t": [3], "k": [1], "p": [0]})
    found, _ = candidate_outcomes(task_curves, table, draws, 1)
    np.testing.assert_array_equal(found[0], [0.5, 0.3, 0.4, 0.4])
    np.testing.assert_array_equal(outcomes(task_curves, draws, 3, 1, 0), [0.5, 0.3, 0.4, 0.4])
    # p = 1 continues the best at evaluation 1: trial 1 (0.5 -> 0.6); in [2, 0, 2] trial 2 (0.4,
    # still training at evaluation 1) beats trial 0 (0.3) and ends at 0.4
    found, _ = candidate_outcomes(
        task_curves, pd.DataFrame({"t": [3], "k": [1], "p": [1]}), draws, 1
    )
    np.testing.assert_array_equal(found[0], [0.6, 0.9, 0.4, 0.4])


def test_off_grid_final_is_left_out_by_hand():
    # every 100 steps, 250 in all: 0, 100, 200, 250 - the final evaluation is off the grid
    frame = curves_frame([[0.1, 0.2, 0.3, 0.9], [0.4, 0.5, 0.6, 0.7], [0.1, 0.2, 0.3]], 3)
    frame["step"] = frame["eval_index"].map({0: 0, 1: 100, 2: 200, 3: 250})
    curves = TaskCurves.from_curves(frame, "mrpc")
    assert curves.final_off_grid()
    cut = curves.without_off_grid_final()
    assert cut.n_points == 2 and cut.steps.tolist() == [0, 100, 200]
    np.testing.assert_array_equal(cut.scores[:, -1], [0.3, 0.6, 0.3])
    assert cut.n_evals.tolist() == [3, 3, 3]  # the diverged trial reached every kept point
    # the baseline's best is taken without the final 0.9
    _, baseline = candidate_outcomes(cut, candidates(2, 1, 2, "paper"), np.array([[0, 0]]), 1)
    assert baseline[0, 0] == 0.3
    # on the grid (0, 100, 200, 300; or per-epoch rounding, gaps differing by one) nothing changes
    frame["step"] = frame["eval_index"] * 100
    assert TaskCurves.from_curves(frame, "mrpc").without_off_grid_final().n_points == 3
    frame["step"] = frame["eval_index"].map({0: 0, 1: 33, 2: 67, 3: 100})
    assert not TaskCurves.from_curves(frame, "mrpc").final_off_grid()
    # load_task_curves applies it under "paper" only
    frame["step"] = frame["eval_index"].map({0: 0, 1: 100, 2: 200, 3: 250})
    assert load_task_curves(frame)[0][0].n_points == 3
    assert load_task_curves(frame, accounting="paper")[0][0].n_points == 2


@pytest.mark.parametrize(
    "seed,n_trials,K,diverged",
    [(0, 5, 2, 0), (1, 4, 3, 1), (2, 7, 5, 3), (3, 3, 6, 2), (4, 1, 4, 0), (6, 6, 4, 2)],
)
@pytest.mark.parametrize("accounting", ["exact", "paper"])
def test_fast_simulation_equals_reference_under_both_accountings(
    seed, n_trials, K, diverged, accounting
):
    rng = np.random.default_rng(seed)
    curves = random_curves(rng, n_trials, K, diverged)
    if all(len(c) < K + 1 for c in curves):
        curves.append([0.5] * (K + 1))
    task_curves = TaskCurves.from_curves(curves_frame(curves, K), "mrpc")
    budgets, max_start, resamples = 5, 12, 61
    draws = draw_resamples(len(curves), resamples, max_start, seed)
    table = candidates(K, budgets, max_start, accounting)
    if accounting == "paper":
        assert (table["p"] == 0).any() or K < 2
    for threads, chunk in ((1, 1000), (2, 16)):
        assert_candidates_match_reference(
            task_curves, curves, table, draws, budgets, threads, chunk
        )


# ------------------------------------------------------------------------------------------------
# cross-fitted error reduction
# ------------------------------------------------------------------------------------------------


def test_cross_fit_folds_split_by_init_seed():
    rng = np.random.default_rng(0)
    frame = curves_frame(random_curves(rng, 12, 3), 3)
    frame["init_seed"] = frame["init_seed"] // 3  # 4 init seeds of 3 trials each
    frame["order_seed"] = frame.groupby("init_seed")["eval_index"].transform(
        lambda s: (s.index - s.index[0]) // 4
    )
    curves = TaskCurves.from_curves(frame, "mrpc")
    first, second = cross_fit.folds(curves, np.random.default_rng(1))
    assert sorted(np.concatenate([first, second])) == list(range(12))
    seeds = curves.trials["init_seed"].to_numpy()
    assert len(first) == len(second) == 6 and not set(seeds[first]) & set(seeds[second])


def test_cross_fitting_removes_the_winners_curse():
    """Every evaluation an iid draw: no setting of Algorithm 1 beats full training at an equal
    number of evaluations, yet the best of many candidates looks better on the trials that chose
    it. The cross-fitted error reduction, measured on trials that did not choose, is not."""
    K, budgets, in_sample, crossed = 4, 6, [], []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        curves = [list(rng.normal(0.7, 0.05, K + 1)) for _ in range(60)]
        task = TaskCurves.from_curves(curves_frame(curves, K), "mrpc")
        _, best = simulation.simulate(task, budgets, max_start=24, resamples=3000, seed=seed)
        fitted = cross_fit.cross_fitted(task, budgets, 24, 3000, seed, bootstrap=60)
        stopped = best["early_stopping"].to_numpy()
        in_sample += list(best["error_reduction"][stopped])
        crossed += list(fitted["error_reduction_cross_fitted"][stopped])
        assert (fitted["cross_fitted_lower"] <= fitted["cross_fitted_upper"]).all()
    assert min(in_sample) > 0 and np.mean(in_sample) > 0.01
    assert abs(np.mean(crossed)) < 0.01 < np.mean(in_sample) - np.mean(crossed)


def test_cross_fitted_table_adds_its_columns_per_task():
    rng = np.random.default_rng(3)
    curves = [list(rng.normal(0.7, 0.05, 4)) for _ in range(10)]
    task = TaskCurves.from_curves(curves_frame(curves, 3), "mrpc")
    _, budgets = simulation.simulation_tables([task], budgets=3, max_start=6, resamples=200)
    table = cross_fit.cross_fitted_table([task], budgets, 3, 6, 200, bootstrap=20)
    assert list(table.columns) == list(budgets.columns) + cross_fit.COLUMNS
    assert table["error_reduction_cross_fitted"].iloc[0] == 0  # budget 1: full training only
    assert (table["cross_fitted_lower"] <= table["cross_fitted_upper"]).all()
