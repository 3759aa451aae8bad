"""One trial: the trainer (`trainer.run_trial`) and what it is built from: models, the
padding-free forward (`packed`), the seeds, optimizers, the learning-rate schedule
(`lr_schedule`), the evaluation schedule (`eval_schedule`), checkpoints and fault hooks.
Nothing here imports `seedstudy.analysis` or `seedstudy.figures`."""
