"""Variance over three crossed seeds: LoRA trials with an adapter-seed grid (init x order x
adapter seeds).

The random-effects model, every seed and each two-way interaction random:

    y_ijk = mu + a_i + b_j + c_k + (ab)_ij + (ac)_ik + (bc)_jk + e_ijk

i the init seed (the head), j the order seed (data order, dropout by default), k the adapter seed;
e (`residual`) holds the three-way interaction and the noise, which one trial per cell cannot
tell apart.

- `moment_components`: on a complete grid with one trial per cell, the ANOVA (expected mean
  squares) estimators, each truncated at 0:
  s2_init = (MS_i - MS_ij - MS_ik + MS_e) / (J K), s2_order = (MS_j - MS_ij - MS_jk + MS_e) / (I K),
  s2_adapter = (MS_k - MS_ik - MS_jk + MS_e) / (I J), s2_init:order = (MS_ij - MS_e) / K,
  s2_init:adapter = (MS_ik - MS_e) / J, s2_order:adapter = (MS_jk - MS_e) / I, s2_residual = MS_e.
- `reml_components`: REML (statsmodels MixedLM, a variance component per seed and per two-way
  interaction), for any grid (cells missing, failed trials excluded, dropout replicates).
- `adapter_components_table`: every task, score (best, final) and view (all finished trials,
  failed ones excluded): moments where the grid is complete with one trial per cell, else REML.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from .variance_components import SCORES, VIEWS, view_trials

FACTORS = ("init", "order", "adapter")
COMPONENTS = (
    "init",
    "order",
    "adapter",
    "init:order",
    "init:adapter",
    "order:adapter",
    "residual",
)
COLUMNS = {"init": "init_seed", "order": "order_seed", "adapter": "adapter_seed"}
TABLE_COLUMNS = ["task", "score", "view", "method", "n", "component", "variance", "share", "note"]


def has_adapter_axis(trials: pd.DataFrame) -> bool:
    """Whether some task's trials vary the adapter seed at fixed init and order seeds."""
    if "adapter_seed" not in trials or trials["adapter_seed"].isna().all():
        return False
    counts = trials.groupby(["task", "init_seed", "order_seed"])["adapter_seed"].nunique()
    return bool((counts > 1).any())


