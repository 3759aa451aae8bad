"""benchmarks/gpu.sh without a GPU: the "no CUDA" exit, the dry-run plan, and the whole measuring
path on the CPU at toy sizes (a 2-layer BERT, 48 examples), so the GPU run has no surprises left
but the numbers."""

import importlib.util
import os
import subprocess
import sys

import pytest
import torch
from support.snakemake_runs import REPO

SCRIPT = REPO / "benchmarks" / "gpu.sh"


def gpu_sh(*args, timeout=60):
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHON": sys.executable},
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available: the script would measure")
def test_without_cuda_it_says_so_and_exits_cleanly():
    result = gpu_sh()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no CUDA: ") and "nothing measured" in result.stdout
    assert "trials/GPU-hour" not in result.stdout


def test_dry_run_prints_the_plan():
    result = gpu_sh("--dry-run", "--concurrency", "1,2,4,8")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "nothing measured" in text
    for step in (
        "1. CUDA tests: pytest -m cuda tests/test_cuda.py",
        "BERT-base-shaped model",
        "12 layers x 768",
        "seedstudy fp32, HF Trainer fp32, seedstudy bf16, HF Trainer bf16",
        "k = 1, 2, 4, 8 concurrent",
        "<= 0.5x",
        ">= 3.0x",
    ):
        assert step in text, (step, text)


def test_bad_option_is_refused_before_anything_runs():
    result = gpu_sh("--concurrency", "one,two")
    assert result.returncode == 2 and "--concurrency" in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("accelerate") is None, reason="the HF Trainer arm needs accelerate"
)
def test_the_whole_benchmark_runs_on_the_cpu_at_toy_sizes(glue):
    result = gpu_sh(
        "--device",
        "cpu",
        "--small-model",
        "--train-size",
        "48",
        "--dev-size",
        "32",
        "--epochs",
        "1",
        "--concurrency",
        "1,2",
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = result.stdout[result.stdout.index("\n---") :]
    print(table)  # pytest -rP shows it
    rows = dict(
        line.split("   ", 1)
        for line in table.splitlines()
        if "   " in line and not line.startswith("-")
    )
    rows = {name.strip(): value.strip() for name, value in rows.items()}
    assert rows["device"].startswith("CPU")
    # the CUDA tests ran (and skipped here, without CUDA)
    cuda_tests = {name: value for name, value in rows.items() if name.startswith("cuda test ")}
    assert "cuda test test_resume_is_exact_under_deterministic_algorithms[3]" in cuda_tests
    if not torch.cuda.is_available():
        assert all(value.startswith("skipped") for value in cuda_tests.values()), cuda_tests
    for precision in ("fp32", "bf16"):
        assert "x (seedstudy train" in rows[f"trial {precision}: seedstudy / HF Trainer wall s"]
        assert "accuracy " in rows[f"trial {precision}: final dev scores, seedstudy / Trainer"]
    assert (
        rows["determinism recorded (trial result)"] == "cpu: none recorded"
    )  # CPU: nothing to record
    assert "= 1.00x k = 1" in rows["k = 1 concurrent trials (fp32, 1 epoch(s))"]
    assert "trials/GPU-hour" in rows["k = 2 concurrent trials (fp32, 1 epoch(s))"]
    assert rows["target: >= 3.0x trials/GPU-hour at the best k"].startswith("k = ")
    assert rows["target: seedstudy <= 0.5x Trainer (fp32)"].endswith(("met", "NOT met"))
