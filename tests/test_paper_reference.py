"""The paper's numbers beside a study's own (seedstudy.analysis.paper_reference)."""

import math

import pandas as pd

from seedstudy.analysis import paper_reference as ref


def test_reference_file_holds_the_papers_values_with_sources():
    data = ref.reference()
    assert data["best_found"]["values"] == {"mrpc": 91.4, "rte": 77.3, "cola": 67.6, "sst2": 95.1}
    assert data["within_seed_sd"]["values"]["cola"]["total_sd"] == 0.1009
    assert data["best_worst_anova"]["values"]["sst2"]["order"]["F"] == 27.85
    assert data["early_stopping_error_reduction"]["values"]["mrpc"][2] == 0.131
    assert all(entry["source"] for entry in data.values())


def test_best_found_gets_table_1_and_the_mean_in_percent():
    table = pd.DataFrame({"task": ["mrpc", "mytask"], "best_found": [90.0, 80.0]})
    out = ref.beside_best_found(table)
    assert out["paper_best_found"].iloc[0] == 91.4
    assert math.isclose(out["paper_mean_best_found"].iloc[0], 82.50)
    assert out["paper_best_found"].isna().iloc[1]
    assert out["paper_source"].tolist()[1] == ref.NOT_REPORTED
    assert "Table 1" in out["paper_source"].iloc[0]
    assert out["best_found"].tolist() == [90.0, 80.0]  # the study's own column untouched


def test_table_3_only_on_the_best_found_rows():
    table = pd.DataFrame({"task": ["rte", "rte"], "score": ["best", "final"]})
    out = ref.beside_within_seed_sd(table)
    assert out.loc[
        0, ["paper_within_init_sd", "paper_within_order_sd", "paper_total_sd"]
    ].tolist() == [
        0.0659,
        0.0668,
        0.0689,
    ]
    assert out.loc[1, ["paper_within_init_sd", "paper_total_sd"]].isna().all()
    assert out["paper_source"].iloc[1] == ref.NOT_REPORTED


def test_table_4_by_task_and_factor():
    table = pd.DataFrame(
        {"task": ["mrpc", "mrpc", "cola"], "factor": ["init", "order", "order"], "score": "best"}
    )
    out = ref.beside_best_worst_anova(table)
    assert out["paper_F"].tolist() == [29.26, 7.57, 7.03]
    assert out["paper_p"].tolist() == [2.0e-6, 8.3e-3, 1.1e-2]


def test_error_reduction_at_the_papers_budgets_only():
    budgets = pd.DataFrame({"task": ["mrpc"] * 3 + ["sst2"], "budget": [1, 3, 20, 30]})
    out = ref.beside_error_reduction(budgets)
    assert out["paper_error_reduction"].tolist()[0] == 0.068
    assert math.isnan(out["paper_error_reduction"].iloc[1])  # budget 3: not reported
    assert out["paper_error_reduction"].tolist()[2:] == [0.030, 0.011]
    assert out.loc[2, ["paper_started", "paper_stop_fraction", "paper_continued"]].tolist() == [
        41.0,
        0.3,
        11.0,
    ]
    assert out.loc[3, "paper_started":"paper_continued"].isna().all()


def _texts(fig) -> list[str]:
    cells = [
        cell.get_text().get_text()
        for ax in fig.axes
        for table in ax.tables
        for cell in table.get_celld().values()
    ]
    return cells + [text.get_text() for ax in fig.axes for text in ax.texts]


def test_pages_show_the_papers_values_beside_the_studys(tmp_path):
    from support.synthetic_trials import make_trials

    from seedstudy import figures
    from seedstudy.analysis import seed_effects
    from seedstudy.analysis.best_found import best_found_table
    from seedstudy.figures import best_found, early_stopping_simulation
    from seedstudy.figures import seed_effects as seed_figures

    trials = make_trials(tasks=("mrpc", "rte"), n_init=3, n_order=3)
    table = ref.beside_best_found(best_found_table(trials, "bert"))
    fig = best_found.best_found(table)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("Table 1" in label for label in labels)
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert 91.4 in heights and 77.3 in heights
    figures.save(fig, tmp_path / "t1.pdf", "Table 1", "caption")

    within = ref.beside_within_seed_sd(
        pd.concat([seed_effects.within_seed_sd(trials, s) for s in ("best", "final")])
    )
    anova = ref.beside_best_worst_anova(seed_effects.best_worst_anova(trials))
    texts = _texts(seed_figures.seed_tables(within, anova))
    assert {"paper: total", "paper: F", "0.0608", "29.26", ref.NOT_REPORTED} <= set(texts)

    budgets = ref.beside_error_reduction(
        pd.DataFrame({"task": "mrpc", "budget": [1, 2, 3], "error_reduction": [0.0, 0.1, 0.1]})
    )
    for column in ("baseline_expected_best", "baseline_lower", "baseline_upper"):
        budgets[column] = 0.8
    for column in ("expected_best", "lower", "upper"):
        budgets[column] = 0.82
    fig = early_stopping_simulation.error_reduction(budgets)
    paper = [line for line in fig.axes[0].lines if line.get_label() == "MRPC: paper"]
    assert len(paper) == 1
    assert paper[0].get_ydata()[:2].tolist() == [0.068, 0.131]


def test_failures_under_the_authors_thresholds_by_hand():
    from support.synthetic_trials import make_trials

    trials = make_trials(tasks=("mrpc", "sst2"), n_init=2, n_order=2)
    trials["best"] = [0.74, 0.75, 0.76, 0.9, 0.1, 0.2, 0.3, 0.4]
    trials.loc[3, "diverged"] = True
    failures = pd.DataFrame({"task": ["mrpc", "sst2"], "failed": [0, 0]})
    out = ref.beside_failures(failures, trials)
    assert out["paper_threshold"].iloc[0] == 0.75
    assert out["failed_paper_threshold"].iloc[0] == 3  # 0.74, 0.75 (at), and the diverged one
    assert math.isnan(out["failed_paper_threshold"].iloc[1])  # SST-2: no threshold
    assert out["paper_source"].iloc[1] == ref.NOT_REPORTED


def test_table_2_page_shows_the_authors_rule_beside_the_majority_rule():
    from support.synthetic_trials import make_trials

    from seedstudy.analysis import divergence
    from seedstudy.figures import divergence as plots

    trials = make_trials(tasks=("mrpc", "sst2"), n_init=2, n_order=2)
    table = ref.beside_failures(divergence.failure_table(trials), trials)
    texts = _texts(plots.failure_table_page(table))
    assert "failed (paper: best <= threshold)" in texts and "none" in texts
    assert "failed" in texts  # the majority-class rule stays
