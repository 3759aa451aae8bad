"""The SLURM profiles without a cluster: the options they set and what each job of the paper grid
would ask SLURM for (`snakemake --profile slurm -n`). The real submissions: test_slurm.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml
from support.snakemake_runs import REPO

MAIN = yaml.safe_load((REPO / "slurm" / "config.yaml").read_text())
OVERLAY = yaml.safe_load((REPO / "tests" / "slurm" / "profile" / "config.yaml").read_text())


def parsed_args(*argv: str) -> dict:
    """Snakemake's command-line settings for `snakemake ARGV` in the checkout, profiles applied.
    A subprocess: profiles/default looks at the real command line (sys.argv)."""
    code = (
        "import json, sys\n"
        "from snakemake.cli import parse_args\n"
        "_, args = parse_args(sys.argv[1:])\n"
        "print(json.dumps({k: v for k, v in vars(args).items() "
        "if isinstance(v, (str, int, float, bool, list, dict, type(None)))}, default=str))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_workflow_profile_leaves_the_cluster_settings_alone():
    args = parsed_args("--profile", "slurm", "-j", "200")
    assert args["executor"] == "slurm" and args["jobs"] == 200
    # profiles/default's `cores: all` would cap every job's threads at this machine's cores
    assert args["cores"] == MAIN["cores"]
    assert args["scheduler"] == "greedy" and args["rerun_incomplete"] and args["keep_going"]
    assert [(REPO / path).resolve() for path in args["configfile"]] == [
        REPO / "config" / "paper.yaml"
    ]
    local = parsed_args("results/figures/all.pdf")
    assert local["executor"] is None and isinstance(local["cores"], int) and local["cores"] >= 1


def test_packed_and_array_options_stack_on_the_profile():
    packed = parsed_args("--profile", "slurm", "--profile", "slurm/packed")
    assert packed["executor"] == "slurm"
    assert packed["groups"] == {"finetune": "trials", "finetune_partial": "partials"}
    assert packed["group_components"] == {"trials": 8, "partials": 8}
    assert packed["set_resource_scopes"] == {"gpu": "local"}
    array = parsed_args("--profile", "slurm", "--profile", "slurm/array")
    assert array["slurm_array_jobs"] == "finetune" and array["executor"] == "slurm"


def test_shared_gpu_asks_for_a_shard_instead_of_a_gpu():
    shared = yaml.safe_load((REPO / "slurm" / "shared-gpu" / "config.yaml").read_text())
    overlay = yaml.safe_load((REPO / "tests" / "slurm" / "shared-gpu" / "config.yaml").read_text())
    assert set(shared) == {"set-resources"} and set(shared["set-resources"]) == set(
        MAIN["set-resources"]
    )
    for rule, resources in shared["set-resources"].items():
        assert (
            resources["gres"] == "shard:1"
            and "gpu" not in resources
            and "cpus_per_gpu" not in resources
        )
        assert resources["cpus_per_task"] == "threads"
        # the rest as in the main profile; the test overlay names the same resources
        assert {k: v for k, v in resources.items() if k not in {"gres", "cpus_per_task"}} == {
            k: v for k, v in MAIN["set-resources"][rule].items() if k not in {"gpu", "cpus_per_gpu"}
        }
        assert (
            set(overlay["set-resources"][rule]) == set(resources)
            and overlay["set-resources"][rule]["gres"] == "shard:1"
        )
    args = parsed_args("--profile", "slurm", "--profile", "slurm/shared-gpu")
    assert (
        args["executor"] == "slurm"
        and args["configfile"] == parsed_args("--profile", "slurm")["configfile"]
    )


def test_test_cluster_overlay_asks_for_the_same_kinds_of_resources():
    # a later profile replaces whole top-level keys: the overlay restates the resource blocks
    assert set(OVERLAY["set-resources"]) == set(MAIN["set-resources"])
    for rule, resources in MAIN["set-resources"].items():
        assert set(OVERLAY["set-resources"][rule]) == set(resources), rule
    assert set(OVERLAY["default-resources"]) == set(MAIN["default-resources"])


def test_paper_grid_asks_for_one_gpu_per_trial(tmp_path, glue):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
            "--profile",
            str(REPO / "slurm"),
            "-n",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    blocks = re.split(r"\n(?=\[[^\n]*\]\n(?:local)?rule \w+:)", text)
    trials = [b for b in blocks if re.search(r"^rule finetune:", b, re.M)]
    others = [b for b in blocks if re.search(r"^(local)?rule \w+:", b, re.M) and b not in trials]
    assert len(trials) == 2100
    for block in trials:
        resources = dict(
            re.findall(r"(\w+)=([^,\n]+)", re.search(r"resources: (.*)", block).group(1))
        )
        assert re.search(r"threads: 4\n", block), block
        assert resources["gpu"] == "1" and resources["cpus_per_gpu"] == "4", block
        assert resources["mem_mb"] == "16000" and resources["runtime"] == "120", block
        assert resources["slurm_extra"] == "--signal=TERM@600", block
    assert others and not any("gpu=" in block for block in others)
