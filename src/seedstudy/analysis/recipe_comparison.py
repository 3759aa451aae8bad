"""Comparison of training recipes on the same seed grid: every pair of recipes, per task, on the
best-found and on the final score.

Two recipes trained with the same (init, order, dropout) seeds form a *paired cell*. Cells that
share an init seed or an order seed are correlated (the seed effects are shared), so no interval
here takes the cells as independent. Two ways account for the seeds: the moment standard error
of a mean under the crossed init x order model (`crossed.mean_se`, t on min(I, J) - 1 degrees
of freedom), and the **two-way bootstrap over seeds**: resample the init seeds and,
independently, the order seeds with replacement and keep all cells they index, with
multiplicity (Owen 2007's pigeonhole bootstrap). A resample is a weight per cell,
count(init seed) x count(order seed), so each statistic is a weighted mean over the cells
and no cell is materialised. The same resamples serve every recipe and pair of a task (and
both scores), so the differences stay paired.

- `pair_statistics`: the mean paired difference A - B with its crossed moment SE, t interval and
  p-value (the decision's test), its two-way bootstrap percentile interval (conservative: the
  pigeonhole bootstrap's variance of a mean is too large where the seed effects of the
  difference are small), and P(A > B) over the paired cells (ties count half; Bouthillier et
  al. 2021) with its bootstrap interval.
- `aso_eps_min`: Almost Stochastic Order (Dror et al. 2019), eps_min at the confidence level:
  deepsig's violation ratio of the scores, its spread from the two-way seed resamples.
- `weighted_expected_max`: the study's expected maximum of n trials (`expected_max`, with
  replacement) of a weighted sample, for the bootstrap of the per-recipe curves at the trial
  budgets and of their differences (percentile intervals); `expected_max_intervals`: a
  recipe's own curve, bias-corrected, only at budgets well below the grid's effective size.
- `paired_mixed_model`: score ~ recipe + (1 | init) + (1 | order) + (1 | recipe:init) +
  (1 | recipe:order), fitted (statsmodels MixedLM, REML) on what it implies for a pair's
  differences, d ~ 1 + (1 | init) + (1 | order): the recipe effect with its Wald interval and the
  recipe-by-seed variances; `recipe_components`: each recipe's own seed components (moments
  with the random-effect bootstrap of `variance_components`), side by side.
- failure rates with Wilson intervals, and McNemar's exact test on the paired cells.
- Holm's correction over every pair and task (one family per score for the differences, one for
  the failure tests); `DECISION_RULE` says what a decision is.

Tasks with fewer than two recipes are left out of every table. The trials table's `complete`
flag is not used: a diverged trial keeps the scores it had (as in the study's other analyses)
and counts as failed.
Stopped trials (live early stopping) are left out as in `aggregate.finished_trials`.
"""

from __future__ import annotations

import itertools
import warnings
import zlib

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLMParams

from .aggregate import finished_trials
from .crossed import effective_size, mean_se
from .expected_max import expected_max
from .resampling import (
    cell_weights,
    holm,
    mcnemar_exact,
    outperform_indicator,
    percentile_interval,
    seed_counts,
    weighted_means,
    wilson_interval,
)
from .variance_components import NotEnoughData, design, moment_components, moment_estimates

SCORES = ("best", "final")
PAIR_KEYS = ["init_seed", "order_seed", "dropout_seed"]  # a paired cell of two recipes
REQUIRED = ["task", "recipe", "init_seed", "order_seed", "best", "final", "failed"]
# deepsig's ASO: the integration step of its violation ratio (deepsig's default for aso)
ASO_DT = 0.005
# a recipe's expected best of n trials gets an interval where n <= effective sample size / this
EXPECTED_MAX_INTERVAL_SHARE = 4
DECISION_RULE = (
    "decision: 'A > B' (or 'B > A') when the p-value of a zero mean paired difference (the mean "
    "difference over its moment standard error under the crossed init x order seed model, "
    "two-sided t on min(init seeds, order seeds) - 1 df), Holm-corrected over every pair of "
    "recipes and task (one family per score), is below 1 - level; otherwise 'no difference shown'"
)

