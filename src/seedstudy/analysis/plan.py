"""Planning a study: power, minimum detectable effect (MDE) and GPU-hours against the number of
seeds, from a pilot study's variance components and trial wall times.

The question is a comparison of two recipes A and B. Its decision is the recipe comparison's:
the mean paired difference d = A - B tested against zero with `crossed.mean_se(...).test()`.
The planner uses the same model (`crossed.design_variance`) and the same degrees of freedom
(`crossed.design_df`), so that a planned power is the power of that decision:

    grid n x n:    Var(mean d) = s2_ri / n + s2_ro / n + s2_res / n^2,  t on n - 1 df
    pairs (n):     Var(mean d) = (s2_ri + s2_ro + s2_res) / n,            t on n - 1 df
    independent:   Var = (total variance of A + total variance of B) / n, t on 2 n - 2 df

s2_ri, s2_ro, s2_res are the components of d itself (its init-seed effect, order-seed effect and
residual: the recipe-by-seed variances of the comparison's model d ~ 1 + (1 | init) + (1 | order)).
The power of the two-sided test at level alpha is that of the noncentral t with noncentrality
effect / sqrt(Var) (`power`); the MDE is the effect at which it reaches the target (`mde`).
Holm's correction over k pairs makes the first test's level alpha / k: plan with that alpha
when several pairs are compared.

A pilot gives the components twice: at its point estimates (plan `estimate`) and at their
upper 80 % bounds (plan `conservative`; the random-effect bootstrap of `variance_components`,
or the chi-square bound on the variance of a pairs pilot): a pilot of few seeds knows its
variances poorly. A one-recipe pilot does not know the recipe-by-seed variances: the planner
assumes each component of d is a fraction (`RANGE`) of the pilot's own component and plans
over that range.

The evaluation set (column `evaluation`): `same dev set` is the study's own dev set, shared by
both recipes (paired by example, as the study measures and decides); where a recipes pilot kept
its per-example predictions, `fresh test set` adds the variance of generalising to a fresh test
set of the dev set's size (`fresh_test_variance`: the paired example bootstrap of the mean
difference, at the pilot's number of cells), a floor no number of seeds removes.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..metrics import CONFUSION_METRICS
from ..store.trials import benchmark_seconds
from . import crossed
from .aggregate import finished_trials
from .expected_max import expected_max
from .per_example.evaluation_noise import example_bootstrap
from .per_example.scores import REGRESSION_METRICS
from .per_example.tables import _scored, dev_examples, load_task
from .recipe_comparison import PAIR_KEYS, paired_cells
from .variance_components import NotEnoughData, design, moment_components

NS = (2, 3, 5, 10, 15, 20, 25, 50)
PLANS = ("estimate", "conservative")
CONSERVATIVE_LEVEL = 0.8  # the one-sided level of the conservative plan's upper bounds
RANGE = (0.1, 0.5, 1.0)  # a one-recipe pilot: d's components as these fractions of its own
N_MAX = 100_000  # the largest n `smallest_n` looks at
COLUMNS = [
    "task",
    "recipe_a",
    "recipe_b",
    "design",
    "n",
    "trials",
    "power",
    "mde",
    "gpu_hours",
    "plan",
    "assumption",
    "evaluation",
    "sd_init",
    "sd_order",
    "sd_residual",
    "effect",
    "alpha",
    "target_power",
    "device",
]


@dataclass(frozen=True)
class Components:
    """Standard deviations of the seed components of a quantity (in metric units)."""

    init: float
    order: float
    residual: float

    def scaled(self, variance_fraction: float) -> Components:
        f = np.sqrt(variance_fraction)
        return Components(self.init * f, self.order * f, self.residual * f)


def check_targets(effect: float | None = None, power: float = 0.8, alpha: float = 0.05) -> None:
    """ValueError naming the value unless effect > 0 and power, alpha in (0, 1)."""
    if effect is not None and not effect > 0:
        raise ValueError(f"--effect must be > 0 (the difference to detect), got {effect}")
    if not 0 < power < 1:
        raise ValueError(f"--power must be in (0, 1), got {power}")
    if not 0 < alpha < 1:
        raise ValueError(f"--alpha must be in (0, 1), got {alpha}")


def _se(design_name: str, n: int, sd: Components, extra_variance: float = 0.0) -> float:
    """SE of the mean difference; `extra_variance`: a fresh test set's (`fresh_test_variance`)."""
    variance = crossed.design_variance(design_name, n, sd.init, sd.order, sd.residual)
    return np.sqrt(variance + extra_variance)


