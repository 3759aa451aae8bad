"""Packaging facts that live in two files must agree."""

import re
import tomllib

import yaml
from support.snakemake_runs import REPO


def test_conda_environment_has_the_version_bounds_of_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "envs" / "seedstudy.yaml").read_text())
    pip = next(
        item["pip"] for item in env["dependencies"] if isinstance(item, dict) and "pip" in item
    )
    assert sorted(pip) == sorted(project["dependencies"])
    python = next(
        item for item in env["dependencies"] if isinstance(item, str) and item.startswith("python=")
    )
    assert project["requires-python"] == ">=" + python.split("=", 1)[1]


def test_min_version_matches_the_snakemake_requirement():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lower = next(
        re.match(r"snakemake>=([\d.]+)", dep).group(1)
        for dep in project["dependencies"]
        if dep.startswith("snakemake>=")
    )
    assert f'min_version("{lower}")' in (REPO / "Snakefile").read_text()


def test_license_file_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"]["text"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