COLUMNS = {
    "differences": [
        "task",
        "score",
        "recipe_a",
        "recipe_b",
        "n_cells",
        "mean_diff",
        "se",
        "df",
        "boot_low",
        "boot_high",
        "t_low",
        "t_high",
        "p_outperform",
        "p_low",
        "p_high",
        "aso_eps_min",
        "p_value",
        "p_holm",
        "decision",
    ],
    "expected_max": ["task", "score", "recipe", "n", "expected_max", "low", "high"],
    "expected_max_differences": [
        "task",
        "score",
        "recipe_a",
        "recipe_b",
        "n",
        "diff",
        "low",
        "high",
    ],
    "mixed_model": ["task", "score", "term", "estimate", "low", "high"],
    "failures": ["task", "recipe", "failed", "trials", "rate", "low", "high"],
    "failure_tests": ["task", "recipe_a", "recipe_b", "b", "c", "p_value", "p_holm"],
}


# ---------------------------------------------------------------------------------------------
# the paired difference (resamples: `resampling`'s two-way bootstrap over seeds)


def pair_statistics(a, b, init_seeds, order_seeds, weights: np.ndarray, level: float) -> dict:
    """The paired comparison of scores `a` and `b` of the same cells (seeds `init_seeds`,
    `order_seeds`), with the bootstrap `weights` (resamples x cells) of those cells: the mean
    difference with its crossed moment SE, t interval and p-value (`crossed.mean_se`, the
    decision's test), its two-way seed bootstrap interval, and P(A > B) with its interval."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = a - b
    boot_diff = weighted_means(diff, weights)
    indicator = outperform_indicator(a, b)
    boot_p = weighted_means(indicator, weights)
    boot_low, boot_high = percentile_interval(boot_diff, level)
    p_low, p_high = percentile_interval(boot_p, level)
    try:
        test = mean_se(diff, init_seeds, order_seeds).test(level)
    except NotEnoughData:
        test = {"se": np.nan, "df": np.nan, "low": np.nan, "high": np.nan, "p_value": np.nan}
    return {
        "n_cells": len(diff),
        "mean_diff": float(diff.mean()),
        "se": test["se"],
        "df": test["df"],
        "boot_low": boot_low,
        "boot_high": boot_high,
        "t_low": test["low"],
        "t_high": test["high"],
        "p_outperform": float(indicator.mean()),
        "p_low": p_low,
        "p_high": p_high,
        "p_value": test["p_value"],
    }


# ---------------------------------------------------------------------------------------------
# expected maximum of n trials


def weighted_expected_max(values, weights: np.ndarray, ns) -> np.ndarray:
    """E[max of n draws with replacement] from the weighted empirical distribution of `values`,
    per row of `weights` (resamples x values) and n in `ns`: sum_i v_(i) [(W_i / W)^n -
    (W_(i-1) / W)^n], W_i the cumulative weight of the i smallest values (`expected_max`'s
    estimator when every weight is 1). Shape (resamples, len(ns))."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    weights = np.atleast_2d(weights)[:, order].astype(float)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = np.cumsum(weights, axis=1) / total
        lower = np.clip(upper - weights / total, 0, None)
    return np.stack([((upper**n - lower**n) @ sorted_values) for n in ns], axis=1)


def expected_max_intervals(
    own: pd.DataFrame, score: str, ns, boot: np.ndarray, level: float
) -> list[tuple[float, float]]:
    """The interval of one recipe's expected best of n trials at every n of `ns` (`boot`: its
    two-way seed bootstrap, resamples x ns): the bias-corrected estimate 2 E[max] - mean(boot)
    -/+ the t quantile on min(init seeds, order seeds) - 1 df times the bootstrap sd, where
    n <= effective sample size / EXPECTED_MAX_INTERVAL_SHARE; NaN beyond. The estimator is
    biased low as n nears the number of independent draws the grid holds, which no resampling
    of the grid recovers: at n = N no interval holds its level (`crossed.effective_size`;
    coverage in `benchmarks/calibration_recipes.py`)."""
    values = own[score].to_numpy(dtype=float)
    try:
        df = mean_se(values, own["init_seed"], own["order_seed"]).df
        size = effective_size(values, own["init_seed"], own["order_seed"])
    except NotEnoughData:
        return [(np.nan, np.nan)] * len(ns)
    point = weighted_expected_max(values, np.ones((1, values.size)), ns)[0]
    q = stats.t.ppf((1 + level) / 2, df)
    intervals = []
    for index, n in enumerate(ns):
        column = boot[:, index][np.isfinite(boot[:, index])]
        if n > size / EXPECTED_MAX_INTERVAL_SHARE or column.size < 2:
            intervals.append((np.nan, np.nan))
            continue
        centre = 2 * point[index] - column.mean()
        half = q * float(np.std(column, ddof=1))
        intervals.append((float(centre - half), float(centre + half)))
    return intervals