def noncentral_power(ncp: float, df: int, alpha: float) -> float:
    """Power of the two-sided t test at level alpha with noncentrality ncp on df degrees of
    freedom (both tails, as statsmodels' TTestPower counts them). The far tail, which scipy's
    nct returns as NaN for some large ncp on few df, is then below 1e-15 and counted as 0."""
    q = stats.t.ppf(1 - alpha / 2, df)
    far = stats.nct.cdf(-q, df, abs(ncp))
    return float(stats.nct.sf(q, df, abs(ncp)) + (0.0 if np.isnan(far) else far))


def power(
    effect: float,
    design_name: str,
    n: int,
    sd: Components,
    alpha: float = 0.05,
    extra_variance: float = 0.0,
) -> float:
    """Power of the comparison's decision to find a true mean difference `effect` with n seeds
    per axis of `design_name` (1 where the difference has no variance)."""
    se = _se(design_name, n, sd, extra_variance)
    if se == 0:
        return 1.0
    return noncentral_power(effect / se, crossed.design_df(design_name, n), alpha)


def mde(
    design_name: str,
    n: int,
    sd: Components,
    alpha: float = 0.05,
    target: float = 0.8,
    extra_variance: float = 0.0,
):
    """The smallest true difference found with probability `target`: se x the noncentrality
    at which the noncentral t reaches it."""
    se = _se(design_name, n, sd, extra_variance)
    df = crossed.design_df(design_name, n)
    if noncentral_power(0.0, df, alpha) >= target:
        return 0.0
    hi = 1.0
    while noncentral_power(hi, df, alpha) < target:
        hi *= 2
    ncp = optimize.brentq(lambda x: noncentral_power(x, df, alpha) - target, 0.0, hi, xtol=1e-12)
    return float(se * ncp)


def smallest_n(
    effect: float, design_name: str, sd: Components, alpha: float = 0.05, target: float = 0.8
) -> int | None:
    """The smallest n (>= 2) whose power reaches `target`, or None beyond N_MAX."""
    lo, hi = 2, 2
    while power(effect, design_name, hi, sd, alpha) < target:
        if hi >= N_MAX:
            return None
        lo, hi = hi + 1, min(hi * 2, N_MAX)
    while lo < hi:  # power grows with n: bisect on [lo, hi]
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if power(effect, design_name, mid, sd, alpha) < target else (lo, mid)
    return hi


def trials_per_recipe(design_name: str, n: int) -> int:
    return n * n if design_name == "grid" else n


def largest_n_within(budget_hours: float, design_name: str, hours_per_cell: float) -> int | None:
    """The largest n whose trials fit `budget_hours`, at `hours_per_cell` for one trial of each
    recipe; None when not even n = 2 fits (or the cost is unknown)."""
    if not hours_per_cell > 0:
        return None
    cells = budget_hours / hours_per_cell
    n = int(np.floor(np.sqrt(cells) + 1e-9)) if design_name == "grid" else int(cells + 1e-9)
    return n if n >= 2 else None


# ---------------------------------------------------------------------------------------------
# the pilot


@dataclass(frozen=True)
class PilotComponents:
    """A pilot's components at its point estimates and at their upper bounds; `crossed` is False
    for a pairs pilot, which knows only their sum (held in `residual`)."""

    estimate: Components
    conservative: Components | None  # None: components given, not estimated
    crossed: bool

    def plan(self, name: str) -> Components | None:
        return self.estimate if name == "estimate" else self.conservative

    def scaled(self, variance_fraction: float) -> PilotComponents:
        conservative = self.conservative and self.conservative.scaled(variance_fraction)
        return PilotComponents(self.estimate.scaled(variance_fraction), conservative, self.crossed)


def _components(variances: np.ndarray) -> Components:
    """init, order and everything else (interaction and noise of replicate cells) as one trial
    of a planned study sees them."""
    sd = np.sqrt(np.maximum(variances, 0))
    return Components(float(sd[0]), float(sd[1]), float(np.sqrt(np.sum(sd[2:] ** 2))))


