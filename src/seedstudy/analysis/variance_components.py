"""How much of the variance of fine-tuning results each seed explains.

The trials of a task form a crossed design: every weight-init seed i is combined with every
data-order seed j (some cells may be missing, e.g. when failed runs are excluded, and with a grid
of dropout seeds a cell holds several replicate trials). The random-effects model is

    y_ijk = mu + a_i + b_j (+ c_ij) + e_ijk,   a ~ (0, s2_init), b ~ (0, s2_order),
                                                c ~ (0, s2_interaction), e ~ (0, s2_noise)

Without replicate cells the interaction cannot be told apart from the noise; their sum is the
`residual` component.

- `two_way_anova`: the crossed ANOVA (statsmodels OLS + anova_lm, Type II sums of squares) with
  F and p per factor. With replicate cells the interaction is the difference between the additive
  and the cell-means model, and the main effects are tested against it (the random-effects F).
- `moment_estimates`: method-of-moments components. On a balanced grid these are the ANOVA
  estimators, s2_init = (MS_init - MS_resid)/J, s2_order = (MS_order - MS_resid)/I; on any grid
  they are Henderson's Method I (expected values of the uncorrected sums of squares of each
  factor, solved for the components), which reduces to the former when the grid is balanced.
  Each is truncated at 0.
- `reml_estimates`: REML from a crossed random-effects model (statsmodels MixedLM with one group
  and a variance component per factor), started from the moments, Nelder-Mead then BFGS, never
  reported below the restricted likelihood of the truncated moment point; with Wald intervals
  from the REML information matrix (log scale for components, logit scale for shares).
- `effect_bootstrap`: intervals for the moment estimates and their shares from a random-effect
  bootstrap: the estimated init effects, order effects (interaction effects) and residuals are
  rescaled to the estimated components and resampled independently, then the moments are
  recomputed (the distribution of the effects is kept, failures' bimodality included). The
  intervals are pivotal (basic) bootstrap intervals on the log scale for components and the
  logit scale for shares (`pivotal_interval`).
- `modified_large_sample`: on a balanced grid, the intervals of the moment components are
  modified large-sample intervals (near nominal on 5 x 5 grids, where the bootstrap's are not);
  the bootstrap gives the others, and those of the total and the shares.
- `variance_components_table` / `anova_table`: every task, score (best, final) and view (all
  trials, failed trials excluded). Trials stopped by live early stopping are always excluded
  (their scores are partial).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import sparse, stats
from statsmodels.regression.mixed_linear_model import MixedLMParams
from statsmodels.stats.anova import anova_lm

from . import modified_large_sample
from .aggregate import finished_trials

SCORES = ("best", "final")
# the two views of every analysis: all finished trials, and the same without failed trials
VIEWS = ("all", "without failed")
# components of the model, in the order of tables and figures
COMPONENTS = ("init", "order", "interaction", "noise", "residual")
SOURCES = {"C(init_seed)": "init", "C(order_seed)": "order", "Residual": "residual"}
# REML information needs an n x n matrix: beyond this many trials its intervals are skipped
MAX_TRIALS_FOR_REML_INTERVALS = 6000


class NotEnoughData(ValueError):
    """The trials cannot identify the components
    (too few seeds or no residual degrees of freedom)."""


# ---------------------------------------------------------------------------------------------
# the design


@dataclass(frozen=True)
class Design:
    """Integer codes of the init seed, order seed and cell of every trial."""

    init: np.ndarray
    order: np.ndarray
    cell: np.ndarray
    n_init: int
    n_order: int
    n_cells: int
    separate_interaction: bool  # replicate cells with interaction degrees of freedom

    @property
    def n(self) -> int:
        return len(self.init)

    @property
    def balanced(self) -> bool:
        counts = np.bincount(self.cell, minlength=self.n_cells)
        return self.n_cells == self.n_init * self.n_order and counts.min() == counts.max()

    @property
    def max_replicates(self) -> int:
        return int(np.bincount(self.cell).max())

    @property
    def components(self) -> tuple[str, ...]:
        """The components this design identifies."""
        if self.separate_interaction:
            return ("init", "order", "interaction", "noise")
        return ("init", "order", "residual")

    def codes(self, component: str) -> np.ndarray:
        """Level of every trial for a component (the residual/noise: one level per trial)."""
        return {
            "mean": np.zeros(self.n, dtype=int),
            "init": self.init,
            "order": self.order,
            "interaction": self.cell,
            "noise": np.arange(self.n),
            "residual": np.arange(self.n),
        }[component]


def design(init_seeds, order_seeds) -> Design:
    """The crossed design of trials with these seeds; raises NotEnoughData when no component
    can be estimated (fewer than 2 seeds of a kind, or no residual degrees of freedom)."""
    init, init_levels = pd.factorize(np.asarray(init_seeds), sort=True)
    order, order_levels = pd.factorize(np.asarray(order_seeds), sort=True)
    cell = pd.factorize(init * len(order_levels) + order, sort=True)[0]
    n, n_init, n_order, n_cells = (
        len(init),
        len(init_levels),
        len(order_levels),
        int(cell.max() + 1) if len(cell) else 0,
    )
    additive_df = n_init + n_order - 1
    if n_init < 2 or n_order < 2 or n_cells - additive_df + (n - n_cells) < 1:
        raise NotEnoughData(
            f"not enough data: {n} trial(s) with {n_init} init seed(s) and {n_order} order "
            "seed(s); the components need >= 2 seeds of each "
            "kind and at least one residual degree of freedom"
        )
    separate = n > n_cells and n_cells > additive_df
    result = Design(init, order, cell, n_init, n_order, n_cells, bool(separate))
    if np.linalg.matrix_rank(_moment_equations(result)[0]) < len(result.components):
        raise NotEnoughData(
            f"not enough data: the {n} trials do not connect the init and order seeds "
            f"(the components are not identified)"
        )
    return result


# ---------------------------------------------------------------------------------------------
# method of moments


def _indicator(codes: np.ndarray) -> sparse.csr_matrix:
    return sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)))


def _coefficient(form: np.ndarray, component: np.ndarray) -> float:
    """Coefficient of a component's variance in the expected uncorrected sum of squares of a
    factor: sum over levels f of the factor of sum_k n_fk^2 / n_f."""
    n_f = np.bincount(form)
    pairs = form.astype(np.int64) * (component.max() + 1) + component
    _, n_fk = np.unique(pairs, return_counts=True)
    owner = np.unique(pairs) // (component.max() + 1)
    return float(np.sum(n_fk.astype(float) ** 2 / n_f[owner]))


def _moment_equations(d: Design) -> tuple[np.ndarray, list[str]]:
    """Henderson's Method I: E[T_F - T_mean] = A @ components for every factor F (one equation
    per component: init, order, [cell], trial)."""
    components = list(d.components)
    forms = ["init", "order"] + (["interaction"] if d.separate_interaction else []) + ["noise"]
    mean_row = np.array([_coefficient(d.codes("mean"), d.codes(c)) for c in components])
    rows = [
        np.array([_coefficient(d.codes(f), d.codes(c)) for c in components]) - mean_row
        for f in forms
    ]
    return np.vstack(rows), forms


def _uncorrected_sums_of_squares(y: np.ndarray, d: Design, forms: list[str]) -> np.ndarray:
    """T_F - T_mean for each factor F, for every row of y (replicates x trials)."""
    y = np.atleast_2d(y)
    t_mean = y.sum(axis=1) ** 2 / d.n
    columns = []
    for form in forms:
        if form in ("noise", "residual"):
            t = np.einsum("ij,ij->i", y, y)
        else:
            codes = d.codes(form)
            sums = np.asarray(_indicator(codes).T @ y.T).T  # replicates x levels
            t = (sums**2 / np.bincount(codes)).sum(axis=1)
        columns.append(t - t_mean)
    return np.column_stack(columns)


def moment_estimates(y, d: Design, truncate: bool = True) -> np.ndarray:
    """Method-of-moments components (columns in the order of `d.components`) for y of shape
    (trials,) or (replicates, trials); truncated at 0 unless `truncate` is False."""
    a, forms = _moment_equations(d)
    t = _uncorrected_sums_of_squares(np.asarray(y, dtype=float), d, forms)
    estimates = np.linalg.solve(a, t.T).T
    if truncate:
        estimates = np.maximum(estimates, 0.0)
    return estimates[0] if np.ndim(y) == 1 else estimates


# ---------------------------------------------------------------------------------------------
# intervals for the moments: random-effect bootstrap


def _effects(y: np.ndarray, d: Design) -> dict[str, np.ndarray]:
    """Estimated effects of every component: additive least-squares init and order effects
    (centred), interaction = cell mean minus the additive fit, and the residuals."""
    x = sparse.hstack([_indicator(d.init), _indicator(d.order)]).toarray()
    x = np.column_stack([np.ones(d.n), x])
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    a, b = coef[1 : 1 + d.n_init], coef[1 + d.n_init :]
    fitted = x @ coef
    effects = {"init": a - a.mean(), "order": b - b.mean()}
    if d.separate_interaction:
        counts = np.bincount(d.cell)
        cell_mean = np.bincount(d.cell, weights=y) / counts
        cell_fit = np.bincount(d.cell, weights=fitted) / counts
        effects["interaction"] = cell_mean - cell_fit
        effects["noise"] = y - cell_mean[d.cell]
    else:
        effects["residual"] = y - fitted
    return effects


def _logit(p):
    return np.log(p) - np.log1p(-p)


def pivotal_interval(
    estimate: np.ndarray, boot: np.ndarray, level: float, scale: str = "log"
) -> tuple[np.ndarray, np.ndarray]:
    """Basic (pivotal) bootstrap interval on the log scale (components) or logit scale (shares):
    g^-1(2 g(estimate) - g(q_hi)), g^-1(2 g(estimate) - g(q_lo)), q the bootstrap quantiles. It
    inverts the ratio estimate/truth, which for a variance is close to pivotal (the percentile
    interval is too short for variances from few seeds). Where the estimate or a quantile lies
    on the boundary (a component at 0, a share at 0 or 1) the percentile interval is used."""
    estimate = np.asarray(estimate, dtype=float)
    alpha = 1 - level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q_lo, q_hi = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    if scale == "log":
        g, g_inv = np.log, np.exp
        inside = (estimate > 0) & (q_lo > 0)
    else:
        g, g_inv = _logit, lambda x: 1 / (1 + np.exp(-x))
        inside = (estimate > 0) & (estimate < 1) & (q_lo > 0) & (q_hi < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = g_inv(2 * g(estimate) - g(q_hi))
        upper = g_inv(2 * g(estimate) - g(q_lo))
    return np.where(inside, lower, q_lo), np.where(inside, upper, q_hi)


def effect_bootstrap(
    y, d: Design, estimates: np.ndarray, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Moment estimates (samples x components) of data resampled from the fitted model: each
    component's estimated effects, centred and rescaled so that their mean square equals the
    estimated component, are drawn with replacement independently of the others."""
    y = np.asarray(y, dtype=float)
    effects = _effects(y, d)
    simulated = np.full((samples, d.n), y.mean())
    for component, variance in zip(d.components, estimates):
        effect = effects[component] - effects[component].mean()
        mean_square = float(np.mean(effect**2))
        if variance <= 0 or mean_square <= 0:
            continue
        effect = effect * np.sqrt(variance / mean_square)
        codes = d.codes(component)
        levels = int(codes.max() + 1)
        drawn = effect[rng.integers(0, len(effect), size=(samples, levels))]
        simulated += drawn[:, codes]
    return moment_estimates(simulated, d)


