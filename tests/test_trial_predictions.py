"""A trial's per-example predictions: written beside the result, deterministic, resumed exactly,
restored with the result, and consistent with the recorded scores."""

import numpy as np
import pytest
from conftest import tiny_config

from seedstudy import metrics, study
from seedstudy.data.prepare import load_prepared
from seedstudy.store import predictions
from seedstudy.store.trials import read_trial
from seedstudy.training import trainer


def run(trial, data, folder, name="t", **runtime):
    out = folder / f"{name}.json"
    result = trainer.run_trial(
        trial,
        data,
        out_path=out,
        run_path=folder / f"{name}.run.json",
        runtime=trainer.Runtime(**runtime),
    )
    return result, out


@pytest.fixture(scope="module")
def cfg():
    return tiny_config()


@pytest.fixture(scope="module")
def reference(cfg, tiny_sst2, tmp_path_factory):
    return run(
        study.trial_config(cfg, "sst2", 1, 2), tiny_sst2, tmp_path_factory.mktemp("reference")
    )


def test_predictions_are_written_and_match_the_scores(reference, tiny_sst2):
    _, out = reference
    trial = read_trial(out)
    path = predictions.path_for(out)
    array = predictions.read(path)
    dev = load_prepared(tiny_sst2).dev
    assert array.shape == (len(trial["evaluations"]), len(dev)) and array.dtype == np.int8
    assert (
        trial["predictions"]["shape"] == list(array.shape)
        and trial["predictions"]["kind"] == "labels"
    )
    for row, evaluation in zip(array, trial["evaluations"]):
        assert metrics.compute(["accuracy"], dev.labels, row)["accuracy"] == evaluation["accuracy"]


def test_rerun_and_resume_give_the_same_bytes(cfg, tiny_sst2, reference, tmp_path):
    _, ref = reference
    trial = study.trial_config(cfg, "sst2", 1, 2)
    _, again = run(trial, tiny_sst2, tmp_path, name="again")
    assert predictions.path_for(again).read_bytes() == predictions.path_for(ref).read_bytes()
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(trainer.Preempted):
        run(
            trial,
            tiny_sst2,
            tmp_path,
            name="resumed",
            checkpoint_path=str(checkpoint),
            interrupt_after_step=5,
        )
    assert not predictions.path_for(tmp_path / "resumed.json").exists()
    _, resumed = run(trial, tiny_sst2, tmp_path, name="resumed", checkpoint_path=str(checkpoint))
    assert predictions.path_for(resumed).read_bytes() == predictions.path_for(ref).read_bytes()
    assert resumed.read_bytes() == ref.read_bytes()


def test_a_restored_trial_gets_its_predictions_back(
    cfg, tiny_sst2, reference, tmp_path, monkeypatch
):
    _, ref = reference
    trial = study.trial_config(cfg, "sst2", 1, 2)
    checkpoint = tmp_path / "ckpt.pt"
    _, out = run(trial, tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    out.unlink()
    predictions.path_for(out).unlink()
    monkeypatch.setattr(
        trainer, "evaluate", lambda *a, **k: pytest.fail("a restored trial must not evaluate")
    )
    run(trial, tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert predictions.path_for(out).read_bytes() == predictions.path_for(ref).read_bytes()


def test_probabilities_or_nothing(tiny_sst2, reference, tmp_path):
    _, ref = reference
    labels = predictions.read(predictions.path_for(ref))
    cfg = tiny_config(store_predictions="probabilities")
    trial = study.trial_config(cfg, "sst2", 1, 2)
    assert (
        trial["training"]["store_predictions"] == "probabilities"
    )  # in the hash: the outputs differ
    _, out = run(trial, tiny_sst2, tmp_path, name="p")
    probabilities = predictions.read(predictions.path_for(out))
    assert probabilities.dtype == np.float16 and probabilities.shape == labels.shape + (2,)
    assert np.array_equal(predictions.as_labels(probabilities), labels)
    none = study.trial_config(tiny_config(store_predictions="none"), "sst2", 1, 2)
    _, out = run(none, tiny_sst2, tmp_path, name="n")
    assert not predictions.path_for(out).exists() and "predictions" not in read_trial(out)
    assert read_trial(out)["evaluations"] == read_trial(ref)["evaluations"]