def pilot_components(
    values, init_seeds, order_seeds, resamples: int = 1000, seed: int = 0
) -> PilotComponents:
    """The seed components of `values` (one per trial). A crossed pilot: the moment estimates
    and the upper bounds of their random-effect bootstrap intervals; a pairs pilot (each init
    seed with one order seed): the variance of the seed-pair means and its chi-square upper
    bound. NotEnoughData for fewer than 2 seeds on an axis."""
    values = np.asarray(values, dtype=float)
    init, order = np.asarray(init_seeds), np.asarray(order_seeds)
    n_init, n_order = len(np.unique(init)), len(np.unique(order))
    cells = pd.Series(values).groupby([init, order]).mean()
    if min(n_init, n_order) < 2:
        raise NotEnoughData(
            f"not enough data: the pilot has {n_init} init seed(s) and {n_order} order seed(s); "
            "planning needs >= 2 seeds on each axis (a grid) or >= 2 seed pairs"
        )
    if len(cells) > max(n_init, n_order):
        d = design(init, order)
        found, _ = moment_components(values, d, 2 * CONSERVATIVE_LEVEL - 1, resamples, seed)
        upper = np.maximum(np.nan_to_num(found["upper"][:-1]), found["estimate"])
        return PilotComponents(_components(found["estimate"]), _components(upper), True)
    s2, df = float(np.var(cells.to_numpy(), ddof=1)), len(cells) - 1
    upper = df * s2 / stats.chi2.ppf(1 - CONSERVATIVE_LEVEL, df)
    return PilotComponents(
        Components(0.0, 0.0, np.sqrt(s2)), Components(0.0, 0.0, np.sqrt(upper)), False
    )


def pooled(a: PilotComponents, b: PilotComponents) -> PilotComponents:
    """The components whose `independent` variance is (total of A + total of B) / n."""

    def mean(x: Components, y: Components) -> Components:
        return Components(
            *(float(np.sqrt((u**2 + v**2) / 2)) for u, v in zip(_sds(x), _sds(y), strict=True))
        )

    conservative = a.conservative and b.conservative and mean(a.conservative, b.conservative)
    return PilotComponents(mean(a.estimate, b.estimate), conservative, a.crossed & b.crossed)


def _sds(sd: Components) -> tuple[float, float, float]:
    return sd.init, sd.order, sd.residual


def _relative(path: str) -> str:
    """<recipe/>task/stem of a trial from its file's path (…/trials/<recipe/>task/stem.json)."""
    parts = list(os.path.normpath(path).split(os.sep))
    start = len(parts) - parts[::-1].index("trials")
    return "/".join(parts[start:])[: -len(".json")]


def _device(trial_path: Path) -> str:
    try:
        with open(trial_path) as handle:
            return str(json.load(handle)["environment"]["device"])
    except (OSError, KeyError, TypeError, ValueError):
        return "unknown device"


def trial_costs(trials: pd.DataFrame, results_dir) -> pd.DataFrame:
    """Per task and recipe: the mean wall seconds of a trial (its Snakemake benchmark file under
    <results>/benchmarks/finetune/, else the run record's `wall_s`) and the device of its
    trials (read from the first trial's file)."""
    results_dir = Path(results_dir)
    rows = []
    for (task, recipe), group in trials.groupby(["task", "recipe"], sort=True):
        seconds = []
        for path, wall in zip(group["path"], group.get("wall_s", np.nan)):
            stem = _relative(str(path))
            try:
                seconds.append(
                    benchmark_seconds(results_dir / "benchmarks" / "finetune" / f"{stem}.tsv")
                )
            except (OSError, KeyError, ValueError, StopIteration):
                seconds.append(float(wall))
        first = results_dir / "trials" / f"{_relative(str(group['path'].iloc[0]))}.json"
        rows.append(
            {
                "task": task,
                "recipe": recipe,
                "seconds": float(np.nanmean(seconds)) if np.isfinite(seconds).any() else np.nan,
                "device": _device(first),
            }
        )
    return pd.DataFrame(rows, columns=["task", "recipe", "seconds", "device"])


# ---------------------------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class Question:
    """One comparison to plan: the components of its difference (grid, pairs) and of each
    recipe's own scores (independent), the hours of one trial of each recipe, the device."""

    task: str
    recipe_a: str
    recipe_b: str
    difference: PilotComponents | None
    own: PilotComponents | None
    hours_per_cell: float = np.nan
    device: str = "unknown device"
    assumption: str = "pilot's recipe x seed variances"
    test_variance: float = np.nan  # a fresh test set's, where the pilot has predictions

    def evaluations(self) -> list[tuple[str, float]]:
        """(evaluation, extra variance): the study's dev set, and a fresh test set if known."""
        fresh = [("fresh test set", self.test_variance)] if np.isfinite(self.test_variance) else []
        return [("same dev set", 0.0), *fresh]

    def components(self, design_name: str, plan_name: str) -> Components | None:
        source = self.own if design_name == "independent" else self.difference
        if source is None or (design_name == "grid" and not source.crossed):
            return None
        return source.plan(plan_name)

    def plannable(self, designs):
        """(design, plan, components) of every design and plan this pilot can plan."""
        for design_name in designs:
            for plan_name in PLANS:
                sd = self.components(design_name, plan_name)
                if sd is not None:
                    yield design_name, plan_name, sd