# ---------------------------------------------------------------------------------------------
# REML


def _mixedlm_frame(y, d: Design) -> pd.DataFrame:
    return pd.DataFrame({"y": y, "init": d.init, "order": d.order, "cell": d.cell, "group": 0})


def _reml_params(components: np.ndarray, mean: float) -> MixedLMParams:
    """MixedLM parameters of these components (the random components as ratios to the
    residual, which REML profiles out)."""
    # a component at exactly 0 has no log-likelihood in statsmodels: 1e-10 of the residual
    ratios = np.maximum(components[:-1] / components[-1], 1e-10)
    return MixedLMParams.from_components(
        fe_params=np.array([mean]), cov_re=np.zeros((0, 0)), vcomp=ratios
    )


def reml_estimates(y, d: Design) -> tuple[np.ndarray, str]:
    """REML components (in the order of `d.components`) from statsmodels MixedLM with crossed
    variance components, and a note ('' or what happened: the fit replaced by the moment point,
    no convergence, components at 0).

    On a balanced grid where no moment estimate is negative, REML's optimum is the moment point
    (Searle, Casella and McCulloch 1992, sec. 6.7), returned without a fit. Elsewhere the fit
    starts from the truncated moment estimates and runs Nelder-Mead, then BFGS: the gradient
    methods alone stop short where a component is near 0. The restricted log-likelihood at the
    result is compared with the one at the truncated moment point; a result below it is never
    published: the moment point, the better REML point, is reported instead, and the note says
    so.

    The model is fitted to the standardised scores (scores in [0, 1] have variances near 1e-4,
    where the optimiser's tolerances and statsmodels' boundary test are too coarse) and the
    components are scaled back."""
    y = np.asarray(y, dtype=float)
    scale = float(np.std(y))
    if scale == 0:
        return np.zeros(len(d.components)), "all scores equal"
    formulas = {"init": "0 + C(init)", "order": "0 + C(order)"}
    if d.separate_interaction:
        formulas["interaction"] = "0 + C(cell)"
    frame = _mixedlm_frame((y - y.mean()) / scale, d)
    model = smf.mixedlm("y ~ 1", frame, groups="group", re_formula="0", vc_formula=formulas)
    raw = moment_estimates(frame["y"].to_numpy(), d, truncate=False)
    if d.balanced and np.all(raw > 0):
        return raw * scale**2, ""  # the REML optimum in closed form
    moments = np.maximum(raw, 0.0)
    start = None
    if moments[-1] > 0:
        start = _reml_params(np.maximum(moments, 1e-3 * moments[-1]), 0.0)
    with warnings.catch_warnings():
        # convergence and the boundary are reported in the note instead
        warnings.simplefilter("ignore")
        try:
            result = model.fit(reml=True, start_params=start, method=["nm", "bfgs"])
        except (np.linalg.LinAlgError, ValueError) as error:
            if moments[-1] <= 0:
                return np.full(len(d.components), np.nan), f"REML failed: {error}"
            return _moment_point(moments, scale, d, f"REML fit failed ({error})")
        found = dict(zip(result.model.exog_vc.names, np.asarray(result.vcomp, dtype=float)))
        found["residual"] = found["noise"] = float(result.scale)
        components = np.array([found[c] for c in d.components])
        notes = []
        if moments[-1] > 0:
            at_moments = model.loglike(_reml_params(moments, 0.0), profile_fe=True)
            at_result = model.loglike(_reml_params(components, 0.0), profile_fe=True)
            if np.isfinite(at_moments) and not at_result >= at_moments - 1e-8 * abs(at_moments):
                return _moment_point(
                    moments,
                    scale,
                    d,
                    "REML optimiser stopped below the restricted likelihood of the moment point "
                    f"(by {at_moments - at_result:.3g})",
                )
        if not result.converged:
            notes.append("REML did not converge")
    return _with_zero_note(components * scale**2, d, notes)


