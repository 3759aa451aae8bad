"""Per-trial time of encoder families, padding-free (packed) against padded batches.

    GLUE_DIR=../shared/data/glue python benchmarks/model_families.py [--families bert roberta]
        [--hidden 64 --layers 2 --heads 2 --intermediate 128] [--task mrpc --train 256 --dev 128]

Builds a random-weight checkpoint of each family (tests/support/tiny_checkpoints.py, with the sizes
given; the default is the tests' tiny 2-layer, 64-hidden shape, `--hidden 384 --layers 6 --heads 12
--intermediate 1536` is all-MiniLM-L6-v2's), tokenizes the task once per family with the MiniLM
tokenizer, then runs the same trial (1 epoch, batch 16, two evaluations, 1 thread) with
`packing: true` and `packing: false`, arms alternating, and prints the median seconds of the
trial's training and evaluation steps (`seconds` of the run record) and the trial's wall time.
For a family without a padding-free forward both arms pad (the `batching` column says so).
Nothing else should run meanwhile: timings on shared cores vary.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the tiny checkpoint builder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["bert", "roberta"])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--intermediate", type=int, default=128)
    parser.add_argument("--task", default="mrpc")
    parser.add_argument("--train", type=int, default=256)
    parser.add_argument("--dev", type=int, default=128)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import torch
    from support.prepared import prepare_glue
    from support.tiny_checkpoints import build

    from seedstudy import preflight, study
    from seedstudy.data.glue import resolve_glue_dir
    from seedstudy.training import trainer

    torch.set_num_threads(1)
    shape = {
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "intermediate_size": args.intermediate,
        "max_position_embeddings": args.max_length + 2,
    }
    work = Path(tempfile.mkdtemp(prefix="model_families_"))
    folders = build(work / "checkpoints", args.families, shape)
    print(
        f"shape {shape}; {args.task} {args.train} train / {args.dev} dev, max_length "
        f"{args.max_length}; torch {torch.__version__}, 1 thread"
    )
    print(
        f"{'family':<12} {'packing':<8} {'batching':<8} {'train s':>8} {'eval s':>7} {'wall s':>7}"
    )
    for family, folder in folders.items():
        data = work / "data" / family
        prepare_glue(
            args.task,
            str(folder),
            data,
            glue_dir=resolve_glue_dir(None),
            train_size=args.train,
            dev_size=args.dev,
            max_length=args.max_length,
        )
        arms = {True: [], False: []}
        for _ in range(args.runs):
            for packing in arms:
                cfg = preflight.validate(
                    {
                        "model": str(folder),
                        "training": {
                            "epochs": 1,
                            "batch_size": 16,
                            "evals_per_epoch": 1,
                            "max_length": args.max_length,
                            "packing": packing,
                        },
                        "tasks": {
                            args.task: {
                                "init_seeds": [1],
                                "order_seeds": [1],
                                "train_size": args.train,
                                "dev_size": args.dev,
                            }
                        },
                    },
                    check_files=False,
                )
                trial = study.trial_config(cfg, args.task, 1, 1)
                result = trainer.run_trial(
                    trial, data, runtime=trainer.Runtime(device="cpu", threads=1)
                )
                arms[packing].append((result["batching"], result["_run"]))
        for packing, runs in arms.items():
            median = {
                key: statistics.median(run["seconds"][key] for _, run in runs)
                for key in ("train", "eval")
            }
            wall = statistics.median(run["wall_s"] for _, run in runs)
            print(
                f"{family:<12} {str(packing).lower():<8} {runs[0][0]:<8} {median['train']:>8.2f} "
                f"{median['eval']:>7.2f} {wall:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