def plan_rows(
    question: Question,
    effect: float,
    designs=crossed.DESIGNS,
    alpha: float = 0.05,
    target: float = 0.8,
    ns=NS,
) -> list[dict]:
    """Rows of the plan table (COLUMNS) for one question: every design, plan and n."""
    rows = []
    for design_name, plan_name, sd in question.plannable(designs):
        for (evaluation, extra), n in itertools.product(question.evaluations(), ns):
            trials = trials_per_recipe(design_name, n)
            rows.append(
                {
                    "task": question.task,
                    "recipe_a": question.recipe_a,
                    "recipe_b": question.recipe_b,
                    "design": design_name,
                    "n": n,
                    "trials": trials,
                    "power": power(effect, design_name, n, sd, alpha, extra),
                    "mde": mde(design_name, n, sd, alpha, target, extra),
                    "gpu_hours": trials * question.hours_per_cell,
                    "plan": plan_name,
                    "assumption": question.assumption,
                    "evaluation": evaluation,
                    "sd_init": sd.init,
                    "sd_order": sd.order,
                    "sd_residual": sd.residual,
                    "effect": effect,
                    "alpha": alpha,
                    "target_power": target,
                    "device": question.device,
                }
            )
    return rows


def needed(
    question: Question,
    effect: float,
    designs=crossed.DESIGNS,
    alpha: float = 0.05,
    target: float = 0.8,
    budget_hours: float | None = None,
) -> pd.DataFrame:
    """Per design and plan: the smallest n reaching `target` power at `effect` with its trials
    and GPU-hours, and (with a budget) the largest n within it with its power and MDE."""
    rows = []
    for design_name, plan_name, sd in question.plannable(designs):
        n = smallest_n(effect, design_name, sd, alpha, target)
        trials = trials_per_recipe(design_name, n) if n else np.nan
        row = {
            "task": question.task,
            "recipe_a": question.recipe_a,
            "recipe_b": question.recipe_b,
            "design": design_name,
            "plan": plan_name,
            "assumption": question.assumption,
            "n_needed": n,
            "trials_needed": trials,
            "gpu_hours_needed": trials * question.hours_per_cell,
        }
        if budget_hours is not None:
            within = largest_n_within(budget_hours, design_name, question.hours_per_cell)
            row["n_budget"] = within
            row["power_budget"] = (
                power(effect, design_name, within, sd, alpha) if within else np.nan
            )
            row["mde_budget"] = mde(design_name, within, sd, alpha, target) if within else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# the questions: from a pilot's trials, or from given components


def load_pilot(results_dir) -> pd.DataFrame:
    """The finished trials of a pilot study's results folder (its aggregate trials table)."""
    path = Path(results_dir) / "aggregate" / "trials.parquet"
    if not path.is_file():
        raise FileNotFoundError(
            f"no trials table at {path}: run the pilot study first (snakemake), or give the "
            "variance components with --sd-init, --sd-order, --sd-residual"
        )
    trials = finished_trials(pd.read_parquet(path))
    if trials.empty:
        raise ValueError(f"no trials in {path}: the pilot has no finished trial")
    return trials


def _selected(trials: pd.DataFrame, task: str | None, recipes) -> list[tuple[str, list]]:
    """(task, pairs of recipes or [one recipe]) to plan; ValueError for an unknown name."""
    tasks = sorted(trials["task"].unique())
    if task is not None and task not in tasks:
        raise ValueError(f"unknown task {task!r}: the pilot has tasks {tasks}")
    selected = []
    for name in [task] if task else tasks:
        known = sorted(trials.loc[trials["task"] == name, "recipe"].unique())
        if recipes:
            unknown = [r for r in recipes if r not in known]
            if unknown or len(set(recipes)) != 2:
                raise ValueError(
                    f"--recipes {' '.join(recipes)}: give two different recipes of task "
                    f"{name!r}; the pilot has recipes {known}"
                )
            selected.append((name, [tuple(recipes)]))
        elif len(known) >= 2:
            selected.append((name, list(itertools.combinations(known, 2))))
        else:
            selected.append((name, known))
    return selected


