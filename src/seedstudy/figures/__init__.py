"""Figures: one PDF page each, with a title and a one-line caption saying what was run. Each module
of figures/ draws the analysis module of the same name.

`save()` writes a figure; `merge()` puts every figure into `results/figures/all.pdf`.
"""

from __future__ import annotations

import logging
import os
import textwrap
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..tasks import task_label  # noqa: E402  (every figure module imports it from here)

# what a task's caption says of its LoRA adapters, by their owner
ADAPTER_NOTES = {
    "init": " (LoRA: the init seed includes the adapters)",
    "order": " (LoRA: the order seed includes the adapters)",
    "grid": " (LoRA: init x order x adapter seeds)",
}


def study_caption(study: dict) -> str:
    """One line: model, and per task the grid (with LoRA, who draws the adapters), number of
    trials and data sizes."""
    parts = []
    for task, info in study["trials"].items():
        adapters = f"x{info['adapter_seeds']}" if info.get("adapter_owner") == "grid" else ""
        parts.append(
            f"{task_label(task)} {info['init_seeds']}x{info['order_seeds']}{adapters} seeds, "
            f"{info['n']} trials, {info['train_size']} train / {info['dev_size']} dev"
            f"{ADAPTER_NOTES.get(info.get('adapter_owner'), '')}"
        )
    recipes = study.get("recipes") or []
    if len(recipes) > 1:  # several recipes: each runs the same grid (n counts all of them)
        return f"{study.get('study', 'seedstudy')}: recipes {', '.join(recipes)} on " + "; ".join(
            parts
        )
    return f"{study.get('study', 'seedstudy')}: {study['model']} fine-tuned on " + "; ".join(parts)


def report_caption(rst_path: str | os.PathLike, config: dict) -> tuple[str, str]:
    """The title (first line) and the text of a figure's report caption (workflow/report/*.rst),
    rendered with Jinja as Snakemake's report renders it (`snakemake.config` is the study's
    config): `all.pdf` and `snakemake --report` say the same."""
    from types import SimpleNamespace

    import jinja2

    template = jinja2.Template(Path(rst_path).read_text(encoding="utf-8"))
    text = template.render(snakemake=SimpleNamespace(config=config)).strip()
    title, _, body = text.partition("\n")
    return title.strip(), " ".join(body.split())


def captioned(
    report_dir, figure: str, config: dict, study: dict, extra: str = ""
) -> tuple[str, str]:
    """Title and caption of a figure's page: what was run (`study_caption`), the figure's report
    caption (`<report_dir>/<figure>.rst`), then what this run adds (`extra`)."""
    title, text = report_caption(Path(report_dir) / f"{figure}.rst", config)
    return title, " ".join(part for part in (study_caption(study) + ".", text, extra) if part)


def empty_panel(ax, text: str) -> None:
    """A panel that says why it is empty."""
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=8, transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def drawn_tasks(table, skipped: dict) -> list[str]:
    """The tasks of a figure: those in its table and those it says were skipped."""
    return sorted(set(table["task"]) | set(skipped))


def panels(n: int, width: float = 4.2, height: float = 3.4, **kwargs):
    """A row of n panels (at most 4 per row)."""
    columns = min(n, 4)
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(width * columns, height * rows + 0.9), squeeze=False, **kwargs
    )
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _wrap_once(text) -> None:
    """Give a wrapped text (the caption) matplotlib's own line breaks at a fraction of the cost.

    matplotlib (`Text._get_wrapped_text`) grows every line one word at a time and measures each
    prefix with the renderer, and does so again at every layout query: for a caption of a few
    hundred words that is hundreds of text measurements per query, most of the time of drawing a
    figure. Here each line's longest fitting prefix is found by bisection (the width of a prefix
    grows with its words), with the same rule (a line takes words while they fit, and at least
    one), and the result is kept per renderer and size, so the page is the same.
    """
    found = {}

    def fits(words, count, width) -> bool:
        return text._get_rendered_text_width(" ".join(words[:count])) <= width

    def wrapped() -> str:
        if not text.get_wrap() or text.get_usetex():
            return text.get_text()
        figure = text.get_figure(root=True)
        key = (
            text._renderer,
            figure.dpi,
            tuple(figure.get_size_inches()),
            text.get_text(),
            tuple(text.get_position()),
            text.get_fontsize(),
        )
        if key in found:
            return found[key]
        width = text._get_wrap_line_width()
        lines = []
        for line in text.get_text().split("\n"):
            words = line.split(" ")
            while words:
                low, high = 1, len(words)  # words[:low] is taken; find the most that fit
                while low < high:
                    middle = (low + high + 1) // 2
                    if fits(words, middle, width):
                        low = middle
                    else:
                        high = middle - 1
                lines.append(" ".join(words[:low]))
                words = words[low:]
        found[key] = "\n".join(lines)
        return found[key]

    text._get_wrapped_text = wrapped


def save(fig, path: str | os.PathLike, title: str, caption: str) -> None:
    """Title on top, caption below, one page of PDF. Logs the seconds spent laying the page out
    and drawing it (an analysis's log says how much of its time its figures take)."""
    started = time.perf_counter()
    # a title wider than a narrow figure is wrapped rather than cut off
    fig.suptitle(
        textwrap.fill(title, width=max(40, int(fig.get_figwidth() * 9))),
        fontsize=12,
        fontweight="bold",
    )
    _wrap_once(fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=7, wrap=True))
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    # laid out: no layout pass again when saving (tight_layout leaves a placeholder engine that
    # makes savefig draw the page once more first)
    fig.set_layout_engine(None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="pdf")
    plt.close(fig)
    logging.getLogger(__name__).info(
        "figure %s laid out and drawn in %.2f s", path, time.perf_counter() - started
    )


FAILURE_COLUMNS = ["failed_analysis", "error", "log"]


def failure_notes(outputs, analysis: str, error: str, log: str) -> None:
    """Write a failure note in place of each output of a failed analysis: a page saying which
    analysis failed and why (its figures: all.pdf shows it where its figure would be), a one-row
    table with the columns FAILURE_COLUMNS (its tables: CSV or Parquet), or that row as JSON."""
    import json

    import pandas as pd

    lines = error.strip().splitlines() or ["(no message)"]
    row = {"failed_analysis": analysis, "error": lines[-1], "log": str(log)}
    for output in outputs:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".pdf":
            fig, ax = plt.subplots(figsize=(8.5, 5))
            text = "\n".join(textwrap.fill(line, 110) for line in lines[-12:])
            ax.text(0, 1, text, va="top", ha="left", family="monospace", fontsize=6)
            ax.axis("off")
            save(
                fig,
                path,
                f"Analysis {analysis} failed: {lines[-1]}"[:200],
                f"Its other outputs are failure notes too; the next run of the workflow runs it "
                f"again. Full traceback: {log}.",
            )
        elif path.suffix == ".parquet":
            pd.DataFrame([row], columns=FAILURE_COLUMNS).to_parquet(path, index=False)
        elif path.suffix == ".json":
            path.write_text(json.dumps(row, indent=1) + "\n")
        else:
            pd.DataFrame([row], columns=FAILURE_COLUMNS).to_csv(path, index=False)


def merge(pdf_paths, out_path: str | os.PathLike) -> None:
    """Concatenate figure PDFs (one page each) into one document, in the given order."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for path in pdf_paths:
        writer.append(str(path))
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as handle:
        writer.write(handle)
