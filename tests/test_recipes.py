"""Recipes: validation, the config each recipe runs, paths and hashes (seedstudy.study)."""

import copy

import pytest

from seedstudy import preflight, study

BASE = {
    "tasks": {
        "sst2": {"init_seeds": "1..3", "order_seeds": [4, 5]},
        "rte": {"init_seeds": [1], "order_seeds": [1], "training": {"lr": 3e-5}},
    },
    "training": {"optimizer": "bertadam"},
}
RECIPES = {
    "paper": {"training": {"optimizer": "bertadam"}},
    "debiased": {"training": {"optimizer": "adamw"}},
}


def valid(recipes=None, **extra):
    cfg = copy.deepcopy({**BASE, **extra})
    if recipes is not None:
        cfg["recipes"] = copy.deepcopy(recipes)
    return preflight.validate(cfg, check_files=False)


def error(recipes, **extra):
    with pytest.raises(study.ConfigError) as caught:
        valid(recipes, **extra)
    return str(caught.value)


def test_without_recipes_the_study_is_its_one_implicit_recipe():
    cfg = valid()
    assert study.recipe_names(cfg) == ["default"] and not study.has_recipes(cfg)
    assert study.recipe_dir(cfg, "default") == ""
    assert study.recipe_config(cfg, "default") == cfg
    assert study.recipe_trials(cfg) == [("default", *t) for t in study.trials(cfg)]
    with pytest.raises(ValueError, match="no recipes"):
        study.recipe_dir(cfg, "paper")


def test_default_trial_hash_is_unchanged(glue):
    # the pinned hash of tests/test_config.py (local data): a study without recipes reruns nothing
    cfg = preflight.validate(
        {"tasks": {"sst2": {"init_seeds": "1..3", "order_seeds": [4, 5]}}}, check_files=False
    )
    variant = study.recipe_config(cfg, study.DEFAULT_RECIPE)
    assert study.config_hash(study.trial_config(variant, "sst2", 2, 5)) == "294066082339e498"


def test_a_recipe_applies_over_the_study_and_its_task_overrides():
    cfg = valid(
        {
            "paper": {},
            "fast": {"training": {"lr": "1e-4"}, "tasks": {"rte": {"training": {"epochs": 5}}}},
        }
    )
    assert study.recipe_names(cfg) == ["paper", "fast"]
    assert study.recipe_dir(cfg, "fast") == "fast/"
    fast = study.recipe_config(cfg, "fast")
    assert "recipes" not in fast
    assert study.task_training(fast, "sst2")["lr"] == 1e-4  # "1e-4" typed by the schema
    rte = study.task_training(fast, "rte")
    assert rte["lr"] == 1e-4 and rte["epochs"] == 5  # over the task's own lr 3e-5
    assert study.task_training(fast, "sst2")["epochs"] == 3
    paper = study.recipe_config(cfg, "paper")
    assert study.task_training(paper, "rte")["lr"] == 3e-5
    # an empty recipe runs the study as it is: the same trials as without recipes
    plain = valid()
    assert study.trial_config(paper, "rte", 1, 1) == study.trial_config(plain, "rte", 1, 1)
    assert len(study.recipe_trials(cfg)) == 2 * len(study.trials(cfg))


def test_a_recipe_may_change_the_model():
    cfg = valid({"paper": {}, "large": {"model": "bert-large-uncased"}})
    assert study.recipe_config(cfg, "large")["model"] == "bert-large-uncased"
    assert (
        study.trial_config(study.recipe_config(cfg, "large"), "sst2", 1, 4)["data"]["model"]
        == "bert-large-uncased"
    )


def test_every_recipe_runs_the_same_grid_and_differs_only_in_its_overrides():
    cfg = valid(RECIPES)
    paper, debiased = (study.recipe_config(cfg, name) for name in RECIPES)
    for task in cfg["tasks"]:
        assert (
            study.task_grid(paper, task)
            == study.task_grid(debiased, task)
            == study.task_grid(cfg, task)
        )
    a, b = study.trial_config(paper, "sst2", 2, 5), study.trial_config(debiased, "sst2", 2, 5)
    assert a["training"]["optimizer"] == "bertadam" and b["training"]["optimizer"] == "adamw"
    assert {k: v for k, v in a["training"].items() if k != "optimizer"} == {
        k: v for k, v in b["training"].items() if k != "optimizer"
    }
    assert study.config_hash(a) != study.config_hash(b)


def test_an_unknown_key_in_a_recipe_names_the_recipe_and_the_key():
    message = error({"paper": {}, "debiased": {"training": {"optimizr": "adamw"}}})
    assert "recipes.debiased.training" in message and "'optimizr'" in message
    message = error({"paper": {"epochs": 2}})
    assert "recipes.paper" in message and "'epochs'" in message
    message = error({"paper": {}, "b": {"tasks": {"rte": {"training": {"lrr": 1}}}}})
    assert "recipes.b.tasks.rte.training" in message and "'lrr'" in message
    message = error({"paper": {}, "b": {"tasks": {"cola": {"training": {"lr": 1e-5}}}}})
    assert "recipes.b.tasks.cola" in message and "not a task of the study" in message


def test_a_recipe_value_is_checked_by_the_training_schema():
    message = error({"paper": {}, "b": {"training": {"optimizer": "sgd"}}})
    assert "recipes.b.training.optimizer" in message


def test_two_recipes_with_identical_trials_are_an_error():
    # "paper" sets what the study already has: it is the study, and so is the empty "same"
    message = error({"paper": {"training": {"optimizer": "bertadam"}}, "same": {}})
    assert "'paper' and 'same'" in message and "identical trial configs" in message
    # identical on one task only is an error too (that task's trials would run twice)
    message = error({"a": {"tasks": {"rte": {"training": {"lr": 1e-5}}}}, "b": {}})
    assert "'a' and 'b'" in message and "task sst2" in message