def cost_of(costs: pd.DataFrame | None, task: str | None = None, recipes=None):
    """(hours of one trial of each of two recipes, devices): twice the mean trial time of the
    task's `recipes` (default: every task, every recipe) in `costs` (`trial_costs`)."""
    if costs is None or costs.empty:
        return np.nan, "unknown device"
    rows = costs
    if task is not None:
        rows = rows[rows["task"] == task]
    if recipes:
        rows = rows[rows["recipe"].isin(list(recipes))]
    if rows.empty:
        return np.nan, "unknown device"
    return float(2 * rows["seconds"].mean() / 3600), ", ".join(sorted(set(rows["device"])))


def one_recipe_questions(
    task: str, recipe: str, own: PilotComponents, hours: float, device: str
) -> list[Question]:
    """A one-recipe pilot: the independent design with both recipes at the pilot's seed
    variances; the paired designs with d's components at each fraction of RANGE of them."""
    other = "another recipe"
    questions = [
        Question(task, recipe, other, None, own, hours, device, "both at the pilot's variances")
    ]
    for fraction in RANGE:
        assumption = f"recipe x seed variances = {fraction:g} x the pilot's"
        scaled = own.scaled(fraction)
        questions.append(Question(task, recipe, other, scaled, None, hours, device, assumption))
    return questions


def fresh_test_variance(
    predictions_a, predictions_b, labels, metric: str, samples: int = 200, seed: int = 0
) -> float:
    """The variance of the mean paired difference (over the cells: rows of the [cells, examples]
    predictions of A and B) across fresh test sets of the dev set's size: its variance over
    example-bootstrap resamples shared by both recipes (paired by example; Madaan et al. 2024,
    Miller 2024)."""
    labels = np.asarray(labels)
    regression = metric in REGRESSION_METRICS
    classes = None
    if not regression:
        classes = int(max(labels.max(), np.max(predictions_a), np.max(predictions_b))) + 1
    a, b = (
        example_bootstrap(x, labels, metric, samples, seed, classes, stratified=not regression)
        for x in (predictions_a, predictions_b)
    )
    return float(np.var((a - b).mean(axis=0), ddof=1))


def pilot_test_variance(
    group: pd.DataFrame, results_dir, recipe_a: str, recipe_b: str, score: str, seed: int = 0
) -> float:
    """`fresh_test_variance` of a task's pair of recipes from the pilot's predictions files
    and its prepared dev set under `results_dir`; NaN where either is missing."""
    task = str(group["task"].iloc[0])
    dev = sorted(Path(results_dir).glob(f"data/*/{task}/dev"))
    metric = str(group["metric"].iloc[0])
    if not dev or metric not in CONFUSION_METRICS + REGRESSION_METRICS:
        return np.nan
    labels = dev_examples(dev[0].parent)["labels"]
    here = group.assign(
        path=[str(Path(results_dir) / "trials" / f"{_relative(p)}.json") for p in group["path"]]
    )
    chosen = {}
    for recipe in (recipe_a, recipe_b):
        loaded = load_task(here[here["recipe"] == recipe])
        if len(loaded.trials) == 0:
            return np.nan
        keys = pd.MultiIndex.from_frame(loaded.trials[PAIR_KEYS].fillna(-1).astype(int))
        chosen[recipe] = pd.Series(list(_scored(loaded, labels)[score]), index=keys)
    common = chosen[recipe_a].index.intersection(chosen[recipe_b].index)
    if len(common) < 2:
        return np.nan
    a, b = (np.stack(chosen[r].loc[common].to_list()) for r in (recipe_a, recipe_b))
    return fresh_test_variance(a, b, labels, metric, seed=seed)


def _own(trials: pd.DataFrame, score: str, resamples: int, seed: int) -> PilotComponents:
    data = trials[["init_seed", "order_seed", score]].dropna()
    return pilot_components(data[score], data["init_seed"], data["order_seed"], resamples, seed)


