"""Verified restore into real TensorFlow models (TF1 session, TF2 tf.Module, Keras 3, tf-keras), run in one
subprocess (tests/restore_oracle.py); the values are read back there by TensorFlow itself."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("tensorflow") is None:
    pytest.skip("TensorFlow is not installed", allow_module_level=True)

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    work = tmp_path_factory.mktemp("restore")
    r = subprocess.run([sys.executable, str(HERE / "restore_oracle.py"), str(work)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


CASES = ["tf1_seed", "tf2_module", "keras3", "tf_keras"]


@pytest.mark.parametrize("case", CASES)
def test_scope_rename_restores_with_auto_rules_and_every_value_verified(result, case):
    auto = result[case]["auto"]
    assert auto["ok"], auto["headline"]
    assert set(auto["status"].values()) == {"verified"}
    assert set(auto["check"].values()) == {"bit-exact"}
    assert "unused" not in auto["entries"].values()


@pytest.mark.parametrize("case", ["tf1_seed", "tf2_module"])
def test_values_read_back_by_tensorflow_equal_the_saved_ones(result, case):
    assert result[case]["values"] == result[case]["expected"]


@pytest.mark.parametrize("case", ["keras3", "tf_keras"])
def test_keras_model_gives_the_saved_models_output(result, case):
    assert result[case]["same_output"]


@pytest.mark.parametrize("case", CASES)
def test_without_rules_raises_naming_both_sides(result, case):
    refused = result[case]["none"]
    assert refused["raised"] and not refused["assigned"]
    message = refused["message"]
    assert message.startswith("nothing restored:")
    assert "model_scope/" in message and "different_model_scope/" in message
    if case.startswith("tf1") or case == "tf2_module":
        for leaf in ("weight", "bias"):
            assert f"different_model_scope/{leaf}: no checkpoint value" in message
            assert f"model_scope/{leaf}" in message.split("checkpoint values unused")[1]


def test_tf1_refusal_assigns_nothing(result):
    assert result["tf1_seed"]["untouched_after_refusal"]


def test_tf1_optimizer_slots_restored_with_their_variables(result):
    slots = result["tf1_slots"]
    assert slots["auto"]["ok"], slots["auto"]["headline"]
    assert "optimizer state and counters 6 of 6 restored" in slots["auto"]["headline"]
    assert slots["values"] == slots["expected"]  # every slot and beta power, as TensorFlow saved it
    assert slots["kinds"]["different_model_scope/weight/Adam"] == "slot"
    assert slots["auto"]["status"]["different_model_scope/weight/Adam_1"] == "verified"


@pytest.mark.parametrize("case", ["keras3", "tf_keras"])
def test_layer_built_after_restore_is_reported_not_deferred(result, case):
    refused = result[case]["deferred_strict"]
    assert refused["raised"] and "not built yet" in refused["message"]
    report = result[case]["deferred"]
    assert not report["ok"]
    waiting = [k for k, s in report["entries"].items() if s == "not_built"]
    assert len(waiting) == 2 and all("/head/" in k for k in waiting)
    assert all("is not built yet" in note for note in result[case]["deferred_notes"].values())
    assert result[case]["deferred_head_is_initial"]  # nothing was queued behind the user's back


def test_guard_reports_tf2_checkpoint_restore_that_restored_nothing(result):
    events = result["tf2_module"]["guard"]
    assert [e["call"] for e in events] == ["tf.train.Checkpoint.restore"]
    assert sorted(events[0]["not_restored"]) == ["model/different_model_scope/bias",
                                                  "model/different_model_scope/weight"]
    assert len(events[0]["unused"]) == 2
    assert result["tf2_module"]["guard_removed"]


def test_guard_passes_a_complete_tf1_saver_restore(result):
    assert result["tf1_guard"] == [{"call": "tf.compat.v1.train.Saver.restore", "ok": True, "checked": 2}]


@pytest.mark.parametrize("case", ["keras3", "tf_keras"])
def test_keras_load_weights_guarded_and_reinitialisation_caught(result, case):
    (event,) = result[case]["guard"]
    assert event["call"].endswith("Model.load_weights") and event["checked"] == 4
    assert len(event["reinitialised"]) == 1 and "head" in event["reinitialised"][0]
    check = {v["name"]: v for v in result[case]["check_after_reinit"]["variables"]}
    statuses = sorted(v["status"] for v in check.values())
    assert statuses == ["equal", "equal", "equal", "looks_untouched"], check
    untouched = next(v for v in check.values() if v["status"] == "looks_untouched")
    assert any("Glorot uniform" in e for e in untouched["evidence"]), untouched


@pytest.mark.parametrize("case", ["keras3", "tf_keras"])
def test_keras_weights_file_restores_into_a_fresh_model_as_keras_pairs_it(result, case):
    """`save_weights` files pair by layer order (legacy HDF5) or object tree (Keras 3), not by name: restored with
    the loader that matches, and TensorFlow reads back the saved values."""
    restored = result[case]["from_weights_file"]
    assert restored["ok"], restored["headline"]
    assert set(restored["status"].values()) == {"verified"} and set(restored["check"].values()) == {"bit-exact"}
    assert result[case]["from_weights_file_same"]
