"""Coverage, type-I error and power of the recipe comparison on simulated seed grids.

Each data set is one task trained with three recipes A, B, C on the same init x order seed grid:

    score(recipe r, init i, order j) = mu_r + a_i + b_j + u_ri + v_rj + e_rij

with shared seed effects a_i ~ N(0, INIT), b_j ~ N(0, ORDER) (they pair the recipes), recipe-by-seed
effects u_ri, v_rj ~ N(0, RECIPE_SEED) (a recipe changes which seeds are good: the cells of a
pair stay correlated through their seeds) and residual e_rij ~ N(0, RESIDUAL). The recipe means
are (effect x residual sd, 0, 0). For every pair,
`seedstudy.analysis.recipe_comparison.pair_statistics` gives the two-way seed bootstrap interval of
the mean difference and of P(A > B), the paired t interval and the bootstrap p-value; Holm's
correction runs over the three pairs, as `compare` does over pairs and tasks. Printed per grid and
effect (a Markdown table):

- coverage of the difference intervals (two-way bootstrap; the t interval for reference) and of
  the P(A > B) interval, over the three pairs, against the truths mu_r - mu_s and
  Phi((mu_r - mu_s) / sd of a cell difference);
- effect 0: the rate of "A beats B" decisions per decision (p < 1 - level, no correction) and
  the family-wise rate after Holm (any of the three pairs decided);
- effect > 0: the power for the two pairs with a difference (A - B, A - C), per decision and
  after Holm;
- with --mixed, the coverage of the paired mixed model's Wald interval of the recipe effect.

    python benchmarks/recipe_comparison_simulation.py                    # 200 data sets each
    python benchmarks/recipe_comparison_simulation.py --datasets 500 --grid 8 8
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd
from scipy import stats

from seedstudy.analysis.recipe_comparison import pair_statistics, paired_mixed_model
from seedstudy.analysis.resampling import cell_weights, holm, seed_counts

INIT, ORDER, RECIPE_SEED, RESIDUAL = 0.3, 0.2, 0.05, 0.5
# name: (init seeds, order seeds)
SCENARIOS = {"25 x 25": (25, 25), "5 x 5": (5, 5)}
# recipe A's advantage in residual standard deviations
EFFECTS = (0.0, 0.5)
RECIPES = ("A", "B", "C")


def simulate(
    n_init: int, n_order: int, effect: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Scores of every recipe on the grid, cells in init-major order."""
    init = np.repeat(np.arange(n_init), n_order)
    order = np.tile(np.arange(n_order), n_init)
    shared = (
        rng.normal(0, np.sqrt(INIT), n_init)[init] + rng.normal(0, np.sqrt(ORDER), n_order)[order]
    )
    means = {"A": effect * np.sqrt(RESIDUAL), "B": 0.0, "C": 0.0}
    scores = {}
    for recipe in RECIPES:
        own = (
            rng.normal(0, np.sqrt(RECIPE_SEED), n_init)[init]
            + rng.normal(0, np.sqrt(RECIPE_SEED), n_order)[order]
        )
        scores[recipe] = means[recipe] + shared + own + rng.normal(0, np.sqrt(RESIDUAL), init.size)
    return {"init": init, "order": order, "means": means, **scores}


def covered(table: pd.DataFrame, low: str, high: str, truth: str) -> float:
    """Percent of rows whose interval [low, high] holds the truth."""
    return 100 * ((table[low] <= table[truth]) & (table[truth] <= table[high])).mean()


