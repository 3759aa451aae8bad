"""Calibration of the recipe comparison and the curves on crossed seed grids with known truth.

Each data set is one task trained with two recipes A and B on the same init x order seed grid
(with `replicates` > 1, that many trials per cell, as with a grid of dropout seeds):

    score(recipe r, init i, order j, k) = mu_r + a_i + b_j + u_ri + v_rj + e_rijk

with shared seed effects a_i ~ N(0, init share), b_j ~ N(0, order share), recipe-by-seed
effects u_ri, v_rj ~ N(0, interaction) and residual e ~ N(0, residual share); a recipe's trial
has total variance 1 + 2 interaction. mu_A - mu_B is 0 (the null) or the scenario's effect.
A fresh trial of a recipe (new seeds) is N(mu_r, 1 + 2 interaction): the truth of its CDF, of
its expected best of n trials and of the trials needed to beat a score.

Rows (`check, scenario, nominal, observed, n_datasets`):

- `recipe difference: crossed t interval`, `... two-way bootstrap interval`: coverage of
  mu_A - mu_B by `pair_statistics`'s intervals (null and effect data sets together);
- `recipe difference: mixed model Wald interval`: the same for `paired_mixed_model`'s recipe
  effect, on grids of at most MIXED_MODEL_CELLS cells (n_datasets: the fits that succeeded);
- `P(A > B): two-way bootstrap interval`: coverage of the probability that A beats B on a fresh
  cell, Phi((mu_A - mu_B) / sqrt(4 interaction + 2 residual share)), by `pair_statistics`'s
  interval of P(A > B);
- `recipe decision: type-I error`: rate of p < 1 - level under the null (one pair, so Holm's
  correction changes nothing);
- `recipe decision: power`: rate of p < 1 - level at the scenario's effect; nominal: the power
  of the moment-SE test computed here from the ANOVA mean squares of the grid of cell means
  (`reference_p_value`, an independent implementation of the reference);
- `ASO eps_min < 0.2 under the null`: rate at which ASO declares A almost stochastically
  dominant (eps_min < 0.2) when A and B are the same recipe (nominal: 1 - level);
- `expected best of n: interval (n = ...)`: coverage of a recipe's E[max of n trials] over the
  data sets where the comparison gives an interval (n_datasets: how many did);
- `expected best of n: difference (n = N)`: coverage of the difference of A and B (the truth is
  mu_A - mu_B at every n: both recipes have the same spread);
- `CDF band`: simultaneous coverage of A's CDF by the effective-size band (`expected_max.cdf_bands`)
  and `CDF band, trials as iid` by opda's band of N trials; `trials needed range`: coverage of
  the true trials needed to beat A's 0.9 quantile with probability 0.95 by the range it gives.

    python benchmarks/calibration_recipes.py --quick          # about 2 minutes on 2 cores
    python benchmarks/calibration_recipes.py --csv rows.csv   # every scenario
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, stats

from seedstudy.analysis import expected_max as em
from seedstudy.analysis import recipe_comparison as rc
from seedstudy.analysis.crossed import effective_size
from seedstudy.analysis.resampling import cell_weights, seed_counts

LEVEL = 0.95
ASO_THRESHOLD = 0.2
BUDGETS = (1, 5, 10)
TRIALS_NEEDED = (0.9, 0.95)  # beat this quantile of a fresh trial with this probability
# the paired mixed model is fitted on grids of at most this many cells (0.5 s a fit on 25 x 25)
MIXED_MODEL_CELLS = 100


@dataclass(frozen=True)
class Scenario:
    name: str
    n_init: int
    n_order: int
    replicates: int = 1
    shares: tuple[float, float, float] = (0.3, 0.2, 0.5)  # init, order, residual
    interaction: float = 0.0  # variance of each recipe-by-seed effect
    effect: float = 0.0  # mu_A - mu_B in the power data sets

    @property
    def cells(self) -> int:
        return self.n_init * self.n_order


LARGE, SMALL = (0.3, 0.2, 0.5), (0.05, 0.05, 0.9)
SCENARIOS = (
    Scenario("5 x 5, seed shares large", 5, 5, effect=0.5),
    Scenario("5 x 5, seed shares large, interaction", 5, 5, interaction=0.15, effect=0.5),
    Scenario("10 x 10, seed shares large", 10, 10, effect=0.25),
    Scenario("10 x 10, seed shares small", 10, 10, shares=SMALL, effect=0.25),
    Scenario("10 x 10, seed shares large, 2 replicates", 10, 10, replicates=2, effect=0.25),
    Scenario("25 x 25, seed shares large", 25, 25, effect=0.1),
    Scenario("25 x 25, seed shares large, interaction", 25, 25, interaction=0.15, effect=0.1),
    Scenario("25 x 25, seed shares small", 25, 25, shares=SMALL, effect=0.1),
)
QUICK = (SCENARIOS[1], SCENARIOS[3], SCENARIOS[6])


def simulate(scenario: Scenario, effect: float, rng: np.random.Generator) -> dict:
    """Both recipes' scores on the grid, trials in init-major order."""
    s = scenario
    init = np.repeat(np.arange(s.n_init), s.n_order * s.replicates)
    order = np.tile(np.repeat(np.arange(s.n_order), s.replicates), s.n_init)
    shared = (
        rng.normal(0, math.sqrt(s.shares[0]), s.n_init)[init]
        + rng.normal(0, math.sqrt(s.shares[1]), s.n_order)[order]
    )
    scores = {}
    for recipe, mean in (("a", effect), ("b", 0.0)):
        own = (
            rng.normal(0, math.sqrt(s.interaction), s.n_init)[init]
            + rng.normal(0, math.sqrt(s.interaction), s.n_order)[order]
        )
        scores[recipe] = mean + shared + own + rng.normal(0, math.sqrt(s.shares[2]), init.size)
    return {"init": init, "order": order, **scores}


