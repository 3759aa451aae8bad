"""Command line: `seedstudy train|prepare|schedule|check|status|plan` (also `python -m seedstudy`).

`seedstudy train` runs one trial by hand through the same code path as the workflow's trial rule:

    seedstudy train --config config.yaml --task mrpc --init-seed 3 --order-seed 7
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def _study(args) -> dict:
    from . import preflight

    return preflight.load(args.config)


def _data_dir(cfg: dict, task: str) -> Path:
    from .study import slug

    return Path("results") / "data" / slug(cfg["model"]) / task


def prepare_task(cfg: dict, task: str, out: Path) -> dict:
    from . import study
    from .data.prepare import prepare

    return prepare(
        study.data_spec(cfg, task),
        out,
        glue_dir=cfg["data"]["glue_dir"],
        metric=study.task_metric(cfg, task),
    )


def cmd_prepare(args) -> int:
    cfg = _study(args)
    out = Path(args.out) if args.out else _data_dir(cfg, args.task)
    meta = prepare_task(cfg, args.task, out)
    print(
        f"prepared {args.task}: {meta['sizes']['train']} "
        f"train / {meta['sizes']['dev']} dev examples in {out}"
    )
    return 0


def _recipe(cfg: dict, args) -> tuple[dict, str]:
    """The study as `--recipe` runs it, and the folder prefix of its files ('' without recipes)."""
    from . import study

    recipe = args.recipe or (None if study.has_recipes(cfg) else study.DEFAULT_RECIPE)
    if recipe not in study.recipe_names(cfg):
        raise SystemExit(
            f"{args.config}: --recipe must be one of {', '.join(study.recipe_names(cfg))}"
        )
    return study.recipe_config(cfg, recipe), study.recipe_dir(cfg, recipe)


def cmd_train(args) -> int:
    from . import study
    from .training import trainer

    cfg, folder = _recipe(_study(args), args)
    if args.task not in cfg["tasks"]:
        raise SystemExit(
            f"task {args.task!r} is not in {args.config} (tasks: {', '.join(cfg['tasks'])})"
        )
    seeds = (args.init_seed, args.order_seed, args.dropout_seed, args.adapter_seed)
    try:
        trial = study.trial_config(cfg, args.task, *seeds)
    except ValueError as error:
        raise SystemExit(f"{args.config}: {error}") from None
    stem = study.trial_stem(*seeds)
    data = Path(args.data) if args.data else _data_dir(cfg, args.task)
    if not (data / "meta.json").exists():
        prepare_task(cfg, args.task, data)
    out = (
        Path(args.out)
        if args.out
        else Path("results") / "trials" / f"{folder}{args.task}" / f"{stem}.json"
    )
    runtime_cfg = cfg["runtime"]
    checkpoint = args.checkpoint or str(
        Path(runtime_cfg["checkpoint_dir"]) / f"{folder}{args.task}" / f"{stem}.pt"
    )
    runtime = trainer.Runtime.from_config(
        runtime_cfg,
        device=args.device,
        threads=args.threads,
        checkpoint_path=checkpoint,
        process_start=PROCESS_START,
        save_weights=args.save_weights,
        tensorboard_dir=str(Path("results") / "tensorboard" / f"{folder}{args.task}" / stem),
    )
    try:
        result = trainer.run_trial(
            trial,
            data,
            out_path=out,
            run_path=out.with_suffix(".run.json"),
            runtime=runtime,
            stop_at_fraction=args.stop_at_fraction,
        )
    except trainer.Preempted as stop:
        print(
            f"stopped at step {stop.step}; checkpoint {checkpoint}; "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return trainer.EXIT_PREEMPTED
    metric = result["metric"]
    best = max(e[metric] for e in result["evaluations"])
    print(
        f"{study.trial_name(trial)}: {result['status']}, best {metric} {best:.4f}, "
        f"final {result['evaluations'][-1][metric]:.4f} -> {out}"
    )
    return 0


def train_size(cfg: dict, task: str, data: Path | None = None) -> int:
    """The number of training examples of a task: from prepared data when given, else from the
    GLUE train TSV (data.glue_dir or $GLUE_DIR; the Hub otherwise), after the task's subsample."""
    from . import study
    from .data.prepare import load_prepared, split_size

    if data is not None:
        return len(load_prepared(data).train)
    return split_size(study.data_spec(cfg, task), "train", cfg["data"]["glue_dir"])