def _moment_point(moments: np.ndarray, scale: float, d: Design, why: str) -> tuple:
    return _with_zero_note(moments * scale**2, d, [f"{why}: the moment point is reported"])


def _with_zero_note(components: np.ndarray, d: Design, notes: list[str]) -> tuple:
    at_zero = [c for c, v in zip(d.components, components) if v <= 1e-6 * components.sum()]
    if at_zero:
        notes.append("REML at 0: " + ", ".join(at_zero))
    return components, "; ".join(notes)


def reml_covariance(components: np.ndarray, d: Design) -> np.ndarray:
    """Asymptotic covariance of the REML components: the inverse of the REML (expected)
    information, I_kl = tr(P V_k P V_l) / 2 with V_k = Z_k Z_k' (identity for the residual) and
    P = V^-1 - V^-1 X (X' V^-1 X)^-1 X' V^-1 (X: the intercept)."""
    z = {
        c: (None if c in ("noise", "residual") else _indicator(d.codes(c)).toarray())
        for c in d.components
    }
    v = sum(
        s * (np.eye(d.n) if z[c] is None else z[c] @ z[c].T)
        for c, s in zip(d.components, components)
    )
    v_inv = np.linalg.inv(v)
    v_inv_x = v_inv.sum(axis=1)
    p = v_inv - np.outer(v_inv_x, v_inv_x) / v_inv_x.sum()
    w = {c: (p if z[c] is None else p @ z[c]) for c in d.components}
    k = len(d.components)
    info = np.empty((k, k))
    for a, ca in enumerate(d.components):
        for b, cb in enumerate(d.components):
            m = w[cb] if z[ca] is None else z[ca].T @ w[cb]
            info[a, b] = 0.5 * float(np.sum(m * m))
    return np.linalg.inv(info)


