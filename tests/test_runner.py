"""seedstudy.analysis.runner: several analyses in one job, in forked workers."""

import json
import os
import time
from functools import partial

import pytest

from seedstudy.analysis import runner


def _record(folder, name, sleep=0.0, fail=False, die=False):
    """An analysis that writes when it started and ended (and may raise, or kill its process)."""
    started = time.time()
    time.sleep(sleep)
    if die:
        os._exit(3)
    if fail:
        raise ValueError(f"{name} went wrong")
    (folder / f"{name}.json").write_text(
        json.dumps({"start": started, "end": time.time(), "pid": os.getpid()})
    )


def job(folder, name, priority=0, **kwargs):
    return runner.Analysis(
        name,
        partial(_record, folder, name, **kwargs),
        log=str(folder / f"{name}.log"),
        priority=priority,
    )


def test_every_analysis_runs_in_a_process_of_its_own(tmp_path):
    jobs = [job(tmp_path, f"a{i}", sleep=0.05) for i in range(5)]
    seconds = runner.run(jobs, workers=2)
    assert set(seconds) == {f"a{i}" for i in range(5)}
    assert all(value >= 0.05 for value in seconds.values())
    records = [json.loads((tmp_path / f"a{i}.json").read_text()) for i in range(5)]
    pids = {record["pid"] for record in records}
    assert len(pids) == 5 and os.getpid() not in pids


def test_highest_priority_first(tmp_path):
    names = {"short": 1, "longest": 9, "middle": 5, "long": 7}
    runner.run([job(tmp_path, name, priority) for name, priority in names.items()], workers=1)
    records = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in names}
    assert sorted(records, key=lambda name: records[name]["start"]) == [
        "longest",
        "long",
        "middle",
        "short",
    ]


def test_at_most_workers_at_a_time(tmp_path):
    runner.run([job(tmp_path, f"a{i}", sleep=0.2) for i in range(6)], workers=2)
    records = [json.loads((tmp_path / f"a{i}.json").read_text()) for i in range(6)]
    for moment in [record["start"] + 0.01 for record in records]:
        assert sum(r["start"] <= moment <= r["end"] for r in records) <= 2
    # and two at a time: six analyses of 0.2 s took three rounds, not six
    assert max(r["end"] for r in records) - min(r["start"] for r in records) < 6 * 0.2


def test_a_failed_analysis_stops_no_other_and_is_named_with_its_log(tmp_path):
    jobs = [
        job(tmp_path, "fine", sleep=0.1),
        job(tmp_path, "broken", priority=5, fail=True),
        job(tmp_path, "dies", priority=4, die=True),
        job(tmp_path, "also_fine"),
    ]
    with pytest.raises(runner.AnalysisFailed) as failure:
        runner.run(jobs, workers=2)
    message = str(failure.value)
    assert "2 of 4 analyses failed" in message
    assert f"broken (log: {tmp_path / 'broken.log'}): ValueError: broken went wrong" in message
    assert "dies" in message and "exit code 3" in message
    assert (tmp_path / "fine.json").exists() and (tmp_path / "also_fine.json").exists()
    assert "ValueError: broken went wrong" in (tmp_path / "broken.log").read_text()
    assert set(failure.value.failures) == {"broken", "dies"}
    assert "ValueError: broken went wrong" in failure.value.failures["broken"]


def test_failure_notes_say_which_analysis_failed_and_why(tmp_path):
    import pandas as pd
    from pypdf import PdfReader

    from seedstudy.figures import FAILURE_COLUMNS, failure_notes

    error = 'Traceback (most recent call last):\n  File "x.py"\nValueError: split 0.99 empty'
    outputs = [tmp_path / f"out.{suffix}" for suffix in ("pdf", "csv", "parquet", "json")]
    failure_notes(outputs, "per_example", error, "results/logs/analysis/per_example.log")
    text = " ".join(PdfReader(outputs[0]).pages[0].extract_text().split())
    assert "Analysis per_example failed: ValueError: split 0.99 empty" in text
    row = ["per_example", "ValueError: split 0.99 empty", "results/logs/analysis/per_example.log"]
    assert pd.read_csv(outputs[1]).values.tolist() == [row]
    assert pd.read_parquet(outputs[2]).columns.tolist() == FAILURE_COLUMNS
    assert json.loads(outputs[3].read_text())["failed_analysis"] == "per_example"


def test_script_imports_and_preload(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import json\nfrom pathlib import Path\nimport xml.dom as dom\n"
        "from seedstudy import figures, metrics\n\ndef later():\n    import csv\n"
    )
    modules = runner.script_imports(script)
    assert modules == [
        "json",
        "pathlib",
        "pathlib.Path",
        "xml.dom",
        "seedstudy",
        "seedstudy.figures",
        "seedstudy.metrics",
    ]
    # names that are not modules (pathlib.Path) are skipped
    assert runner.preload(modules) == [
        "json",
        "pathlib",
        "xml.dom",
        "seedstudy",
        "seedstudy.figures",
        "seedstudy.metrics",
    ]
    # a missing module is left to the script to report, when it runs
    assert runner.preload(["no_such_module_anywhere"]) == []
