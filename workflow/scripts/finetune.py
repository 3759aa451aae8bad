"""finetune / finetune_partial: run (or resume) one trial
(see seedstudy.training.trainer.run_trial)."""

import sys
from pathlib import Path

from seedstudy.logs import log_to
from seedstudy.training import trainer

log_to(snakemake.log[0])
try:
    trainer.run_trial(
        snakemake.params.trial,
        snakemake.input.data,
        out_path=snakemake.output.trial,
        run_path=snakemake.output.run,
        runtime=trainer.Runtime.from_config(
            snakemake.config["runtime"],
            threads=snakemake.threads,
            checkpoint_path=snakemake.params.checkpoint,
            tensorboard_dir=(
                f"results/tensorboard/{snakemake.wildcards.recipe_dir}{snakemake.wildcards.task}/"
                f"{Path(snakemake.output.trial).stem}"
            ),
        ),
        stop_at_fraction=snakemake.params.get("fraction"),
    )
except trainer.Preempted as stop:
    sys.exit(stop.code)