def _share_gradient(components: np.ndarray) -> np.ndarray:
    """d share_k / d component_l (rows k)."""
    total = components.sum()
    return (np.eye(len(components)) * total - components[:, None]) / total**2


def wald_intervals(
    components: np.ndarray, covariance: np.ndarray, level: float
) -> dict[str, np.ndarray]:
    """Wald intervals: components and total on the log scale (on the raw scale, clipped at 0,
    when a component's standard error exceeds it), shares on the logit scale
    (raw scale at 0 or 1)."""
    z = stats.norm.ppf(0.5 + level / 2)
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    # the log scale needs a component well away from 0 (standard error below the estimate)
    positive = (components > 0) & (se < components)
    safe = np.where(positive, components, 1.0)
    log_lo, log_hi = safe * np.exp(-z * se / safe), safe * np.exp(z * se / safe)
    lower = np.where(positive, log_lo, np.maximum(components - z * se, 0.0))
    upper = np.where(positive, log_hi, components + z * se)
    total = components.sum()
    total_se = float(np.sqrt(max(covariance.sum(), 0.0)))
    shares = components / total
    grad = _share_gradient(components)
    share_se = np.sqrt(np.clip(np.einsum("kl,lm,km->k", grad, covariance, grad), 0, None))
    interior = (shares > 0) & (shares < 1)
    s = np.where(interior, shares, 0.5)
    logit_se = share_se / (s * (1 - s))
    logit = np.log(s / (1 - s))
    share_lower = np.where(
        interior, stats.logistic.cdf(logit - z * logit_se), np.clip(shares - z * share_se, 0, 1)
    )
    share_upper = np.where(
        interior, stats.logistic.cdf(logit + z * logit_se), np.clip(shares + z * share_se, 0, 1)
    )
    return {
        "lower": np.append(lower, total * np.exp(-z * total_se / total)),
        "upper": np.append(upper, total * np.exp(z * total_se / total)),
        "share_lower": np.append(share_lower, 1.0),
        "share_upper": np.append(share_upper, 1.0),
    }


