"""Calibration of the variance components: their intervals, the ANOVA F tests and the crossed t
interval of the mean of the trials, on simulated seed grids with known components (normal
effects, `variance_components_simulation.simulate`).

Rows (`check, scenario, nominal, observed, n_datasets`; `calibration.py` explains the columns):

- `component interval, moments (<method>), <component>`: coverage of the true component by the
  moments' interval (modified large-sample on balanced grids, random-effect bootstrap on the
  others), and `share interval, moments (bootstrap)`, `total interval, moments (bootstrap)`;
- `component interval, REML Wald, <component>` and `share interval, REML Wald, <component>`;
- `ANOVA F test, <factor> (null)`: rejection rate at 0.05 of the two-way ANOVA's F where the
  factor's component is 0;
- `mean of trials, crossed t interval`: coverage of the true mean by `crossed.mean_se`.

    python benchmarks/calibration_components.py --quick
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from variance_components_simulation import simulate

from seedstudy.analysis.crossed import mean_se
from seedstudy.analysis.variance_components import two_way_anova, variance_components

LEVEL = 0.95
ALPHA = 0.05
LARGE = {"init": 0.3, "order": 0.2, "residual": 0.5}
SMALL = {"init": 0.05, "order": 0.02, "residual": 0.93}
REPLICATED = {"init": 0.3, "order": 0.2, "interaction": 0.1, "noise": 0.4}
NO_INIT = {"init": 0.0, "order": 0.2, "residual": 0.8}
# name: (init seeds, order seeds, replicates, truth, fraction of cells dropped, data sets quick,
# data sets full)
SCENARIOS = {
    "5x5, shares 30/20/50": (5, 5, 1, LARGE, 0.0, 150, 500),
    "5x5, shares 5/2/93": (5, 5, 1, SMALL, 0.0, 0, 500),
    "10x10, shares 30/20/50": (10, 10, 1, LARGE, 0.0, 60, 300),
    "10x10, shares 5/2/93": (10, 10, 1, SMALL, 0.0, 0, 300),
    "25x25, shares 30/20/50": (25, 25, 1, LARGE, 0.0, 20, 100),
    "25x25, shares 5/2/93": (25, 25, 1, SMALL, 0.0, 0, 100),
    "5x5x3 replicates, shares 30/20/10/40": (5, 5, 3, REPLICATED, 0.0, 60, 300),
    "10x10x3 replicates, shares 30/20/10/40": (10, 10, 3, REPLICATED, 0.0, 0, 100),
    "10x10, 10% of cells missing, shares 30/20/50": (10, 10, 1, LARGE, 0.1, 20, 100),
    "10x10, no init effect (null), shares 0/20/80": (10, 10, 1, NO_INIT, 0.0, 60, 300),
}


def _covered(low: pd.Series, high: pd.Series, truth: float) -> pd.Series:
    return (low <= truth) & (truth <= high)


def scenario_rows(name: str, quick: bool, seed: int) -> list[dict]:
    n_init, n_order, replicates, truth, drop, n_quick, n_full = SCENARIOS[name]
    datasets = n_quick if quick else n_full
    if datasets == 0:
        return []
    rng = np.random.default_rng(seed)
    samples = 300 if quick else 500
    tables, anova, means = [], [], []
    for k in range(datasets):
        frame = simulate(n_init, n_order, replicates, truth, drop, rng)
        tables.append(variance_components(frame, "y", LEVEL, samples, seed + k).assign(k=k))
        if truth["init"] == 0:
            table = two_way_anova(frame, "y", interaction=replicates > 1).set_index("source")
            anova.append(table["p"])
        test = mean_se(frame["y"], frame["init_seed"], frame["order_seed"]).test(LEVEL)
        means.append(test["low"] <= 0 <= test["high"])
    results = pd.concat(tables, ignore_index=True)
    total = sum(truth.values())
    out = []

    def row(check: str, nominal: float, observed: float) -> None:
        out.append(
            {
                "check": check,
                "scenario": name,
                "nominal": nominal,
                "observed": float(observed),
                "n_datasets": datasets,
            }
        )

    for component, group in results.groupby("component", sort=False):
        true = total if component == "total" else truth[component]
        if component == "total":
            row(
                "total interval, moments (bootstrap)",
                LEVEL,
                _covered(group["moments_lower"], group["moments_upper"], true).mean(),
            )
            continue
        method = (
            "MLS" if group["moments_interval"].iloc[0] == "modified large-sample" else "bootstrap"
        )
        row(
            f"component interval, moments ({method}), {component}",
            LEVEL,
            _covered(group["moments_lower"], group["moments_upper"], true).mean(),
        )
        row(
            f"share interval, moments (bootstrap), {component}",
            LEVEL,
            _covered(
                group["moments_share_lower"], group["moments_share_upper"], true / total
            ).mean(),
        )
        row(
            f"component interval, REML Wald, {component}",
            LEVEL,
            _covered(group["reml_lower"], group["reml_upper"], true).mean(),
        )
        row(
            f"share interval, REML Wald, {component}",
            LEVEL,
            _covered(group["reml_share_lower"], group["reml_share_upper"], true / total).mean(),
        )
    if anova:
        p_values = pd.DataFrame(anova)
        row("ANOVA F test, init (null)", ALPHA, (p_values["init"] < ALPHA).mean())
    row("mean of trials, crossed t interval", LEVEL, np.mean(means))
    return out


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