def adapter_cell_means(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials with each (recipe, task, init, order, dropout) cell of an adapter-seed grid as
    one row: its mean best and final scores over the adapter seeds, failed when every adapter
    seed failed (the other columns from its first trial). What the recipe comparison pairs: a
    LoRA recipe with adapter seeds against one without, cell by cell."""
    if not has_adapter_axis(trials):
        return trials
    keys = [k for k in ("recipe", "task", "init_seed", "order_seed", "dropout_seed") if k in trials]
    grouped = trials.groupby(keys, dropna=False, sort=False)
    first = grouped.head(1).set_index(keys)
    means = grouped[["best", "final"]].mean()
    first[["best", "final"]] = means.reindex(first.index)
    first["failed"] = grouped["failed"].all().reindex(first.index)
    return first.reset_index().drop(columns=["adapter_seed"])


def grid_array(frame: pd.DataFrame, score: str) -> np.ndarray | None:
    """The scores as an I x J x K array (init, order, adapter), or None unless every cell holds
    exactly one trial."""
    levels = [np.sort(frame[COLUMNS[f]].unique()) for f in FACTORS]
    shape = tuple(len(level) for level in levels)
    if len(frame) != np.prod(shape) or frame.duplicated(list(COLUMNS.values())).any():
        return None
    index = [np.searchsorted(level, frame[COLUMNS[f]]) for f, level in zip(FACTORS, levels)]
    y = np.empty(shape)
    y[tuple(index)] = frame[score].to_numpy(dtype=float)
    return y


def mean_squares(y: np.ndarray) -> dict[str, float]:
    """The mean squares of the three-way crossed ANOVA with one observation per cell."""
    n_i, n_j, n_k = y.shape
    m = y.mean()
    a, b, c = y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=(0, 1))
    ab, ac, bc = y.mean(axis=2), y.mean(axis=1), y.mean(axis=0)
    ab_effect = ab - a[:, None] - b[None, :] + m
    ac_effect = ac - a[:, None] - c[None, :] + m
    bc_effect = bc - b[:, None] - c[None, :] + m
    residual = (
        y
        - ab[:, :, None]
        - ac[:, None, :]
        - bc[None, :, :]
        + a[:, None, None]
        + b[None, :, None]
        + c[None, None, :]
        - m
    )
    return {
        "init": n_j * n_k * np.sum((a - m) ** 2) / (n_i - 1),
        "order": n_i * n_k * np.sum((b - m) ** 2) / (n_j - 1),
        "adapter": n_i * n_j * np.sum((c - m) ** 2) / (n_k - 1),
        "init:order": n_k * np.sum(ab_effect**2) / ((n_i - 1) * (n_j - 1)),
        "init:adapter": n_j * np.sum(ac_effect**2) / ((n_i - 1) * (n_k - 1)),
        "order:adapter": n_i * np.sum(bc_effect**2) / ((n_j - 1) * (n_k - 1)),
        "residual": np.sum(residual**2) / ((n_i - 1) * (n_j - 1) * (n_k - 1)),
    }


def moment_components(y: np.ndarray) -> dict[str, float]:
    """The ANOVA estimators of the components (module docstring), each truncated at 0."""
    n_i, n_j, n_k = y.shape
    ms = mean_squares(y)
    e = ms["residual"]
    raw = {
        "init": (ms["init"] - ms["init:order"] - ms["init:adapter"] + e) / (n_j * n_k),
        "order": (ms["order"] - ms["init:order"] - ms["order:adapter"] + e) / (n_i * n_k),
        "adapter": (ms["adapter"] - ms["init:adapter"] - ms["order:adapter"] + e) / (n_i * n_j),
        "init:order": (ms["init:order"] - e) / n_k,
        "init:adapter": (ms["init:adapter"] - e) / n_j,
        "order:adapter": (ms["order:adapter"] - e) / n_i,
        "residual": e,
    }
    return {name: max(float(value), 0.0) for name, value in raw.items()}


def reml_components(frame: pd.DataFrame, score: str) -> tuple[dict[str, float], str]:
    """REML components from statsmodels MixedLM (crossed variance components), fitted to the
    standardised scores and scaled back; and a note ('' or what went wrong)."""
    y = frame[score].to_numpy(dtype=float)
    scale = float(np.std(y))
    if scale == 0:
        return dict.fromkeys(COMPONENTS, 0.0), "all scores equal"
    data = pd.DataFrame(
        {
            "y": (y - y.mean()) / scale,
            "group": 0,
            **{f: frame[COLUMNS[f]].astype(str).to_numpy() for f in FACTORS},
        }
    )
    formulas = {f: f"0 + C({f})" for f in FACTORS}
    for first, second in (("init", "order"), ("init", "adapter"), ("order", "adapter")):
        name = f"{first}_{second}"
        data[name] = data[first] + "|" + data[second]
        formulas[f"{first}:{second}"] = f"0 + C({name})"
    model = smf.mixedlm("y ~ 1", data, groups="group", re_formula="0", vc_formula=formulas)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(reml=True)
        except (np.linalg.LinAlgError, ValueError) as error:
            return dict.fromkeys(COMPONENTS, np.nan), f"REML failed: {error}"
    found = dict(zip(result.model.exog_vc.names, np.asarray(result.vcomp, dtype=float)))
    found["residual"] = float(result.scale)
    note = "" if result.converged else "REML did not converge"
    return {name: found[name] * scale**2 for name in COMPONENTS}, note


def task_components(frame: pd.DataFrame, score: str) -> tuple[str, dict[str, float], str]:
    """(method, components, note) of one task's trials: moments on a complete grid with one
    trial per cell, REML otherwise."""
    y = grid_array(frame, score)
    if y is not None:
        return "moments", moment_components(y), ""
    return "reml", *reml_components(frame, score)


def adapter_components_table(trials: pd.DataFrame, scores=SCORES) -> pd.DataFrame:
    """The components and their shares per task, score and view (tasks without an adapter-seed
    grid, or with fewer than two levels of a seed, are left out)."""
    rows = []
    for task, group in trials.groupby("task", sort=True):
        if not has_adapter_axis(group):
            continue
        for score in scores:
            for view in VIEWS:
                frame = view_trials(group, view).dropna(subset=[score])
                if any(frame[COLUMNS[f]].nunique() < 2 for f in FACTORS):
                    continue
                method, components, note = task_components(frame, score)
                total = sum(components.values())
                for name in COMPONENTS:
                    rows.append(
                        {
                            "task": task,
                            "score": score,
                            "view": view,
                            "method": method,
                            "n": len(frame),
                            "component": name,
                            "variance": components[name],
                            "share": components[name] / total if total > 0 else np.nan,
                            "note": note,
                        }
                    )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