# ---------------------------------------------------------------------------------------------
# ANOVA


def _anova_frame(group: pd.DataFrame, score: str) -> pd.DataFrame:
    return (
        group[["init_seed", "order_seed", score]]
        .rename(columns={score: "y"})
        .dropna()
        .reset_index(drop=True)
    )


def two_way_anova(
    group: pd.DataFrame, score: str = "best", interaction: bool = False
) -> pd.DataFrame:
    """ANOVA table of one task: source, df, sum_sq, mean_sq, F, p, share of the total sum of
    squares, and the source each F is tested against.

    Without `interaction`: additive model, Type II sums of squares, F against the residual.
    With it (replicate cells): the interaction is the additive model's residual minus the cell
    means model's (so empty cells are handled), `noise` is the cell means model's residual, and
    init and order are tested against the interaction (random-effects F)."""
    data = _anova_frame(group, score)
    additive = smf.ols("y ~ C(init_seed) + C(order_seed)", data=data).fit()
    table = anova_lm(additive, typ=2)
    total = float(((data["y"] - data["y"].mean()) ** 2).sum())
    out = pd.DataFrame(
        {
            "source": [SOURCES[name] for name in table.index],
            "df": table["df"].to_numpy(),
            "sum_sq": table["sum_sq"].to_numpy(),
        }
    )
    if interaction:
        cells = data["init_seed"].astype(str) + ":" + data["order_seed"].astype(str)
        cell_means = smf.ols("y ~ C(cells)", data=data.assign(cells=cells)).fit()
        inter_df = additive.df_resid - cell_means.df_resid
        rows = out[out["source"] != "residual"].to_dict("records")
        rows.append(
            {"source": "interaction", "df": inter_df, "sum_sq": additive.ssr - cell_means.ssr}
        )
        rows.append({"source": "noise", "df": cell_means.df_resid, "sum_sq": cell_means.ssr})
        out = pd.DataFrame(rows)
        against = {"init": "interaction", "order": "interaction", "interaction": "noise"}
    else:
        against = {"init": "residual", "order": "residual"}
    out["mean_sq"] = out["sum_sq"] / out["df"]
    ms = dict(zip(out["source"], out["mean_sq"]))
    dfs = dict(zip(out["source"], out["df"]))
    out["tested_against"] = out["source"].map(against)
    out["F"] = [
        ms[s] / ms[a] if isinstance(a, str) and ms[a] > 0 else np.nan
        for s, a in zip(out["source"], out["tested_against"])
    ]
    out["p"] = [
        float(stats.f.sf(f, dfs[s], dfs[a])) if np.isfinite(f) else np.nan
        for s, a, f in zip(out["source"], out["tested_against"], out["F"])
    ]
    out["share"] = out["sum_sq"] / total if total > 0 else np.nan
    return out[["source", "df", "sum_sq", "mean_sq", "F", "p", "share", "tested_against"]]


