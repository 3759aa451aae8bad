"""Figures 5-7: they show the tables' values, and never fail on small or empty studies."""

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from seedstudy import figures
from seedstudy.analysis.early_stopping.correlation import correlation_table
from seedstudy.analysis.early_stopping.simulation import load_task_curves, simulation_tables
from seedstudy.figures import early_stopping_correlation, early_stopping_simulation


def curves_frame(task: str, n_trials: int, n_points: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_trials):
        scores = np.round(rng.random(n_points + 1), 2)
        length = n_points + 1 if i else max(1, n_points - 1)  # the first trial diverged
        for j in range(length):
            rows.append(
                {
                    "task": task,
                    "init_seed": i,
                    "order_seed": 0,
                    "dropout_seed": 0,
                    "status": "completed" if length == n_points + 1 else "diverged",
                    "eval_index": j,
                    "step": 3 * j,
                    "epoch": j / n_points,
                    "score": scores[j],
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tables():
    frame = pd.concat(
        [curves_frame("mrpc", 7, 4, 0), curves_frame("rte", 5, 2, 1)], ignore_index=True
    )
    # a task whose only trial diverged cannot be analysed
    frame = pd.concat([frame, curves_frame("cola", 1, 3, 2)], ignore_index=True)
    task_curves, skipped = load_task_curves(frame)
    correlation = correlation_table(task_curves)
    candidates, budgets = simulation_tables(task_curves, budgets=4, max_start=9, resamples=200)
    return correlation, budgets, skipped


def test_rank_correlation_figure_shows_the_matrix_and_the_final_line(tables, tmp_path):
    correlation, _, skipped = tables
    assert list(skipped) == ["cola"]
    fig = early_stopping_correlation.rank_correlation(correlation, skipped)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4  # mrpc and rte, each a Spearman and a Pearson matrix
    for image in images:
        assert (image.norm.vmin, image.norm.vmax) == (-1, 1) and image.get_cmap().name == "RdBu_r"
    mrpc = correlation[(correlation["task"] == "mrpc") & correlation["with_final"]].sort_values(
        "eval_a"
    )
    lines = [line for ax in fig.axes for line in ax.lines if len(line.get_xdata()) == 5]
    assert any(np.allclose(line.get_ydata(), mrpc["spearman"], equal_nan=True) for line in lines)
    # Pearson beside Spearman: both matrices drawn with the table's values, and both lines
    assert any(np.allclose(line.get_ydata(), mrpc["pearson"], equal_nan=True) for line in lines)
    assert not np.allclose(mrpc["pearson"], mrpc["spearman"], equal_nan=True)
    everything = correlation[correlation["task"] == "mrpc"]
    for column in ("spearman", "pearson"):
        matrix = np.full((5, 5), np.nan)
        matrix[everything["eval_a"], everything["eval_b"]] = everything[column]
        assert any(
            np.allclose(np.ma.filled(image.get_array(), np.nan), matrix, equal_nan=True)
            for image in images
        )
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert any("Spearman" in title for title in titles) and any(
        "Pearson" in title for title in titles
    )
    path = tmp_path / "fig5.pdf"
    figures.save(fig, path, "Fig. 5", "caption")
    assert len(PdfReader(path).pages) == 1


def test_settings_and_error_reduction_figures(tables, tmp_path):
    _, budgets, skipped = tables
    fig = early_stopping_simulation.best_settings(budgets, skipped)
    mrpc = budgets[budgets["task"] == "mrpc"].sort_values("budget")
    plotted = {tuple(line.get_ydata()) for ax in fig.axes for line in ax.lines}
    for column in ("started", "continued", "stop_fraction"):
        assert tuple(mrpc[column]) in plotted
    figures.save(fig, tmp_path / "fig6.pdf", "Fig. 6", "caption")
    fig = early_stopping_simulation.error_reduction(budgets, skipped)
    plotted = {tuple(line.get_ydata()) for ax in fig.axes for line in ax.lines}
    assert tuple(mrpc["error_reduction"]) in plotted
    assert tuple(mrpc["baseline_expected_best"]) in plotted
    figures.save(fig, tmp_path / "fig7.pdf", "Fig. 7", "caption")
    for name in ("fig6.pdf", "fig7.pdf"):
        assert len(PdfReader(tmp_path / name).pages) == 1


def test_figures_of_an_empty_study(tmp_path):
    correlation = correlation_table([])
    _, budgets = simulation_tables([])
    for number, fig in enumerate(
        [
            early_stopping_correlation.rank_correlation(correlation, {}),
            early_stopping_simulation.best_settings(budgets, {}),
            early_stopping_simulation.error_reduction(budgets, {"sst2": "no completed trial"}),
        ]
    ):
        figures.save(fig, tmp_path / f"{number}.pdf", "empty", "caption")
        assert len(PdfReader(tmp_path / f"{number}.pdf").pages) == 1


def test_smoothed_correlation_with_the_final_score_is_drawn_beside_it():
    frame = curves_frame("mrpc", 7, 4, 0)
    task_curves, _ = load_task_curves(frame)
    correlation = correlation_table(task_curves, sigma=2)
    final = correlation[correlation["with_final"]].sort_values("eval_a")
    fig = early_stopping_correlation.rank_correlation(correlation, {})
    smoothed = [line for ax in fig.axes for line in ax.lines if "smoothed" in line.get_label()]
    assert len(smoothed) == 2
    assert np.allclose(smoothed[0].get_ydata(), final["spearman_smoothed"])