def cmd_schedule(args) -> int:
    import csv

    from . import preflight, study
    from .training.lr_schedule import step_table

    cfg = preflight.load(args.config, check_files=False)  # needs the train size only, not the model
    if args.task not in cfg["tasks"]:
        raise SystemExit(
            f"task {args.task!r} is not in {args.config} (tasks: {', '.join(cfg['tasks'])})"
        )
    n_train = train_size(cfg, args.task, Path(args.data) if args.data else None)
    rows = step_table(study.task_training(cfg, args.task), n_train)
    writer = csv.DictWriter(
        sys.stdout, fieldnames=["step", "epoch", "lr", "evaluate"], lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "lr": repr(row["lr"])})
    return 0


def cmd_check(args) -> int:
    from . import study

    cfg = _study(args)
    trials = study.recipe_trials(cfg)

    recipes = f"; recipes {', '.join(cfg['recipes'])}" if study.has_recipes(cfg) else ""
    print(
        f"{args.config}: valid; model {cfg['model']}: "
        f"{describe(cfg['model'])}{recipes}; {len(trials)} trials"
    )
    for recipe in study.recipe_names(cfg):
        variant = study.recipe_config(cfg, recipe)
        if variant["model"] != cfg["model"]:
            print(f"  recipe {recipe}: model {variant['model']}: {describe(variant['model'])}")
        for task in cfg["tasks"]:
            grid = study.task_grid(variant, task)
            print(
                f"  {study.recipe_dir(cfg, recipe)}{task}: {len(grid)} trials, metric "
                f"{study.task_metric(variant, task)}, config hash of the first trial "
                f"{study.config_hash(study.trial_config(variant, task, *grid[0]))}"
            )
    return 0


def describe(name: str) -> str:
    """One line on how trials of the model run: its architecture and the batches `packing: true`
    gives it (built from its config on the meta device, no weights)."""
    from .training.models import model_config
    from .training.packed import supports

    config = model_config(name)
    if config is None:
        return "not in the local Hugging Face cache: checked when prepare_data downloads it"
    import torch
    from transformers import AutoModelForSequenceClassification

    with torch.device("meta"):
        model = AutoModelForSequenceClassification.from_config(config)
    batching = "padding-free" if supports(model) else "padded (no padding-free forward)"
    return f"{config.model_type} ({type(model).__name__}), batches with packing: true {batching}"


def cmd_status(args) -> int:
    from .status import format_status, study_status

    cfg = _study(args)
    rows = study_status(cfg, args.directory, fresh_minutes=args.fresh_minutes)
    print(f"{args.config}: {cfg['study']}")
    print(format_status(rows, args.jobs))
    return 0


SD_OPTIONS = ("init", "order", "residual", "recipe_init", "recipe_order", "recipe_residual")


def _plan_questions(args, plan):
    """The questions of `seedstudy plan`: from given components, or from the pilot's trials."""
    given = {f"sd_{name}": getattr(args, f"sd_{name}") for name in SD_OPTIONS}
    pilot = Path(args.results) / "aggregate" / "trials.parquet"
    if any(value is not None for value in given.values()):
        costs = None
        if pilot.is_file():  # the trial times of the pilot, for the GPU-hours
            costs = plan.trial_costs(plan.load_pilot(args.results), args.results)
        hours, device = plan.cost_of(costs, args.task, args.recipes)
        return plan.given_question(**given, task=args.task or "given", hours=hours, device=device)
    trials = plan.load_pilot(args.results)
    return plan.pilot_questions(
        trials,
        score=args.score,
        task=args.task,
        recipes=args.recipes,
        costs=plan.trial_costs(trials, args.results),
        resamples=args.resamples,
        seed=args.seed,
        results_dir=args.results,
    )