# ---------------------------------------------------------------------------------------------
# per task, score and view


def view_trials(group: pd.DataFrame, view: str) -> pd.DataFrame:
    """Trials of a view: finished trials (stopped ones are partial),
    without failed ones on request."""
    kept = finished_trials(group)
    if view == "without failed":
        kept = kept[~kept["failed"].astype(bool)]
    elif view != "all":
        raise ValueError(f"unknown view {view!r}; known: {', '.join(VIEWS)}")
    return kept


ESTIMATE_COLUMNS = [
    f"{method}{suffix}"
    for method in ("moments", "reml")
    for suffix in ("", "_lower", "_upper", "_share", "_share_lower", "_share_upper")
]


def _cube(y: np.ndarray, d: Design) -> np.ndarray:
    """The scores of a balanced design as an init x order x replicate array."""
    order = np.lexsort((d.order, d.init))
    return np.asarray(y, dtype=float)[order].reshape(d.n_init, d.n_order, -1)


def moment_components(
    y: np.ndarray, d: Design, level: float, samples: int, seed: int
) -> tuple[dict, list[str]]:
    """Method-of-moments components (truncated at 0), their shares of the total, and intervals:
    on a balanced grid the components' are modified large-sample intervals
    (`modified_large_sample`); elsewhere, and for the total and the shares, they come from the
    random-effect bootstrap (pivotal: log scale for components and the total, logit scale for
    shares). Arrays per component of `d`; `lower`/`upper` have the total last; `method` names
    the components' interval."""
    k = len(d.components)
    raw = moment_estimates(y, d, truncate=False)
    estimate = np.maximum(raw, 0)
    boot = effect_bootstrap(y, d, estimate, samples, np.random.default_rng(seed))
    boot_total = boot.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_shares = boot / boot_total[:, None]
    total = estimate.sum()
    share = estimate / total if total > 0 else np.full(k, np.nan)
    lower, upper = pivotal_interval(
        np.append(estimate, total), np.column_stack([boot, boot_total]), level, "log"
    )
    if np.isfinite(boot_shares).any() and total > 0:
        share_lower, share_upper = pivotal_interval(share, boot_shares, level, "logit")
    else:
        share_lower = share_upper = np.full(k, np.nan)
    method = "random-effect bootstrap"
    if d.balanced:
        cube = _cube(y, d)
        intervals = modified_large_sample.component_intervals(cube, level)
        lower[:k] = [intervals[c][0] for c in d.components]
        upper[:k] = [intervals[c][1] for c in d.components]
        method = "modified large-sample"
    notes = []
    if (raw < 0).any():
        notes.append(
            "moments truncated at 0: " + ", ".join(c for c, r in zip(d.components, raw) if r < 0)
        )
    return {
        "method": method,
        "estimate": estimate,
        "share": share,
        "lower": lower,
        "upper": upper,
        "share_lower": share_lower,
        "share_upper": share_upper,
    }, notes