def reference_p_value(diff: np.ndarray, scenario: Scenario) -> float:
    """The moment-SE test of a zero mean on a balanced grid of cell means, from the ANOVA mean
    squares: Var(mean) = s2_init / I + s2_order / J + MS_residual / (I J), each component
    (MS_factor - MS_residual) / (levels of the other factor) truncated at 0."""
    n_init, n_order = scenario.n_init, scenario.n_order
    grid = diff.reshape(n_init, n_order, scenario.replicates).mean(axis=2)
    mean = grid.mean()
    rows, columns = grid.mean(axis=1), grid.mean(axis=0)
    ms_init = n_order * np.sum((rows - mean) ** 2) / (n_init - 1)
    ms_order = n_init * np.sum((columns - mean) ** 2) / (n_order - 1)
    residual = grid - rows[:, None] - columns[None, :] + mean
    ms_residual = np.sum(residual**2) / ((n_init - 1) * (n_order - 1))
    s2_init = max((ms_init - ms_residual) / n_order, 0.0)
    s2_order = max((ms_order - ms_residual) / n_init, 0.0)
    variance = s2_init / n_init + s2_order / n_order + ms_residual / (n_init * n_order)
    df = min(n_init, n_order) - 1
    return float(2 * stats.t.sf(abs(mean) / math.sqrt(variance), df))


def expected_max_normal(n: int, sd: float) -> float:
    """E[max of n iid N(0, sd^2)]."""

    def integrand(x):
        return x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1)

    return sd * integrate.quad(integrand, -12, 12)[0]