def budget_ns(budgets, n_trials: int) -> list[int]:
    """The trial budgets up to N, and N."""
    return sorted({int(n) for n in budgets if 1 <= n <= n_trials} | {n_trials})


# ---------------------------------------------------------------------------------------------
# Almost Stochastic Order


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The quantiles at `t` of the weighted empirical distribution of `values`, per row of
    `weights` (resamples x values): the smallest value whose cumulative weight share reaches t
    (deepsig's empirical quantile function, `deepsig.aso.get_quantile_function`, when every
    weight is 1)."""
    order = np.argsort(values, kind="stable")
    sorted_values, weights = values[order], weights[:, order].astype(float)
    cumulative = np.cumsum(weights, axis=1)  # compared with t x total weight, as deepsig does
    positions = np.stack([np.searchsorted(row, row[-1] * t, side="left") for row in cumulative])
    return sorted_values[np.minimum(positions, values.size - 1)]


def _violation_ratios(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """deepsig's `compute_violation_ratio` per row of the quantiles f (of A) and g (of B) on the
    grid t = dt, 2 dt, ...: the share of the squared Wasserstein distance where A's quantile
    is below B's (0.5 where the distance is 0)."""
    diff = g - f
    distance = np.sum(diff**2 * ASO_DT, axis=1)
    diff[f >= g] = 0
    violation = np.sum(diff[:, 1:] ** 2 * ASO_DT, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(distance == 0, 0.5, violation / distance)


def aso_eps_min(scores_a, scores_b, weights: np.ndarray, level: float = 0.95) -> float:
    """Almost Stochastic Order's eps_min of A over B at confidence `level` (eps_min < 0.5: A
    almost stochastically dominates B) on paired cells, with the two-way seed bootstrap: deepsig's
    violation ratio of the scores (`deepsig.aso.compute_violation_ratio`) plus the normal
    quantile at `level` times its standard deviation over the seed resamples `weights`
    (resamples x cells, the same for A and B). deepsig's `aso` draws its resamples from each
    recipe's scores as independent trials; cells that share a seed are not, and those resamples
    understate the spread of the ratio (`benchmarks/calibration_recipes.py`)."""
    from deepsig.aso import compute_violation_ratio

    a, b = np.asarray(scores_a, dtype=float), np.asarray(scores_b, dtype=float)
    weights = weights[weights.sum(axis=1) > 0]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Division by zero encountered in violation ratio")
        ratio = compute_violation_ratio(scores_a=np.sort(a), scores_b=np.sort(b), dt=ASO_DT)
    t = np.arange(ASO_DT, 1, ASO_DT)  # deepsig's integration grid
    samples = _violation_ratios(
        _weighted_quantiles(a, weights, t), _weighted_quantiles(b, weights, t)
    )
    samples = samples[np.isfinite(samples)]
    if samples.size < 2:
        return np.nan
    sigma = float(np.std(samples, ddof=1))
    return float(np.clip(ratio + sigma * stats.norm.ppf(level), 0, 1))


# ---------------------------------------------------------------------------------------------
# mixed model


def paired_mixed_model(paired: pd.DataFrame, level: float) -> list[dict]:
    """The mixed model of two recipes' scores on their paired cells, score ~ recipe + (1 | init)
    + (1 | order) + (1 | recipe:init) + (1 | recipe:order) + residual, fitted as what it says
    about the differences d = A - B of the cells: d ~ 1 + (1 | init) + (1 | order) (statsmodels
    MixedLM, REML; the shared seed effects cancel, the recipe-by-seed effects stay). Rows: the
    recipe effect A - B with its Wald interval (it allows for the cells' correlation through
    their seeds; t on min(init seeds, order seeds) - 1 df: on 5 x 5 seeds the normal quantile
    covers 90 %), and the variances of the recipe-by-init and recipe-by-order terms of the
    difference and of its residual (no interval: statsmodels gives none). The recipe-by-seed
    terms are fitted where the cells have two or more seeds of the kind."""
    diff = (paired["y_a"] - paired["y_b"]).to_numpy(dtype=float)
    if diff.size < 2:
        return []
    scale = float(np.std(diff))
    frame = pd.DataFrame(
        {
            "y": diff / scale if scale > 0 else diff,
            "init": paired["init_seed"].to_numpy(),
            "order": paired["order_seed"].to_numpy(),
            "group": 0,
        }
    )
    formulas = {name: f"0 + C({name})" for name in ("init", "order") if frame[name].nunique() >= 2}
    # t on (seeds of the smaller fitted seed factor) - 1 df, as `crossed.mean_se`
    df = min(frame[name].nunique() for name in formulas) - 1 if formulas else diff.size - 1
    z = stats.t.ppf((1 + level) / 2, df)
    if scale == 0 or not formulas or diff.size <= sum(frame[name].nunique() for name in formulas):
        # all differences equal, or nothing left to estimate a residual from: the t interval's case
        mean = float(diff.mean())
        se = float(np.std(diff, ddof=1) / np.sqrt(diff.size))
        return [
            {"term": "difference", "estimate": mean, "low": mean - z * se, "high": mean + z * se}
        ]
    model = smf.mixedlm("y ~ 1", frame, groups="group", re_formula="0", vc_formula=formulas)
    start = None
    if len(formulas) == 2:
        # the moment estimates (REML's optimum on a balanced grid) as the starting point
        try:
            moments = moment_estimates(frame["y"].to_numpy(), design(frame["init"], frame["order"]))
        except NotEnoughData:
            moments = None
        if moments is not None and moments[-1] > 0:
            start = MixedLMParams.from_components(
                fe_params=np.array([frame["y"].mean()]),
                cov_re=np.zeros((0, 0)),
                vcomp=np.maximum(moments[:2], 1e-3 * moments[-1]) / moments[-1],
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Nelder-Mead first: the gradient methods crawl where a component is near 0, as the
            # recipe-by-seed terms often are (bfgs if it does not converge)
            result = model.fit(reml=True, start_params=start, method=["nm", "bfgs"])
        except (np.linalg.LinAlgError, ValueError):
            return []
    estimate = float(result.fe_params.iloc[0]) * scale
    se = float(result.bse_fe.iloc[0]) * scale
    rows = [
        {
            "term": "difference",
            "estimate": estimate,
            "low": estimate - z * se,
            "high": estimate + z * se,
        }
    ]
    found = dict(zip(result.model.exog_vc.names, np.asarray(result.vcomp, dtype=float) * scale**2))
    for name in formulas:
        rows.append(
            {
                "term": f"variance recipe x {name}",
                "estimate": found[name],
                "low": np.nan,
                "high": np.nan,
            }
        )
    rows.append(
        {
            "term": "variance residual",
            "estimate": float(result.scale) * scale**2,
            "low": np.nan,
            "high": np.nan,
        }
    )
    return rows


def recipe_components(
    own: pd.DataFrame, score: str, level: float, resamples: int, seed: int
) -> list[dict]:
    """One recipe's seed variance components (the study's moment estimates with the random-effect
    bootstrap intervals of `variance_components`), so that recipes can be set side by side
    (none when the recipe's trials do not identify them)."""
    data = own[["init_seed", "order_seed", score]].dropna()
    try:
        d = design(data["init_seed"], data["order_seed"])
    except NotEnoughData:
        return []
    components, _ = moment_components(data[score].to_numpy(dtype=float), d, level, resamples, seed)
    return [
        {
            "term": f"variance {component}",
            "estimate": float(components["estimate"][index]),
            "low": float(components["lower"][index]),
            "high": float(components["upper"][index]),
        }
        for index, component in enumerate(d.components)
    ]


# ---------------------------------------------------------------------------------------------
# decisions


def decide(recipe_a: str, recipe_b: str, mean_diff: float, p_holm: float, level: float) -> str:
    if np.isfinite(p_holm) and p_holm < 1 - level:
        return f"{recipe_a} > {recipe_b}" if mean_diff > 0 else f"{recipe_b} > {recipe_a}"
    return "no difference shown"


# ---------------------------------------------------------------------------------------------
# the tables


def _check(trials: pd.DataFrame) -> None:
    missing = [column for column in REQUIRED if column not in trials.columns]
    if missing:
        raise ValueError(
            f"recipe comparison: the trials table has no column(s) {missing} (needs {REQUIRED})"
        )


def paired_cells(group: pd.DataFrame, recipe_a: str, recipe_b: str) -> pd.DataFrame:
    """The cells run with both recipes: columns of A with suffix _a, of B with _b."""
    keys = [key for key in PAIR_KEYS if key in group.columns]
    a = group[group["recipe"] == recipe_a]
    b = group[group["recipe"] == recipe_b]
    return a.merge(b, on=keys, suffixes=("_a", "_b"), validate="one_to_one")


def _empty_tables() -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame(columns=columns) for name, columns in COLUMNS.items()}


def _task_tables(
    group: pd.DataFrame,
    task: str,
    recipes: list[str],
    level: float,
    resamples: int,
    seed: int,
    budgets,
) -> dict[str, list[dict]]:
    """The rows of every table for one task with two or more recipes."""
    rows = {name: [] for name in COLUMNS}
    init_codes = pd.factorize(group["init_seed"], sort=True)[0]
    order_codes = pd.factorize(group["order_seed"], sort=True)[0]
    group = group.assign(_init=init_codes, _order=order_codes)
    # one set of resamples per task: every recipe, pair and score sees the same seeds
    rng = np.random.default_rng([seed, zlib.crc32(str(task).encode())])
    counts = seed_counts(int(init_codes.max()) + 1, int(order_codes.max()) + 1, resamples, rng)
    pairs = list(itertools.combinations(recipes, 2))
    paired = {pair: paired_cells(group, *pair) for pair in pairs}

    for recipe in recipes:
        own = group[group["recipe"] == recipe]
        failed, n = int(own["failed"].sum()), len(own)
        low, high = wilson_interval(failed, n, level)
        rows["failures"].append(
            {
                "task": task,
                "recipe": recipe,
                "failed": failed,
                "trials": n,
                "rate": failed / n,
                "low": low,
                "high": high,
            }
        )
    for recipe_a, recipe_b in pairs:
        cells = paired[recipe_a, recipe_b]
        b, c, p_value = mcnemar_exact(cells["failed_a"], cells["failed_b"])
        rows["failure_tests"].append(
            {
                "task": task,
                "recipe_a": recipe_a,
                "recipe_b": recipe_b,
                "b": b,
                "c": c,
                "p_value": p_value,
            }
        )

    for score in SCORES:
        boot_max = {}  # (recipe, trial rows) -> bootstrap of its expected max at the budgets
        for recipe in recipes:
            own = group[(group["recipe"] == recipe) & group[score].notna()]
            if own.empty:
                continue
            ns = budget_ns(budgets, len(own))
            point = expected_max(own[score]).set_index("n")["expected_max"]
            boot = weighted_expected_max(
                own[score], cell_weights(own["_init"], own["_order"], counts), ns
            )
            boot_max[recipe, tuple(own["index"])] = (ns, boot)
            intervals = expected_max_intervals(own, score, ns, boot, level)
            for index, n in enumerate(ns):
                low, high = intervals[index]
                rows["expected_max"].append(
                    {
                        "task": task,
                        "score": score,
                        "recipe": recipe,
                        "n": n,
                        "expected_max": float(point[n]),
                        "low": low,
                        "high": high,
                    }
                )
            rows["mixed_model"] += [
                {"task": task, "score": score, **row, "term": f"{recipe}: {row['term']}"}
                for row in recipe_components(own, score, level, resamples, seed)
            ]
        for recipe_a, recipe_b in pairs:
            cells = paired[recipe_a, recipe_b].rename(
                columns={f"{score}_a": "y_a", f"{score}_b": "y_b"}
            )
            cells = cells.dropna(subset=["y_a", "y_b"])
            if cells.empty:
                continue
            a, b = cells["y_a"].to_numpy(float), cells["y_b"].to_numpy(float)
            weights = cell_weights(cells["_init_a"], cells["_order_a"], counts)
            statistics = pair_statistics(
                a, b, cells["init_seed"], cells["order_seed"], weights, level
            )
            statistics["aso_eps_min"] = aso_eps_min(a, b, weights, level)
            rows["differences"].append(
                {
                    "task": task,
                    "score": score,
                    "recipe_a": recipe_a,
                    "recipe_b": recipe_b,
                    **statistics,
                }
            )
            ns = budget_ns(budgets, len(cells))
            curves = []
            for recipe, values, index in (
                (recipe_a, a, cells["index_a"]),
                (recipe_b, b, cells["index_b"]),
            ):
                cached = boot_max.get((recipe, tuple(index)))
                boot = (
                    cached[1]
                    if cached is not None and cached[0] == ns
                    else weighted_expected_max(values, weights, ns)
                )
                curves.append(
                    (weighted_expected_max(values, np.ones((1, values.size)), ns)[0], boot)
                )
            point, boot = curves[0][0] - curves[1][0], curves[0][1] - curves[1][1]
            for index, n in enumerate(ns):
                low, high = percentile_interval(boot[:, index], level)
                rows["expected_max_differences"].append(
                    {
                        "task": task,
                        "score": score,
                        "recipe_a": recipe_a,
                        "recipe_b": recipe_b,
                        "n": n,
                        "diff": float(point[index]),
                        "low": low,
                        "high": high,
                    }
                )
            rows["mixed_model"] += [
                {
                    "task": task,
                    "score": score,
                    **row,
                    "term": f"{recipe_a} - {recipe_b}: {row['term']}",
                }
                for row in paired_mixed_model(cells, level)
            ]
    return rows


def compare(
    trials: pd.DataFrame,
    *,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    budgets: tuple[int, ...] = (1, 5, 10),
) -> dict[str, pd.DataFrame]:
    """Every pair of recipes per task, on the best-found and the final score (see the module
    docstring): the tables of `COLUMNS`, all empty (with their columns) when no task has two
    recipes. Recipes are paired in the order they first appear in `trials` (A before B)."""
    _check(trials)
    if not 0 < level < 1:
        raise ValueError(f"recipe comparison: level must be in (0, 1), got {level}")
    if resamples < 10:
        raise ValueError(f"recipe comparison: resamples must be >= 10, got {resamples}")
    trials = finished_trials(trials) if "status" in trials.columns else trials
    trials = trials.assign(recipe=trials["recipe"].astype(str))
    rows = {name: [] for name in COLUMNS}
    for task, group in trials.groupby("task", sort=True):
        recipes = list(pd.unique(group["recipe"]))
        keys = ["recipe", *[key for key in PAIR_KEYS if key in group.columns]]
        duplicated = group.duplicated(keys)
        if duplicated.any():
            raise ValueError(
                f"recipe comparison: task {task} has {int(duplicated.sum())} "
                f"trial(s) with the same {keys} as another"
            )
        if len(recipes) < 2:
            continue
        for name, task_rows in _task_tables(
            group.rename_axis("index").reset_index(), task, recipes, level, resamples, seed, budgets
        ).items():
            rows[name] += task_rows
    if not rows["differences"]:
        return _empty_tables()
    tables = {name: pd.DataFrame(rows[name]) for name in COLUMNS}
    differences = tables["differences"]
    differences["p_holm"] = np.nan
    for index in differences.groupby("score", sort=False).groups.values():
        differences.loc[index, "p_holm"] = holm(differences.loc[index, "p_value"])
    differences["decision"] = [
        decide(r.recipe_a, r.recipe_b, r.mean_diff, r.p_holm, level)
        for r in differences.itertuples()
    ]
    tables["failure_tests"]["p_holm"] = holm(tables["failure_tests"]["p_value"])
    return {name: table.reindex(columns=COLUMNS[name]) for name, table in tables.items()}


MULTI_BOOTSTRAP = ["multi_low", "multi_high", "multi_p_low", "multi_p_high", "multi_p_value"]


def merge_multi_bootstrap(differences: pd.DataFrame, multi: pd.DataFrame) -> pd.DataFrame:
    """The differences table with the multi-bootstrap's intervals beside the seeds-only ones
    (`per_example.multi_bootstrap`, from the trials' predictions; NaN where a pair has none)."""
    keys = ["task", "score", "recipe_a", "recipe_b"]
    columns = (
        multi[keys + MULTI_BOOTSTRAP]
        if len(multi)
        else pd.DataFrame(columns=keys + MULTI_BOOTSTRAP)
    )
    return differences.merge(columns, on=keys, how="left")
