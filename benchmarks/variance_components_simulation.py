"""Bias and interval coverage of the variance-component estimators on simulated seed grids.

Each scenario draws `--replications` data sets from the crossed random-effects model with known
components (normal effects), runs `seedstudy.analysis.variance_components.variance_components` on
each, and prints per estimator (moments with random-effect bootstrap intervals, REML with Wald
intervals) and component: the true value, the mean estimate, the bias (absolute and relative),
and how often the interval at `--level` covers the truth, for the components and their shares.

    python benchmarks/variance_components_simulation.py                 # all scenarios
    python benchmarks/variance_components_simulation.py --scenario paper --replications 200
    python benchmarks/variance_components_simulation.py --grid 8 8 --truth 0.3 0.05 0.65 # your grid
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from seedstudy.analysis.variance_components import variance_components

# name: (init seeds, order seeds, replicates per cell, true components, fraction of cells dropped)
# failed runs: with probability FAILED each trial drops by FAILED_DROP (far from normal: the
# residual is a mixture, as when failed runs are kept); residual = 0.4 + p (1 - p) drop^2
FAILED, FAILED_DROP = 0.1, 3.0
SCENARIOS = {
    # the paper grid (25 x 25), shares 30 / 20 / 50 %
    "paper": (25, 25, 1, {"init": 0.3, "order": 0.2, "residual": 0.5}, 0.0),
    # a weak order effect (2 %): the moments are often truncated at 0, REML sits on the boundary
    "weak order": (25, 25, 1, {"init": 0.3, "order": 0.02, "residual": 0.68}, 0.0),
    # 10 % of the cells missing at random (e.g. failed runs excluded)
    "unbalanced": (25, 25, 1, {"init": 0.3, "order": 0.2, "residual": 0.5}, 0.1),
    # failed runs kept: a bimodal residual (normal part 0.4, failures 0.81)
    "failed runs": (
        25,
        25,
        1,
        {"init": 0.3, "order": 0.2, "residual": 0.4 + FAILED * (1 - FAILED) * FAILED_DROP**2},
        0.0,
    ),
    # a dropout-seed grid: 10 x 10 x 3 replicates separates the interaction from the noise
    "replicates": (10, 10, 3, {"init": 0.3, "order": 0.2, "interaction": 0.1, "noise": 0.4}, 0.0),
}


def simulate(n_init, n_order, replicates, truth, drop, rng, failures=False) -> pd.DataFrame:
    init = np.repeat(np.arange(n_init), n_order * replicates)
    order = np.tile(np.repeat(np.arange(n_order), replicates), n_init)
    cell = init * n_order + order
    y = (
        rng.normal(0, np.sqrt(truth["init"]), n_init)[init]
        + rng.normal(0, np.sqrt(truth["order"]), n_order)[order]
    )
    if "interaction" in truth:
        y += rng.normal(0, np.sqrt(truth["interaction"]), n_init * n_order)[cell]
        y += rng.normal(0, np.sqrt(truth["noise"]), len(y))
    elif failures:
        y += rng.normal(
            0, np.sqrt(truth["residual"] - FAILED * (1 - FAILED) * FAILED_DROP**2), len(y)
        )
        y -= FAILED_DROP * (rng.random(len(y)) < FAILED)
    else:
        y += rng.normal(0, np.sqrt(truth["residual"]), len(y))
    frame = pd.DataFrame({"init_seed": init, "order_seed": order, "y": y})
    if drop > 0:
        dropped = rng.random(n_init * n_order) < drop
        frame = frame[~dropped[cell]]
    return frame


def run(
    name: str, replications: int, samples: int, level: float, seed: int, scenarios=SCENARIOS
) -> pd.DataFrame:
    n_init, n_order, replicates, truth, drop = scenarios[name]
    total = sum(truth.values())
    rng = np.random.default_rng(seed)
    frames = []
    start = time.perf_counter()
    for replication in range(replications):
        frame = simulate(
            n_init, n_order, replicates, truth, drop, rng, failures=name == "failed runs"
        )
        table = variance_components(
            frame, "y", level=level, samples=samples, seed=seed + replication
        )
        frames.append(table.assign(replication=replication))
    seconds = (time.perf_counter() - start) / replications
    results = pd.concat(frames, ignore_index=True)
    rows = []
    for component, group in results.groupby("component", sort=False):
        true = total if component == "total" else truth[component]
        true_share = true / total
        for estimator in ("moments", "reml"):
            estimate = group[estimator]
            share = group[f"{estimator}_share"]
            rows.append(
                {
                    "scenario": name,
                    "estimator": estimator,
                    "component": component,
                    "true": true,
                    "mean": estimate.mean(),
                    "bias": estimate.mean() - true,
                    "rel_bias_%": 100 * (estimate.mean() - true) / true,
                    "coverage_%": 100
                    * (
                        (group[f"{estimator}_lower"] <= true)
                        & (true <= group[f"{estimator}_upper"])
                    ).mean(),
                    "true_share": true_share,
                    "share_bias": share.mean() - true_share,
                    "share_coverage_%": 100
                    * (
                        (group[f"{estimator}_share_lower"] <= true_share)
                        & (true_share <= group[f"{estimator}_share_upper"])
                    ).mean(),
                    "at_zero_%": 100 * (estimate <= 1e-12 * total).mean(),
                }
            )
    table = pd.DataFrame(rows)
    print(
        f"\n== {name}: {n_init} x {n_order} seeds, {replicates} replicate(s) per cell, "
        f"{100 * drop:.0f}% cells dropped; {replications} replications, {samples} bootstrap "
        f"samples, level {level}; {seconds:.2f} s per data set"
    )
    print(table.drop(columns="scenario").to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--samples", type=int, default=1000, help="bootstrap samples per data set")
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--grid",
        type=int,
        nargs=2,
        metavar=("INIT_SEEDS", "ORDER_SEEDS"),
        help="simulate a grid of this size instead of the built-in scenarios",
    )
    parser.add_argument(
        "--truth",
        type=float,
        nargs=3,
        metavar=("INIT", "ORDER", "RESIDUAL"),
        default=[0.3, 0.2, 0.5],
        help="true components for --grid (default 0.3 0.2 0.5)",
    )
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)
    if args.grid:
        if min(args.grid) < 2 or min(args.truth) <= 0:
            parser.error("--grid needs at least 2 seeds per factor and --truth positive components")
        name = f"{args.grid[0]} x {args.grid[1]}"
        truth = dict(zip(("init", "order", "residual"), args.truth))
        run(
            name,
            args.replications,
            args.samples,
            args.level,
            args.seed,
            {name: (*args.grid, 1, truth, 0.0)},
        )
        return
    for name in args.scenario or list(SCENARIOS):
        run(name, args.replications, args.samples, args.level, args.seed)


if __name__ == "__main__":
    main()
