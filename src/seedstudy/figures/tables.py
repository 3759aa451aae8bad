"""A table as a figure page, so that the numbers of a table stand in results/figures/all.pdf."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def fmt(value, digits: int = 3) -> str:
    """A number for a table cell: '' for missing, 'inf' for infinite,
    `digits` significant digits."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}f}"
    return str(value)


def interval(estimate, lower, upper, digits: int = 3) -> str:
    """'estimate [lower, upper]', or just the estimate when the interval is missing."""
    if estimate is None or (isinstance(estimate, float) and np.isnan(estimate)):
        return ""
    if lower is None or upper is None or np.isnan(lower) or np.isnan(upper):
        return fmt(estimate, digits)
    return f"{fmt(estimate, digits)} [{fmt(lower, digits)}, {fmt(upper, digits)}]"


def table_page(frame: pd.DataFrame, note: str | None = None):
    """A figure holding `frame` (already formatted as strings) as a table filling the page: the
    page grows with the rows up to a letter page, then the font shrinks. A table without rows
    shows `note` instead."""
    n_rows = len(frame)
    row_height = 0.2  # inches at font size 7
    height = min(10.5, 1.2 + row_height * (n_rows + 1))
    width = min(16.0, max(7.0, 1.05 * len(frame.columns)))
    fig, ax = plt.subplots(figsize=(width, height))
    ax.axis("off")
    if n_rows == 0:
        ax.text(0.5, 0.5, note or "no rows", ha="center", va="center", fontsize=11, wrap=True)
        return fig
    fontsize = min(7.0, 7.0 * (height - 1.2) / (row_height * (n_rows + 1)))
    table = ax.table(
        cellText=frame.astype(str).to_numpy(),
        colLabels=list(frame.columns),
        cellLoc="center",
        bbox=[0, 0, 1, 1],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    table.auto_set_column_width(list(range(len(frame.columns))))
    for (row, _), cell in table.get_celld().items():
        cell.set_linewidth(0.3)
        if row == 0:
            cell.set_text_props(fontweight="bold")
    return fig