@pytest.mark.parametrize("name", ["a b", "../up", ".hidden", "x/y", "-dash", "a" * 65, ""])
def test_a_recipe_name_must_be_a_folder_name(name):
    message = error({name: {"training": {"lr": 1e-5}}, "ok": {}})
    assert "recipes" in message and "not a folder name" in message and repr(name) in message


def test_recipes_must_not_be_empty_nor_change_the_seed_grid_or_shared_data():
    assert "should be non-empty" in error({})
    message = error({"a": {"training": {"dropout_seed": "1..2"}}, "b": {}})
    assert "recipes.a" in message and "seed grid" in message
    message = error({"a": {"training": {"max_length": 64}}, "b": {}})
    assert "prepared data" in message and "max_length" in message
    # with a model of its own, a recipe may tokenize differently
    valid({"a": {"training": {"max_length": 64}, "model": "bert-base-uncased"}, "b": {}})


def test_a_recipe_is_checked_as_a_study():
    tasks = copy.deepcopy(BASE["tasks"])
    tasks["sst2"]["early_stopping"] = {"start": 4, "fraction": 0.5, "keep": 2}
    message = error({"a": {"training": {"evals_per_epoch": 1, "epochs": 1}}, "b": {}}, tasks=tasks)
    assert message.startswith("recipe 'a': ") and "early_stopping" in message


def test_the_file_of_a_config_names_it(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(
        "tasks: {sst2: {init_seeds: [1], order_seeds: [1]}}\n"
        "recipes: {a: {training: {lr: 1.0e-5}}, 'b c': {}}\n"
    )
    with pytest.raises(study.ConfigError, match=str(path)):
        preflight.load(path, check_files=False)


# ------------------------------------------------------------------ analyses per recipe


def two_recipe_trials():
    import pandas as pd

    rows = [
        {
            "recipe": recipe,
            "task": task,
            "init_seed": i,
            "order_seed": o,
            "best": shift + 0.1 * i + 0.01 * o,
        }
        for recipe, shift in (("paper", 0.5), ("debiased", 0.7))
        for task in ("rte", "sst2")
        for i in (1, 2)
        for o in (1, 2)
    ]
    return pd.DataFrame(rows)


def mean_best(trials, offset=0.0):
    return (
        trials.groupby("task", as_index=False)["best"]
        .mean()
        .assign(best=lambda t: t["best"] + offset)
    )


def test_per_recipe_runs_the_analysis_on_each_recipes_rows():
    trials = two_recipe_trials()
    table = recipes_module().per_recipe(mean_best, trials, offset=1.0)
    assert list(table.columns) == ["recipe", "task", "best"]
    assert table.to_dict("records") == [
        {"recipe": "paper", "task": "rte", "best": pytest.approx(1.665)},
        {"recipe": "paper", "task": "sst2", "best": pytest.approx(1.665)},
        {"recipe": "debiased", "task": "rte", "best": pytest.approx(1.865)},
        {"recipe": "debiased", "task": "sst2", "best": pytest.approx(1.865)},
    ]


def test_with_one_recipe_the_analysis_is_unchanged():
    trials = two_recipe_trials()
    one = trials[trials["recipe"] == "paper"]
    recipes = recipes_module()
    assert recipes.per_recipe(mean_best, one).equals(mean_best(one))
    assert recipes.facets(one) is one
    assert recipes.per_recipe(mean_best, one.drop(columns="recipe")).equals(mean_best(one))


def test_per_recipe_combines_tuples_skipped_tasks_and_notes():
    trials = two_recipe_trials()

    def analysis(part, other):
        assert set(other["recipe"]) == set(part["recipe"])  # every table is split alike
        return mean_best(part), {"rte": "no data"}, f"{len(part)} trials"

    table, skipped, note = recipes_module().per_recipe(analysis, trials, trials.copy())
    assert len(table) == 4 and list(table["recipe"]) == ["paper", "paper", "debiased", "debiased"]
    assert skipped == {"RTE · paper": "no data", "RTE · debiased": "no data"}
    assert note == "paper: 8 trials; debiased: 8 trials"


def test_facets_make_a_panel_per_task_and_recipe():
    faceted = recipes_module().facets(two_recipe_trials())
    assert sorted(faceted["task"].unique()) == [
        "RTE · debiased",
        "RTE · paper",
        "SST-2 · debiased",
        "SST-2 · paper",
    ]


def recipes_module():
    from seedstudy.analysis import recipes

    return recipes


def test_the_command_line_names_the_recipe(glue, capsys):
    from conftest import REPO

    from seedstudy.cli import main

    config = str(REPO / "tests" / "config" / "tiny_recipes.yaml")
    with pytest.raises(SystemExit, match="--recipe must be one of paper, debiased"):
        main(
            ["train", "--config", config, "--task", "sst2", "--init-seed", "1", "--order-seed", "1"]
        )
    assert main(["check", "--config", config]) == 0
    out = capsys.readouterr().out
    assert (
        "recipes paper, debiased; 8 trials" in out
        and "  paper/sst2: 4 trials" in out
        and "  debiased/sst2: 4 trials" in out
    )


def test_a_recipes_model_is_checked_like_the_studys(glue, tmp_path):
    config = {
        "tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1]}},
        "data": {"source": "local"},
        "recipes": {"small": {}, "missing": {"model": str(tmp_path / "no-such-model")}},
    }
    with pytest.raises(
        study.ConfigError, match=r"^recipe 'missing': invalid config at `model`: .*no-such-model"
    ):
        preflight.validate(config)
