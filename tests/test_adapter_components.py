"""Variance over init x order x adapter seeds: hand-computed cases, statsmodels' ANOVA and REML
as independent implementations, the table."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from seedstudy.analysis import adapter_components as ac


def frame_of(y: np.ndarray, task="rte") -> pd.DataFrame:
    i, j, k = np.indices(y.shape)
    return pd.DataFrame(
        {
            "task": task,
            "init_seed": i.ravel() + 1,
            "order_seed": j.ravel() + 1,
            "adapter_seed": k.ravel() + 1,
            "dropout_seed": np.nan,
            "status": "completed",
            "failed": False,
            "best": y.ravel(),
            "final": y.ravel(),
        }
    )


def test_hand_computed_two_by_two_by_two():
    # y = init + 2 adapter: the init means differ by 1, the adapter means by 2, nothing else
    y = np.fromfunction(lambda i, j, k: i + 2 * k, (2, 2, 2))
    components = ac.moment_components(y)
    # MS_init = J K sum((a - m)^2) = 4 * 0.5 = 2 -> s2 = 2 / (J K) = 0.5; MS_adapter = 4 * 2 = 8
    assert components["init"] == pytest.approx(0.5)
    assert components["adapter"] == pytest.approx(2.0)
    assert all(
        components[c] == pytest.approx(0.0) for c in ac.COMPONENTS if c not in ("init", "adapter")
    )


def test_mean_squares_equal_statsmodels_anova():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(4, 3, 3))
    frame = frame_of(y)
    fit = smf.ols(
        "best ~ C(init_seed) + C(order_seed) + C(adapter_seed) + C(init_seed):C(order_seed)"
        " + C(init_seed):C(adapter_seed) + C(order_seed):C(adapter_seed)",
        frame,
    ).fit()
    table = anova_lm(fit, typ=1)
    ms = table["sum_sq"] / table["df"]
    ours = ac.mean_squares(y)
    names = {
        "C(init_seed)": "init",
        "C(order_seed)": "order",
        "C(adapter_seed)": "adapter",
        "C(init_seed):C(order_seed)": "init:order",
        "C(init_seed):C(adapter_seed)": "init:adapter",
        "C(order_seed):C(adapter_seed)": "order:adapter",
        "Residual": "residual",
    }
    for source, name in names.items():
        assert ours[name] == pytest.approx(ms[source], rel=1e-9)


@pytest.mark.slow
def test_moments_agree_with_reml_on_a_balanced_grid():
    rng = np.random.default_rng(7)
    shape = (8, 8, 6)
    sd = {"init": 1.0, "order": 0.7, "adapter": 0.8, "io": 0.5, "ia": 0.4, "oa": 0.3, "e": 0.6}
    a, b, c = (rng.normal(0, sd[f], n) for f, n in zip(("init", "order", "adapter"), shape))
    y = (
        a[:, None, None]
        + b[None, :, None]
        + c[None, None, :]
        + rng.normal(0, sd["io"], shape[:2])[:, :, None]
        + rng.normal(0, sd["ia"], (shape[0], shape[2]))[:, None, :]
        + rng.normal(0, sd["oa"], shape[1:])[None, :, :]
        + rng.normal(0, sd["e"], shape)
    )
    moments = ac.moment_components(y)
    assert all(value > 0 for value in moments.values())
    reml, note = ac.reml_components(frame_of(y), "best")
    assert note == ""
    for name in ac.COMPONENTS:
        assert reml[name] == pytest.approx(moments[name], rel=2e-3)


def test_table_uses_moments_on_a_full_grid_and_reml_with_a_cell_missing():
    rng = np.random.default_rng(1)
    trials = frame_of(rng.normal(size=(3, 3, 2)))
    table = ac.adapter_components_table(trials, scores=("best",))
    shares = table[table["view"] == "all"]
    assert set(shares["method"]) == {"moments"}
    assert list(shares["component"]) == list(ac.COMPONENTS)
    assert shares["share"].sum() == pytest.approx(1.0)
    missing = ac.adapter_components_table(trials.iloc[1:], scores=("best",))
    assert set(missing["method"]) == {"reml"}
    without = trials.drop(columns="adapter_seed")
    assert ac.adapter_components_table(without).empty and not ac.has_adapter_axis(without)


def test_seed_effect_tables_gain_the_adapter_axis():
    from seedstudy.analysis import seed_effects
    from seedstudy.figures.seed_effects import seed_tables

    y = np.fromfunction(lambda i, j, k: i + 2 * k, (2, 2, 2))
    trials = frame_of(y)
    within = seed_effects.within_seed_sd(trials)
    # within an adapter seed only the init seed varies (sd 0.5); within an init seed, the adapter
    assert within["within_adapter_sd"].iloc[0] == pytest.approx(0.5)
    assert within["within_init_sd"].iloc[0] == pytest.approx(1.0)
    best_worst = seed_effects.best_worst_anova(trials)
    adapter = best_worst[best_worst["factor"] == "adapter"].iloc[0]
    assert (adapter["best_seed"], adapter["worst_seed"]) == (2, 1)
    assert seed_tables(within, best_worst) is not None
    plain = seed_effects.within_seed_sd(trials.drop(columns="adapter_seed"))
    assert "within_adapter_sd" not in plain


def test_fig_3_shows_the_adapter_seed_where_there_is_an_adapter_grid():
    import matplotlib.pyplot as plt

    from seedstudy.figures.seed_effects import seed_densities

    rng = np.random.default_rng(0)
    trials = pd.concat(
        [frame_of(rng.normal(size=(3, 3, 2)), "rte"), frame_of(rng.normal(size=(3, 3, 1)), "mrpc")]
    )
    trials.loc[trials["task"] == "mrpc", "adapter_seed"] = np.nan  # mrpc: no adapter grid
    fig = seed_densities(trials)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    plt.close(fig)
    assert [t.split(": ")[1] for t in titles] == [
        "init seed",
        "order seed",
        "init seed",
        "order seed",
        "adapter seed",
    ]