def pilot_questions(
    trials: pd.DataFrame,
    score: str = "best",
    task: str | None = None,
    recipes=None,
    costs: pd.DataFrame | None = None,
    resamples: int = 1000,
    seed: int = 0,
    results_dir=None,
) -> list[Question]:
    """Every question a pilot answers: each pair of recipes of each task (the components of
    their paired differences and of each recipe's scores, and with `results_dir` a fresh test
    set's variance from the predictions), or a one-recipe pilot's range. ValueError naming the
    task when its pilot has too few seeds."""
    questions = []
    for name, pairs in _selected(trials, task, recipes):
        group = trials[trials["task"] == name]
        try:
            if isinstance(pairs[0], str):
                own = _own(group, score, resamples, seed)
                questions += one_recipe_questions(name, pairs[0], own, *cost_of(costs, name, pairs))
                continue
            for a, b in pairs:
                cells = paired_cells(group, a, b).dropna(subset=[f"{score}_a", f"{score}_b"])
                difference = pilot_components(
                    cells[f"{score}_a"] - cells[f"{score}_b"],
                    cells["init_seed"],
                    cells["order_seed"],
                    resamples,
                    seed,
                )
                own = pooled(
                    *(_own(group[group["recipe"] == r], score, resamples, seed) for r in (a, b))
                )
                hours, device = cost_of(costs, name, (a, b))
                test = np.nan
                if results_dir is not None:
                    test = pilot_test_variance(group, results_dir, a, b, score, seed)
                questions.append(
                    Question(name, a, b, difference, own, hours, device, test_variance=test)
                )
        except NotEnoughData as error:
            raise ValueError(f"task {name!r}: {error}") from None
    return questions


def given_question(
    sd_init=None,
    sd_order=None,
    sd_residual=None,
    sd_recipe_init=None,
    sd_recipe_order=None,
    sd_recipe_residual=None,
    task: str = "given",
    hours: float = np.nan,
    device: str = "unknown device",
) -> list[Question]:
    """Questions from components given directly (standard deviations): a recipe's own
    (`sd_*`) and those of the paired difference (`sd_recipe_*`); a missing component is 0, and
    without `sd_recipe_*` the paired designs are planned over RANGE. ValueError for a negative
    sd or when neither set is given."""
    given = {
        "sd-init": sd_init,
        "sd-order": sd_order,
        "sd-residual": sd_residual,
        "sd-recipe-init": sd_recipe_init,
        "sd-recipe-order": sd_recipe_order,
        "sd-recipe-residual": sd_recipe_residual,
    }
    for key, value in given.items():
        if value is not None and not value >= 0:
            raise ValueError(f"--{key} must be a standard deviation >= 0, got {value}")
    values = [0.0 if v is None else float(v) for v in given.values()]
    has_own = any(v is not None for v in (sd_init, sd_order, sd_residual))
    has_recipe = any(v is not None for v in (sd_recipe_init, sd_recipe_order, sd_recipe_residual))
    if not (has_own or has_recipe):
        raise ValueError("give a pilot's results folder (--results) or --sd-* components")
    own = PilotComponents(Components(*values[:3]), None, True) if has_own else None
    a, b = "A", "B"
    if not has_recipe:
        return one_recipe_questions(task, a, own, hours, device)
    difference = PilotComponents(Components(*values[3:]), None, True)
    return [Question(task, a, b, difference, own, hours, device, "given components")]


# ---------------------------------------------------------------------------------------------
# tables and what they say


