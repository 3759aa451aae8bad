"""The shape of the code: what parsing the workflow imports, and where its rules come from."""

import re
import subprocess
import sys

import pytest
from support.snakemake_runs import REPO


@pytest.mark.parametrize(
    "module", ["seedstudy.study", "seedstudy.preflight", "seedstudy.data.prepare"]
)
def test_parsing_a_study_imports_no_torch(module):
    # the Snakefile imports these to validate the config and build the DAG: a torch or
    # transformers import there would cost every snakemake call seconds
    code = f"import {module}"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert module in imported  # the import table is what -X importtime writes
    assert not {"torch", "transformers"} & imported


def test_the_snakefile_lists_every_rule_file_and_no_rule_file_includes_another():
    snakefile = (REPO / "Snakefile").read_text()
    included = re.findall(r'^include: "workflow/rules/([\w.]+)"$', snakefile, flags=re.M)
    files = sorted(path.name for path in (REPO / "workflow" / "rules").glob("*.smk"))
    assert sorted(included) == files
    for name in files:
        assert "include:" not in (REPO / "workflow" / "rules" / name).read_text(), name