def _dataset(scenario: Scenario, effect: float, resamples: int, rng, aso: bool) -> dict:
    """Every check's outcome on one simulated data set."""
    data = simulate(scenario, effect, rng)
    a, b, init, order = data["a"], data["b"], data["init"], data["order"]
    weights = cell_weights(
        init, order, seed_counts(scenario.n_init, scenario.n_order, resamples, rng)
    )
    pair = rc.pair_statistics(a, b, init, order, weights, LEVEL)
    out = {
        "t": pair["t_low"] <= effect <= pair["t_high"],
        "boot": pair["boot_low"] <= effect <= pair["boot_high"],
        "reject": pair["p_value"] < 1 - LEVEL,
        "reference_reject": reference_p_value(a - b, scenario) < 1 - LEVEL,
    }
    # P(A > B) of a fresh cell: d = mu_A - mu_B + u_Ai - u_Bi + v_Aj - v_Bj + e_A - e_B
    spread = math.sqrt(4 * scenario.interaction + 2 * scenario.shares[2])
    out["outperform"] = pair["p_low"] <= stats.norm.cdf(effect / spread) <= pair["p_high"]
    if aso:
        out["aso"] = rc.aso_eps_min(a, b, weights, LEVEL) < ASO_THRESHOLD
    if scenario.cells <= MIXED_MODEL_CELLS:
        cells = pd.DataFrame({"y_a": a, "y_b": b, "init_seed": init, "order_seed": order})
        fitted = rc.paired_mixed_model(cells, LEVEL)  # [] where statsmodels' fit fails
        out["mixed"] = fitted[0]["low"] <= effect <= fitted[0]["high"] if fitted else np.nan
    sd = math.sqrt(1 + 2 * scenario.interaction)
    own = pd.DataFrame({"init_seed": init, "order_seed": order, "score": a})
    ns = rc.budget_ns(BUDGETS, a.size)
    boot = rc.weighted_expected_max(a, weights, ns)
    for n, (low, high) in zip(ns, rc.expected_max_intervals(own, "score", ns, boot, LEVEL)):
        truth = effect + expected_max_normal(n, sd)
        out[f"emax {n}"] = np.nan if np.isnan(low) else low <= truth <= high
    boot_diff = boot[:, -1] - rc.weighted_expected_max(b, weights, ns[-1:])[:, 0]
    low, high = np.quantile(boot_diff, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    out["emax diff"] = low <= effect <= high
    grid = np.linspace(effect - 5 * sd, effect + 5 * sd, 1001)
    truth_cdf = stats.norm.cdf(grid, effect, sd)
    bounds = (-np.inf, np.inf)
    size = effective_size(a, init, order)
    for key, band_size in (("cdf", size), ("cdf iid", None)):
        lower, _, upper = em.cdf_bands(a, LEVEL, bounds, "ks", band_size)
        out[key] = bool(
            np.all(lower.cdf(grid) <= truth_cdf + 1e-12)
            and np.all(truth_cdf <= upper.cdf(grid) + 1e-12)
        )
    quantile, probability = TRIALS_NEEDED
    threshold = effect + sd * stats.norm.ppf(quantile)
    needed = math.ceil(math.log(1 - probability) / math.log(quantile) - 1e-9)
    row = em.trials_needed(a, threshold, probability, LEVEL, bounds, "ks", size)
    out["needed"] = row["trials_needed_lower"] <= needed <= row["trials_needed_upper"]
    return out


def scenario_rows(scenario: Scenario, datasets: int, resamples: int, seed: int) -> list[dict]:
    """The rows of one scenario: `datasets` null data sets and as many at its effect."""
    rng = np.random.default_rng([seed, scenario.n_init, scenario.replicates, len(scenario.name)])
    null = pd.DataFrame([_dataset(scenario, 0.0, resamples, rng, True) for _ in range(datasets)])
    shifted = pd.DataFrame(
        [_dataset(scenario, scenario.effect, resamples, rng, False) for _ in range(datasets)]
    )
    both = pd.concat([null, shifted], ignore_index=True)
    n_both = len(both)
    power = f"recipe decision: power at {scenario.effect:g} sd"
    rows = [
        ("recipe difference: crossed t interval", LEVEL, both["t"].mean(), n_both),
        ("recipe difference: two-way bootstrap interval", LEVEL, both["boot"].mean(), n_both),
        ("recipe decision: type-I error", 1 - LEVEL, null["reject"].mean(), datasets),
        ("P(A > B): two-way bootstrap interval", LEVEL, both["outperform"].mean(), n_both),
        *(
            [
                (
                    "recipe difference: mixed model Wald interval",
                    LEVEL,
                    both["mixed"].dropna().astype(float).mean(),
                    int(both["mixed"].notna().sum()),
                )
            ]
            if "mixed" in both
            else []
        ),
        (power, shifted["reference_reject"].mean(), shifted["reject"].mean(), datasets),
        (f"ASO eps_min < {ASO_THRESHOLD} under the null", 1 - LEVEL, null["aso"].mean(), datasets),
    ]
    for column in [c for c in both.columns if c.startswith("emax ") and c != "emax diff"]:
        printed = both[column].notna()  # the data sets where the comparison gives an interval
        if printed.any():
            observed = both.loc[printed, column].astype(float).mean()
            check = f"expected best of n: interval (n = {column.split()[1]})"
            rows.append((check, LEVEL, observed, int(printed.sum())))
    rows += [
        ("expected best of n: difference (n = N)", LEVEL, both["emax diff"].mean(), n_both),
        ("CDF band (effective size)", LEVEL, both["cdf"].mean(), n_both),
        ("CDF band, trials as iid", LEVEL, both["cdf iid"].mean(), n_both),
        ("trials needed range", LEVEL, both["needed"].mean(), n_both),
    ]
    return [
        {
            "check": check,
            "scenario": scenario.name,
            "nominal": nominal,
            "observed": float(observed),
            "n_datasets": int(n),
        }
        for check, nominal, observed, n in rows
    ]


def rows(quick: bool, seed: int) -> list[dict]:
    """Every row of every scenario (`--quick`: three scenarios, fewer data sets)."""
    scenarios, datasets, resamples = (QUICK, 60, 300) if quick else (SCENARIOS, 100, 1000)
    return [row for s in scenarios for row in scenario_rows(s, datasets, resamples, seed)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="three scenarios, 60 data sets each")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    table = pd.DataFrame(rows(args.quick, args.seed))
    if args.csv:
        table.to_csv(args.csv, index=False)
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
