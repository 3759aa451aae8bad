"""Calibration of every interval and test the study publishes, on crossed seed grids with known
truth.

Each section is a module `benchmarks/calibration_<name>.py` with `rows(quick, seed)`: one row
per check and scenario, `check, scenario, nominal, observed, n_datasets`:

- an interval: nominal = its level, observed = how often it covers the truth;
- a test under the null: nominal = its level (e.g. 0.05), observed = its rejection rate;
- a power check (its name contains `power`): nominal = the power of the reference test, observed
  = its own.

The goal: every interval within 3 points of its level (Monte Carlo error aside: sd
sqrt(p (1 - p) / n_datasets)), every test at or below its level under the null, every power at
least the reference's. `deviation` in the printed table is observed - nominal.

    python benchmarks/calibration.py --quick             # a reduced set, minutes on 2 cores
    python benchmarks/calibration.py --csv calibration.csv
    python benchmarks/calibration.py --section components --quick
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import pandas as pd

COLUMNS = ["check", "scenario", "nominal", "observed", "n_datasets"]
# the sections, in the order of the table
SECTIONS = [
    "calibration_components",
    "calibration_seed_effects",
    "calibration_recipes",
    "calibration_early_stopping",
]


def section_rows(name: str, quick: bool, seed: int) -> pd.DataFrame:
    """The rows of one section, checked for their columns."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    module = importlib.import_module(name)
    frame = pd.DataFrame(module.rows(quick=quick, seed=seed))
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{name}.rows() gave no column(s) {sorted(missing)}")
    return frame[COLUMNS]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a reduced set of data sets")
    parser.add_argument("--csv", metavar="FILE", help="write the rows to this CSV file")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--section",
        action="append",
        choices=[name.removeprefix("calibration_") for name in SECTIONS],
        help="run only this section (repeatable)",
    )
    args = parser.parse_args(argv)
    names = [f"calibration_{name}" for name in args.section] if args.section else SECTIONS
    frames = []
    for name in names:
        start = time.perf_counter()
        frames.append(section_rows(name, args.quick, args.seed))
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    table = pd.concat(frames, ignore_index=True)
    if args.csv:
        table.to_csv(args.csv, index=False)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 80)
    shown = table.assign(deviation=table["observed"] - table["nominal"])
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