def reml_components(y: np.ndarray, d: Design, level: float) -> tuple[dict, list[str]]:
    """REML components, their shares, and Wald intervals from the REML information (skipped
    beyond MAX_TRIALS_FOR_REML_INTERVALS trials or when the information is singular)."""
    k = len(d.components)
    estimate, note = reml_estimates(y, d)
    notes = [note] if note else []
    total = estimate.sum()
    share = estimate / total if total > 0 else np.full(k, np.nan)
    intervals = {
        key: np.full(k + 1, np.nan) for key in ("lower", "upper", "share_lower", "share_upper")
    }
    if np.isfinite(estimate).all() and total > 0:
        if d.n <= MAX_TRIALS_FOR_REML_INTERVALS:
            try:
                intervals = wald_intervals(estimate, reml_covariance(estimate, d), level)
            except np.linalg.LinAlgError:
                notes.append("REML information singular: no REML intervals")
        else:
            notes.append(f"more than {MAX_TRIALS_FOR_REML_INTERVALS} trials: no REML intervals")
    return {"estimate": estimate, "share": share, **intervals}, notes


PAIRS_NOTE = (
    "pairs design: each init seed trained with one order seed, so init and order are confounded; "
    "the seed-pair variance (of the pairs' mean scores, chi-square interval) is their sum with "
    "the residual"
)


def seed_pair_variance(data: pd.DataFrame, score: str, level: float, info: dict) -> pd.DataFrame:
    """A pairs study's components: the variance of the seed pairs' mean scores, with its
    chi-square interval at `level`, as the one component (and the total)."""
    means = data.groupby(["init_seed", "order_seed"])[score].mean().to_numpy(dtype=float)
    df = means.size - 1
    variance = float(np.var(means, ddof=1))
    lower = df * variance / stats.chi2.ppf((1 + level) / 2, df)
    upper = df * variance / stats.chi2.ppf((1 - level) / 2, df)
    row = dict.fromkeys(ESTIMATE_COLUMNS, np.nan)
    row.update(moments=variance, moments_lower=lower, moments_upper=upper, moments_share=1.0)
    row.update(moments_share_lower=1.0, moments_share_upper=1.0)
    return pd.DataFrame(
        [
            {"component": component, **row, **info, "note": PAIRS_NOTE}
            for component in ("seed pair", "total")
        ]
    )