def plan_tables(
    questions: list[Question],
    effect: float,
    designs=crossed.DESIGNS,
    alpha: float = 0.05,
    target: float = 0.8,
    budget_hours: float | None = None,
    ns=NS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan table (COLUMNS: a row per question, design, plan and n) and the table of the n
    each design needs (`needed`)."""
    check_targets(effect, target, alpha)
    for design_name in designs:
        if design_name not in crossed.DESIGNS:
            raise ValueError(f"--design must be one of {crossed.DESIGNS}, got {design_name!r}")
    rows, summaries = [], []
    for question in questions:
        rows += plan_rows(question, effect, designs, alpha, target, ns)
        summaries.append(needed(question, effect, designs, alpha, target, budget_hours))
    return pd.DataFrame(rows, columns=COLUMNS), pd.concat(summaries, ignore_index=True)


def same_trials(question: Question, plan_name: str, n: int, alpha: float, target: float) -> str:
    """The grid n x n against the same n^2 trials as fresh seed pairs: their MDEs."""
    sd = question.components("grid", plan_name)
    if sd is None:
        return ""
    grid, pairs = mde("grid", n, sd, alpha, target), mde("pairs", n * n, sd, alpha, target)
    return (
        f"the same {n * n} trials per recipe: MDE {grid:.4g} on a {n} x {n} grid, "
        f"{pairs:.4g} as {n * n} fresh seed pairs"
    )


def recommendation(summary: pd.DataFrame) -> str:
    """The design that reaches the target with the fewest trials at the conservative plan (the
    estimate where there is none)."""
    plan_name = "conservative" if (summary["plan"] == "conservative").any() else "estimate"
    rows = summary[(summary["plan"] == plan_name) & summary["n_needed"].notna()]
    if rows.empty:
        return f"no design reaches the target power within n = {N_MAX} ({plan_name} plan)"
    best = rows.sort_values("trials_needed").iloc[0]
    return (
        f"recommended: {best['design']} (n = {int(best['n_needed'])}, "
        f"{int(best['trials_needed'])} trials per recipe at the {plan_name} plan)"
    )


def _wide(rows: pd.DataFrame) -> pd.DataFrame:
    """design x n rows with the estimate's and the conservative plan's power and MDE."""
    keys = ["design", "n", "trials", "gpu_hours"]
    wide = None
    for plan_name in PLANS:
        mine = rows.loc[rows["plan"] == plan_name, [*keys, "power", "mde"]]
        mine = mine.rename(columns={c: f"{c} ({plan_name})" for c in ("power", "mde")})
        wide = mine if wide is None else wide.merge(mine, on=keys, how="left")
    return wide.dropna(axis=1, how="all")


def describe(
    question: Question,
    table: pd.DataFrame,
    summary: pd.DataFrame,
    alpha: float,
    target: float,
    budget_hours: float | None = None,
) -> str:
    """The plan of one question as text: the table over n, the n each design needs, the grid
    against seed pairs for the same trials, the budget's design and the recommendation."""
    keys = ["task", "recipe_a", "recipe_b", "assumption"]
    values = [question.task, question.recipe_a, question.recipe_b, question.assumption]
    mine = (table[keys] == values).all(axis=1)
    rows = table[mine & (table["evaluation"] == "same dev set")]
    needs = summary[(summary[keys] == values).all(axis=1)]
    if rows.empty:
        return ""
    effect = rows["effect"].iloc[0]
    number = "{:.4g}".format
    lines = [
        f"== {question.task}: {question.recipe_a} - {question.recipe_b} "
        f"({question.assumption}); effect {effect:g}, alpha {alpha:g}, power {target:g}; "
        f"trial times on {question.device}; same dev set for both recipes",
        _wide(rows).to_string(index=False, float_format=number),
    ]
    fresh = table[mine & (table["evaluation"] == "fresh test set")]
    if not fresh.empty:
        lines += [
            f"generalising to a fresh test set of the dev set's size (adds "
            f"{question.test_variance:.3g} to the variance of the mean difference):",
            _wide(fresh).to_string(index=False, float_format=number),
        ]
    if (rows["plan"] == "conservative").any():
        lines.append(
            "conservative: the pilot's components at the upper bounds of their one-sided "
            f"{CONSERVATIVE_LEVEL:.0%} intervals; a pilot of few seeds knows its variances "
            "poorly, so plan with it"
        )
    lines.append("smallest n and budget: same dev set")
    for need in needs.itertuples():
        hours = (
            f", {need.gpu_hours_needed:.3g} GPU-hours" if pd.notna(need.gpu_hours_needed) else ""
        )
        found = (
            f"n = {int(need.n_needed)} ({int(need.trials_needed)} trials per recipe{hours})"
            if pd.notna(need.n_needed)
            else f"not within n = {N_MAX}"
        )
        lines.append(f"smallest n, {need.design}, {need.plan} plan: {found}")
        if budget_hours is not None and pd.notna(need.n_budget):
            lines.append(
                f"  within {budget_hours:g} GPU-hours: n = {int(need.n_budget)}, power "
                f"{need.power_budget:.3f}, MDE {need.mde_budget:.4g}"
            )
    grid_n = needs.loc[needs["design"] == "grid", "n_needed"].dropna()
    n = int(grid_n.iloc[0]) if len(grid_n) else 5
    for plan_name in PLANS:
        text = same_trials(question, plan_name, n, alpha, target)
        if text:
            lines.append(f"{plan_name}: {text}")
    if question.difference is not None and not question.difference.crossed:
        lines.append(
            "grid: not planned (a pairs pilot knows only the sum of the init and order components)"
        )
    lines.append(recommendation(needs))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the study's own questions, and the plan of a whole study (the DAG's plan.csv)

MEAN_COLUMNS = ["task", "recipe", "design", "n", "trials", "plan", "interval_width", "level"]