def run(
    name: str,
    datasets: int,
    resamples: int,
    level: float,
    seed: int,
    scenarios=SCENARIOS,
    effects=EFFECTS,
    mixed: bool = False,
) -> pd.DataFrame:
    n_init, n_order = scenarios[name]
    sd_diff = np.sqrt(2 * (2 * RECIPE_SEED + RESIDUAL))
    rows = []
    for effect in effects:
        rng = np.random.default_rng([seed, round(1000 * effect)])
        results = []
        start = time.perf_counter()
        for dataset in range(datasets):
            data = simulate(n_init, n_order, effect, rng)
            counts = seed_counts(n_init, n_order, resamples, rng)
            weights = cell_weights(data["init"], data["order"], counts)
            pairs = []
            for a, b in itertools.combinations(RECIPES, 2):
                statistics = pair_statistics(data[a], data[b], weights, level)
                true_diff = data["means"][a] - data["means"][b]
                pair = {
                    "dataset": dataset,
                    "pair": f"{a}-{b}",
                    "true_diff": true_diff,
                    "true_p": stats.norm.cdf(true_diff / sd_diff),
                    **statistics,
                }
                if mixed:
                    cells = pd.DataFrame(
                        {
                            "y_a": data[a],
                            "y_b": data[b],
                            "init_seed": data["init"],
                            "order_seed": data["order"],
                        }
                    )
                    effect_row = next(
                        row
                        for row in paired_mixed_model(cells, level)
                        if row["term"] == "difference"
                    )
                    pair["mixed_low"], pair["mixed_high"] = effect_row["low"], effect_row["high"]
                pairs.append(pair)
            p_holm = holm([pair["p_value"] for pair in pairs])
            for pair, adjusted in zip(pairs, p_holm):
                pair["p_holm"] = adjusted
            results += pairs
        seconds = (time.perf_counter() - start) / datasets
        table = pd.DataFrame(results)
        alpha = 1 - level

        null = table[table["true_diff"] == 0]
        different = table[table["true_diff"] != 0]
        row = {
            "grid": name,
            "effect_sd": effect,
            "datasets": datasets,
            "diff_coverage_%": covered(table, "boot_low", "boot_high", "true_diff"),
            "t_coverage_%": covered(table, "t_low", "t_high", "true_diff"),
            "p_coverage_%": covered(table, "p_low", "p_high", "true_p"),
            "mixed_coverage_%": covered(table, "mixed_low", "mixed_high", "true_diff")
            if mixed
            else np.nan,
            "type1_per_decision_%": 100 * (null["p_value"] < alpha).mean() if len(null) else np.nan,
            "familywise_holm_%": (
                100 * null.groupby("dataset")["p_holm"].min().lt(alpha).mean()
                if effect == 0
                else np.nan
            ),
            "power_%": 100 * (different["p_value"] < alpha).mean() if len(different) else np.nan,
            "power_holm_%": 100 * (different["p_holm"] < alpha).mean()
            if len(different)
            else np.nan,
            "s_per_dataset": seconds,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"

    def cell(value):
        if isinstance(value, float):
            return "" if np.isnan(value) else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    return "\n".join(
        [header, rule]
        + ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--datasets", type=int, default=200, help="simulated data sets per grid and effect"
    )
    parser.add_argument(
        "--resamples", type=int, default=1000, help="two-way bootstrap resamples per data set"
    )
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--grid",
        type=int,
        nargs=2,
        metavar=("INIT_SEEDS", "ORDER_SEEDS"),
        help="simulate a grid of this size instead of 25 x 25 and 5 x 5",
    )
    parser.add_argument(
        "--effect",
        type=float,
        action="append",
        help="A's advantage in residual sd (default 0 and 0.5)",
    )
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="also the coverage of the paired mixed model's "
        "Wald interval (about 0.5 s per pair on 25 x 25)",
    )
    args = parser.parse_args(argv)
    if args.grid and min(args.grid) < 2:
        parser.error("--grid needs at least 2 seeds per factor")
    scenarios = {f"{args.grid[0]} x {args.grid[1]}": tuple(args.grid)} if args.grid else SCENARIOS
    effects = tuple(args.effect) if args.effect else EFFECTS
    tables = [
        run(
            name,
            args.datasets,
            args.resamples,
            args.level,
            args.seed,
            scenarios,
            effects,
            args.mixed,
        )
        for name in scenarios
    ]
    print(
        f"components: init {INIT}, order {ORDER}, recipe x init = recipe x order {RECIPE_SEED}, "
        f"residual {RESIDUAL}; 3 recipes, means (effect x residual sd, "
        f"0, 0); level {args.level}, {args.resamples} resamples\n"
    )
    print(markdown(pd.concat(tables, ignore_index=True)))


if __name__ == "__main__":
    main()