def variance_components(
    group: pd.DataFrame,
    score: str = "best",
    level: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Components of one task's score: one row per component and the total, with moments and
    REML estimates, their shares of the total and intervals at `level` (moments: random-effect
    bootstrap with `samples` resamples; REML: Wald from the REML information)."""
    data = group[["init_seed", "order_seed", score]].dropna()
    info = {
        "n_trials": len(data),
        "n_init": data["init_seed"].nunique(),
        "n_order": data["order_seed"].nunique(),
    }
    n_pairs = len(data[["init_seed", "order_seed"]].drop_duplicates())
    if n_pairs == info["n_init"] == info["n_order"] >= 2:
        return seed_pair_variance(data, score, level, info)
    try:
        d = design(data["init_seed"], data["order_seed"])
    except (
        NotEnoughData
    ) as error:  # the columns of a fitted result, so that small studies still tabulate
        empty = dict.fromkeys(ESTIMATE_COLUMNS, np.nan)
        return pd.DataFrame(
            [
                {"component": c, **empty, **info, "note": str(error)}
                for c in ("init", "order", "residual", "total")
            ]
        )
    y = data[score].to_numpy(dtype=float)
    components = list(d.components)
    moments, moment_notes = moment_components(y, d, level, samples, seed)
    reml, reml_notes = reml_components(y, d, level)
    notes = moment_notes + reml_notes
    total, reml_total = moments["estimate"].sum(), reml["estimate"].sum()

    rows = []
    for index, component in enumerate(components + ["total"]):
        is_total = component == "total"
        rows.append(
            {
                "component": component,
                "moments": total if is_total else moments["estimate"][index],
                "moments_lower": moments["lower"][index],
                "moments_upper": moments["upper"][index],
                "moments_share": 1.0 if is_total else moments["share"][index],
                "moments_share_lower": 1.0 if is_total else moments["share_lower"][index],
                "moments_share_upper": 1.0 if is_total else moments["share_upper"][index],
                "reml": reml_total if is_total else reml["estimate"][index],
                "reml_lower": reml["lower"][index],
                "reml_upper": reml["upper"][index],
                "reml_share": 1.0 if is_total else reml["share"][index],
                "reml_share_lower": reml["share_lower"][index],
                "reml_share_upper": reml["share_upper"][index],
                **info,
                "max_replicates": d.max_replicates,
                "balanced": d.balanced,
                "moments_interval": moments["method"],
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def variance_components_table(
    trials: pd.DataFrame, scores=SCORES, level: float = 0.95, samples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """`variance_components` of every task, score and view (all trials, failed excluded)."""
    frames = []
    for task, group in trials.groupby("task", sort=True):
        for score in scores:
            for view in VIEWS:
                table = variance_components(view_trials(group, view), score, level, samples, seed)
                table.insert(0, "view", view)
                table.insert(0, "score", score)
                table.insert(0, "task", task)
                frames.append(table)
    return pd.concat(frames, ignore_index=True)


def anova_table(trials: pd.DataFrame, scores=SCORES) -> pd.DataFrame:
    """Two-way ANOVA of every task, score and view; with replicate cells the interaction is
    separated from the noise. A view without enough data gets one row saying so."""
    frames = []
    for task, group in trials.groupby("task", sort=True):
        for score in scores:
            for view in VIEWS:
                data = view_trials(group, view)[["init_seed", "order_seed", score]].dropna()
                try:
                    d = design(data["init_seed"], data["order_seed"])
                    table = two_way_anova(data, score, interaction=d.separate_interaction)
                    table["note"] = ""
                except NotEnoughData as error:
                    table = pd.DataFrame([{"source": "", "note": str(error)}])
                table.insert(0, "n_trials", len(data))
                table.insert(0, "view", view)
                table.insert(0, "score", score)
                table.insert(0, "task", task)
                frames.append(table)
    return pd.concat(frames, ignore_index=True)