def mean_interval_rows(
    task: str, recipe: str, own: PilotComponents, level: float, designs=("grid", "pairs"), ns=NS
) -> list[dict]:
    """The width of the t interval at `level` of one recipe's mean score against n (the same
    variance model and df as `crossed.mean_se`)."""
    rows = []
    for design_name in designs:
        for plan_name in PLANS:
            sd = own.plan(plan_name)
            if sd is None or (design_name == "grid" and not own.crossed):
                continue
            for n in ns:
                q = stats.t.ppf((1 + level) / 2, crossed.design_df(design_name, n))
                rows.append(
                    {
                        "task": task,
                        "recipe": recipe,
                        "design": design_name,
                        "n": n,
                        "trials": trials_per_recipe(design_name, n),
                        "plan": plan_name,
                        "interval_width": float(2 * q * _se(design_name, n, sd)),
                        "level": level,
                    }
                )
    return rows


def expected_max_trials(scores, epsilon: float) -> dict:
    """Trials until the expected best of n (with replacement, Fig. 1) is within `epsilon` of its
    value at the largest n (the pilot's number of trials)."""
    curve = expected_max(scores)
    top = float(curve["expected_max"].iloc[-1])
    within = curve.loc[curve["expected_max"] >= top - epsilon, "n"]
    return {"n_max": int(curve["n"].iloc[-1]), "expected_max_at_n_max": top, "n": int(within.min())}


QUESTION_KEYS = ["task", "recipe_a", "recipe_b", "assumption"]
EFFECT_MULTIPLES = (0.5, 1.0, 2.0)  # the effects of the power curves, as multiples of `effect`


def power_curves(
    questions: list[Question], effect: float, designs, alpha: float, ns=range(2, 51)
) -> pd.DataFrame:
    """Power against n (every n) at a few effects around `effect`, for the figure."""
    rows = []
    for question in questions:
        for design_name, plan_name, sd in question.plannable(designs):
            for multiple in EFFECT_MULTIPLES:
                rows += [
                    {
                        "task": question.task,
                        "recipe_a": question.recipe_a,
                        "recipe_b": question.recipe_b,
                        "assumption": question.assumption,
                        "design": design_name,
                        "plan": plan_name,
                        "effect": multiple * effect,
                        "n": n,
                        "power": power(multiple * effect, design_name, n, sd, alpha),
                    }
                    for n in ns
                ]
    return pd.DataFrame(rows, columns=[*QUESTION_KEYS, "design", "plan", "effect", "n", "power"])


def study_plan(
    trials: pd.DataFrame,
    costs: pd.DataFrame | None,
    effect: float,
    alpha: float = 0.05,
    target: float = 0.8,
    design_name: str = "grid",
    budget_hours: float | None = None,
    score: str = "best",
    resamples: int = 1000,
    seed: int = 0,
    results_dir=None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The plan of every task of a finished study, as the DAG writes it: `plan` (COLUMNS, every
    design), `needed`, `power_curves` (for `design_name`), `mean` (MEAN_COLUMNS) and
    `expected_max` (trials until within `effect` of the largest n); tasks whose pilot cannot be
    planned are named in the notes."""
    trials = finished_trials(trials)
    questions, mean_rows, best_rows, notes = [], [], [], []
    for task in sorted(trials["task"].unique()):
        group = trials[trials["task"] == task]
        try:
            questions += pilot_questions(
                group, score, costs=costs, resamples=resamples, seed=seed, results_dir=results_dir
            )
            for recipe, own in group.groupby("recipe", sort=True):
                components = _own(own, score, resamples, seed)
                mean_rows += mean_interval_rows(task, recipe, components, 1 - alpha)
                best = expected_max_trials(own[score].to_numpy(dtype=float), effect)
                best_rows.append({"task": task, "recipe": recipe, "epsilon": effect, **best})
        except (ValueError, NotEnoughData) as error:
            notes.append(f"{task}: not planned ({error})")
    table, needed_table = (
        plan_tables(questions, effect, crossed.DESIGNS, alpha, target, budget_hours)
        if questions
        else (pd.DataFrame(columns=COLUMNS), pd.DataFrame())
    )
    return {
        "plan": table,
        "needed": needed_table,
        "power_curves": power_curves(questions, effect, [design_name], alpha),
        "mean": pd.DataFrame(mean_rows, columns=MEAN_COLUMNS),
        "expected_max": pd.DataFrame(best_rows),
    }, notes
