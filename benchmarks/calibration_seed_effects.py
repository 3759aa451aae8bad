"""Calibration of the seed-effect tests under the null, on simulated seed grids with no init
effect (normal order effects and noise).

Rows (`check, scenario, nominal, observed, n_datasets`; `calibration.py` explains the columns):

- `Table 4: range permutation test, init (null)`: rejection rate at 0.05 of the permutation p
  of the range of the init-seed means (`seed_effects.best_worst_anova`'s `p_permutation`);
- `Table 4: best-vs-worst ANOVA p < 0.05, init (post-selection, not a test)`: the same rate for
  the paper's one-way ANOVA of the best against the worst init seed (far above 0.05 by design:
  it is reported as the paper's number, not as a test);
- `seed transfer: Spearman permutation test (null)`: rejection rate at 0.05 of the permutation
  test of two tasks' init-seed means (`seed_transfer.spearman_test`) when the tasks' init
  effects are independent.

    python benchmarks/calibration_seed_effects.py --quick
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from seedstudy.analysis.seed_effects import best_worst_anova
from seedstudy.analysis.seed_transfer import spearman_test

ALPHA = 0.05
# name: (seeds per axis, replicates, order share, noise share, data sets quick, data sets full)
SCENARIOS = {
    "5x5, no seed effect": (5, 1, 0.0, 1.0, 300, 1000),
    "10x10, no init effect, order share 20 %": (10, 1, 0.2, 0.8, 200, 1000),
    "25x25, no seed effect": (25, 1, 0.0, 1.0, 100, 500),
    "25x25, no init effect, order share 20 %": (25, 1, 0.2, 0.8, 100, 500),
    "10x10x3 replicates, no init effect, order share 20 %": (10, 3, 0.2, 0.8, 100, 500),
}


def grid(n: int, replicates: int, order: float, noise: float, rng) -> pd.DataFrame:
    init, order_seed, _ = np.indices((n, n, replicates))
    y = rng.normal(0, np.sqrt(order), n)[order_seed] + rng.normal(0, np.sqrt(noise), init.shape)
    return pd.DataFrame(
        {
            "task": "t",
            "init_seed": init.ravel(),
            "order_seed": order_seed.ravel(),
            "best": y.ravel(),
        }
    )


def scenario_rows(name: str, quick: bool, seed: int) -> list[dict]:
    n, replicates, order, noise, n_quick, n_full = SCENARIOS[name]
    datasets = n_quick if quick else n_full
    rng = np.random.default_rng(seed)
    permutation, anova, transfer = [], [], []
    for k in range(datasets):
        frame = grid(n, replicates, order, noise, rng)
        table = best_worst_anova(frame, permutations=999, seed=seed + k).set_index("factor")
        permutation.append(table.loc["init", "p_permutation"] <= ALPHA)
        anova.append(table.loc["init", "p"] < ALPHA)
        other = grid(n, replicates, order, noise, rng)
        means = [f.groupby("init_seed")["best"].mean().to_numpy() for f in (frame, other)]
        transfer.append(spearman_test(*means, permutations=999, seed=seed + k)[1] <= ALPHA)
    checks = {
        "Table 4: range permutation test, init (null)": permutation,
        "Table 4: best-vs-worst ANOVA p < 0.05, init (post-selection, not a test)": anova,
        "seed transfer: Spearman permutation test (null)": transfer,
    }
    return [
        {
            "check": check,
            "scenario": name,
            "nominal": ALPHA,
            "observed": float(np.mean(values)),
            "n_datasets": datasets,
        }
        for check, values in checks.items()
    ]


def rows(quick: bool = False, seed: int = 2020) -> list[dict]:
    """Every scenario's rows."""
    out = []
    for index, name in enumerate(SCENARIOS):
        out += scenario_rows(name, quick, seed + 1000 * index)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)
    pd.set_option("display.width", 250)
    print(pd.DataFrame(rows(args.quick, args.seed)).to_string(index=False))


if __name__ == "__main__":
    main()
