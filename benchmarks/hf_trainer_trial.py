"""One trial with the Hugging Face `Trainer`, configured as closely as it allows to a seedstudy
trial (same model and head, same prepared data, lr schedule, batch sizes, evaluation steps and
metrics; dynamic padding with `DataCollatorWithPadding`). Run as a fresh process by
benchmarks/trial_speed.py; prints one JSON line with its timings."""

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="prepared data folder (seedstudy prepare)")
    parser.add_argument("--task", default="mrpc")
    parser.add_argument("--init-seed", type=int, default=1)
    parser.add_argument("--order-seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--eval-batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--evals-per-epoch", type=int, default=10)
    parser.add_argument(
        "--precision",
        choices=["fp32", "bf16"],
        default="fp32",
        help="bf16: the Trainer's bf16 mixed precision (autocast), as seedstudy's",
    )
    parser.add_argument(
        "--lora",
        type=int,
        default=0,
        help="LoRA rank: wrap the model with peft (task_type SEQ_CLS, alpha 2r, dropout 0.05) as "
        "a peft user does; 0: full fine-tuning",
    )
    args = parser.parse_args()

    import datasets
    import torch
    from transformers import DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments

    from seedstudy import metrics
    from seedstudy.data.prepare import load_tokenizer
    from seedstudy.tasks import get_task
    from seedstudy.training import eval_schedule as schedule
    from seedstudy.training import seeds
    from seedstudy.training.models import load_for_trial

    task = get_task(args.task)
    splits = datasets.load_from_disk(args.data)
    train = (
        splits["train"]
        .rename_column("label", "labels")
        .select_columns(["input_ids", "token_type_ids", "labels"])
    )
    dev = (
        splits["dev"]
        .rename_column("label", "labels")
        .select_columns(["input_ids", "token_type_ids", "labels"])
    )
    model_name = json.load(open(f"{args.data}/meta.json"))["model"]
    model, not_provided = load_for_trial(model_name, task.num_labels)
    seeds.set_init(model, not_provided, args.init_seed)
    tokenizer = load_tokenizer(model_name)
    if args.lora:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            task_type="SEQ_CLS", r=args.lora, lora_alpha=2 * args.lora, lora_dropout=0.05
        )
        model = get_peft_model(model, lora)

    per_epoch = schedule.steps_per_epoch(len(train), args.batch_size)
    total = per_epoch * args.epochs
    eval_steps = set(schedule.evaluation_steps(per_epoch, args.epochs, args.evals_per_epoch)) - {0}

    class EvaluateAtSteps(TrainerCallback):
        def on_step_end(self, _args, state, control, **kwargs):
            if state.global_step in eval_steps:
                control.should_evaluate = True
            return control

    def compute_metrics(prediction):
        predicted = np.argmax(prediction.predictions, axis=-1)
        return metrics.compute(task.metrics, prediction.label_ids, predicted)

    out = tempfile.mkdtemp(prefix="hf-trainer-")
    training_args = TrainingArguments(
        output_dir=out,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.eval_batch_size,
        learning_rate=args.lr,
        num_train_epochs=args.epochs,
        warmup_steps=int(round(0.1 * total)),
        weight_decay=0.01,
        max_grad_norm=1.0,
        lr_scheduler_type="linear",
        seed=args.order_seed,
        data_seed=args.order_seed,
        eval_strategy="steps",
        eval_steps=total + 1,  # evaluations come from the callback, at seedstudy's steps
        save_strategy="no",
        logging_strategy="no",
        report_to=[],
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
        bf16=args.precision == "bf16",
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train,
        eval_dataset=dev,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
        callbacks=[EvaluateAtSteps()],
    )
    loaded = time.perf_counter()
    curve = [trainer.evaluate()]
    evaluations = []

    class Record(TrainerCallback):
        def on_evaluate(self, _args, state, control, metrics=None, **kwargs):
            evaluations.append(metrics)

    trainer.add_callback(Record())
    started = time.perf_counter()
    trainer.train()
    finished = time.perf_counter()
    eval_seconds = curve[0]["eval_runtime"] + sum(m["eval_runtime"] for m in evaluations)
    print(
        json.dumps(
            {
                "runner": "hf_trainer" + (" + peft" if args.lora else ""),
                "device": str(trainer.args.device),
                "precision": args.precision,
                "optimizer": str(training_args.optim),
                "threads": torch.get_num_threads(),
                "process_s": finished - PROCESS_START,
                "load_s": loaded - PROCESS_START,
                "train_s": (finished - started) - sum(m["eval_runtime"] for m in evaluations),
                "eval_s": eval_seconds,
                "n_evals": 1 + len(evaluations),
                "steps": total,
                "final": {
                    k: v
                    for k, v in evaluations[-1].items()
                    if k.startswith("eval_") and "runtime" not in k and "per_second" not in k
                },
            }
        )
    )


if __name__ == "__main__":
    main()