def cmd_plan(args) -> int:
    from .analysis import plan

    try:
        plan.check_targets(args.effect, args.power, args.alpha)
        questions = _plan_questions(args, plan)
        if args.budget_gpu_hours is not None and not all(q.hours_per_cell > 0 for q in questions):
            raise ValueError(
                "--budget-gpu-hours needs the trials' wall times: a --results folder whose "
                "trials have benchmark files (results/benchmarks/finetune/) or run records"
            )
        designs = args.design or plan.crossed.DESIGNS
        table, summary = plan.plan_tables(
            questions, args.effect, designs, args.alpha, args.power, args.budget_gpu_hours
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for question in questions:
        print(
            plan.describe(question, table, summary, args.alpha, args.power, args.budget_gpu_hours)
        )
        print()
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def _plan_parser(commands) -> None:
    plan = commands.add_parser(
        "plan",
        help="how many seeds: power, minimum detectable effect and GPU-hours against n",
    )
    plan.add_argument(
        "--results", default="results", help="a pilot study's results folder (default: results)"
    )
    for name in SD_OPTIONS:
        what = "the paired difference A - B's" if name.startswith("recipe") else "a recipe's own"
        plan.add_argument(
            f"--sd-{name.replace('_', '-')}",
            type=float,
            help=f"{what} {name.split('_')[-1]} standard deviation (metric units)",
        )
    plan.add_argument("--effect", type=float, required=True, help="the difference to detect")
    plan.add_argument("--alpha", type=float, default=0.05, help="test level (default 0.05)")
    plan.add_argument("--power", type=float, default=0.8, help="target power (default 0.8)")
    plan.add_argument("--task", help="one task of the pilot (default: every task)")
    plan.add_argument("--recipes", nargs=2, metavar=("A", "B"), help="default: every pair")
    plan.add_argument("--score", choices=["best", "final"], default="best")
    plan.add_argument(
        "--design",
        action="append",
        choices=["grid", "pairs", "independent"],
        help="grid (n x n per recipe), pairs (n shared seed pairs) or independent (unpaired); "
        "repeat for several (default: all three)",
    )
    plan.add_argument("--budget-gpu-hours", type=float, help="the largest design within H hours")
    plan.add_argument("--out", help="write the plan table to this CSV file")
    plan.add_argument("--resamples", type=int, default=1000, help="bootstrap of the bounds")
    plan.add_argument("--seed", type=int, default=0, help="seed of that bootstrap")
    plan.set_defaults(run=cmd_plan)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="seedstudy", description=__doc__.splitlines()[0])
    commands = main.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="run (or resume) one trial")
    train.add_argument(
        "--config", default="config.yaml", help="study config (default: config.yaml)"
    )
    train.add_argument("--task", required=True)
    train.add_argument("--init-seed", type=int, required=True)
    train.add_argument("--order-seed", type=int, required=True)
    train.add_argument(
        "--dropout-seed", type=int, default=None, help="only with training.dropout_seed as a grid"
    )
    train.add_argument(
        "--adapter-seed",
        type=int,
        default=None,
        help="only with training.method: lora and training.adapter_seed as a grid",
    )
    train.add_argument(
        "--recipe",
        help="the recipe of a study with `recipes` (its trials: results/trials/<recipe>/<task>/)",
    )
    train.add_argument(
        "--data",
        help="prepared data folder (default: results/data/<model>/<task>, prepared if missing)",
    )
    train.add_argument(
        "--out", help="trial output (default: results/trials/[<recipe>/]<task>/<stem>.json)"
    )
    train.add_argument(
        "--checkpoint", help="checkpoint file (default: <runtime.checkpoint_dir>/<task>/<stem>.pt)"
    )
    train.add_argument("--threads", type=int, help="torch threads (default: runtime.threads)")
    train.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default: runtime.device")
    train.add_argument(
        "--save-weights", help="also save the fine-tuned weights (torch state dict) to this file"
    )
    train.add_argument(
        "--stop-at-fraction",
        type=float,
        default=None,
        help="stop after the evaluation nearest this fraction of training, keeping the checkpoint",
    )
    train.set_defaults(run=cmd_train)

    prep = commands.add_parser("prepare", help="read, check, subsample and tokenize one task")
    prep.add_argument("--config", default="config.yaml")
    prep.add_argument("--task", required=True)
    prep.add_argument("--out", help="folder (default: results/data/<model>/<task>)")
    prep.set_defaults(run=cmd_prepare)

    sched = commands.add_parser(
        "schedule", help="print the lr and evaluations of every optimizer step (CSV)"
    )
    sched.add_argument("--config", default="config.yaml")
    sched.add_argument("--task", required=True)
    sched.add_argument("--data", help="prepared data folder (default: count the GLUE train TSV)")
    sched.set_defaults(run=cmd_schedule)

    check = commands.add_parser("check", help="validate a study config and count its trials")
    check.add_argument("--config", default="config.yaml")
    check.set_defaults(run=cmd_check)

    status = commands.add_parser(
        "status", help="per task: trials done, running, failed, diverged, missing; time left"
    )
    status.add_argument("--config", default="config.yaml")
    status.add_argument(
        "--directory", "-d", default=".", help="the folder the workflow runs in (holds results/)"
    )
    status.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=None,
        help="trials at a time for the time-left estimate (default: as many as run now)",
    )
    status.add_argument(
        "--fresh-minutes",
        type=float,
        default=15.0,
        help="a trial with a checkpoint younger than this counts as running",
    )
    status.set_defaults(run=cmd_status)
    _plan_parser(commands)
    return main


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None) -> int:
    from .data import DataError
    from .study import ConfigError

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except (ConfigError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
