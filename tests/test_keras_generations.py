"""Legacy ``.h5`` files written by tf-keras restored into Keras 3 models that changed (a layer inserted, a head
replaced, auto-numbers of another session). Keras' loader by layer order refuses them; ``align`` pairs by names and
conventions, and the fix it prints, run verbatim on a fresh Keras 3 model, puts every paired value where tf-keras had
it (tests/keras_generations_oracle.py, subprocesses: tf-keras writes, Keras 3 runs the fix).

- ``TimeDistributed`` names its wrapped layer's weights by the wrapper in Keras 2 and tf-keras
  (``time_distributed_1/kernel``) and by both in Keras 3 (``time_distributed/dense/kernel``).
- ``dense`` -> ``dense_2`` is a number another session gave, not a scope level added around one layer.
- A Keras 3 ``.weights.h5`` of a model whose nested layers are named alike in every block (keras-tcn) names the
  head's layer by its own name (``head``) while a Dense inserted before it takes the head's path.
- A Keras 3 model used as a layer of another Functional model: one explanation (the nesting), not eight renames nor
  "new layers" by a layer order that cannot see the nesting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oracle_run import run_oracle  # tests/ is on sys.path (no package)

import ckpt_doctor
from ckpt_doctor.cli import main

# Keras 3's fresh session (wrapper, wrapped layer), and tf-keras' second model in its session (the file)
WRAPPED = [("time_distributed", "dense"), ("time_distributed_1", "dense_1"), ("time_distributed_2", "dense_2")]
FILE_TD = ["time_distributed_3", "time_distributed_4", "time_distributed_5"]


def _oracle(*args: str, legacy: bool = False) -> str:
    return run_oracle("keras_generations_oracle.py", *args, legacy=legacy)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generations")
    (out / "dw").mkdir()
    (out / "objects").mkdir()
    for case in ("td", "head", "dw", "objects", "nested", "wrapped"):
        _oracle(str(out), case, "write", legacy=case not in ("nested", "wrapped"))  # (those: Keras 3 writes)
        _oracle(str(out), case, "spec")
    return out


def _printed_fix_holds(files: Path, case: str, capsys, ckpt: str = "", status: int = 1) -> dict:
    """What each Keras 3 variable holds after the fix ``align`` prints for CASE is run verbatim (``status``: align's
    exit status, 0 where every variable is paired)."""
    assert main(["align", ckpt or str(files / f"{case}.h5"), "--model", str(files / f"{case}.spec.json")]) == status
    out = capsys.readouterr().out
    fix = out[out.index("Fix (TF2 / Keras):"):].split("\n", 1)[1]
    code = files / f"{case}.fix.py"
    code.write_text("\n".join(line[2:] for line in fix.splitlines() if line.startswith("  ")))
    return json.loads(_oracle(str(files), case, "fix", str(code)))


def test_wrapped_layers_pair_by_the_wrapper_and_the_printed_fix_restores_them(files, capsys):
    a = ckpt_doctor.align(str(files / "td.h5"), str(files / "td.spec.json"))
    pairs = {p.model: p.checkpoint for p in a.pairs}
    assert [pairs.get(f"{td}/{inner}/kernel") for td, inner in WRAPPED] == [f"{td}/kernel" for td in FILE_TD]
    assert not a.ambiguous and not a.unused
    assert sorted(a.missing) == ["dense_3/bias", "dense_3/kernel"]  # the inserted layer, new
    held = _printed_fix_holds(files, "td", capsys)
    expected = {f"{td}/{inner}/{leaf}": f"{old}/{leaf}" for (td, inner), old in zip(WRAPPED, FILE_TD, strict=True)
                for leaf in ("kernel", "bias")}
    expected |= {f"{new}/{leaf}": f"{old}/{leaf}" for new, old in (("conv1d", "conv1d_2"), ("conv1d_1", "conv1d_3"))
                 for leaf in ("kernel", "bias")}
    expected |= {f"batch_normalization/{leaf}": f"batch_normalization_1/{leaf}"
                 for leaf in ("gamma", "beta", "moving_mean", "moving_variance")}
    expected |= {"dense_3/kernel": None, "dense_3/bias": None, "dense_4/kernel": "dense_7/kernel",
                 "dense_4/bias": "dense_7/bias"}
    assert held == expected, held


def test_a_layer_numbered_by_another_session_pairs_beside_a_replaced_head(files, capsys):
    a = ckpt_doctor.align(str(files / "head.h5"), str(files / "head.spec.json"))
    assert {p.model: p.checkpoint for p in a.pairs} == {"dense_2/kernel": "dense/kernel", "dense_2/bias": "dense/bias"}
    # the old head's bias fits the new head's, its kernel fits nothing: no framework restores part of a layer
    assert [x.model for x in a.ambiguous] == ["dense_4/bias"] and a.unused == ["dense_1/kernel"]
    held = _printed_fix_holds(files, "head", capsys)
    assert held == {"dense_2/kernel": "dense/kernel", "dense_2/bias": "dense/bias", "dense_3/kernel": None,
                    "dense_3/bias": None, "dense_4/kernel": None, "dense_4/bias": None}, held


def test_a_depthwise_kernel_is_keras_3s_kernel_in_a_tf_format_file_of_tf_keras(files, capsys):
    # tf-keras' TF format names variables by the rank of their layer: layer_with_weights-1/depthwise_kernel is
    # Keras 3's depthwise_conv2d/kernel (the same layer, the variable renamed), never a layer renamed or replaced
    a = ckpt_doctor.align(str(files / "dw" / "ckpt"), str(files / "dw.spec.json"))
    assert not a.ambiguous and sorted(a.missing) == ["dense_1/bias", "dense_1/kernel"]
    held = _printed_fix_holds(files, "dw", capsys, str(files / "dw" / "ckpt"))
    assert held["depthwise_conv2d/kernel"] == "depthwise_conv2d/depthwise_kernel"
    assert held["batch_normalization/gamma"] == "batch_normalization/gamma"
    assert held["dense/kernel"] == "dense/kernel" and held["dense_1/kernel"] is None


def test_a_model_saved_under_its_attribute_in_a_tf_train_checkpoint_pairs_by_layer_rank(files, capsys):
    # (held-out 12: tf_keras MobileNet in tf.train.Checkpoint(model=..., optimizer=...) -> Keras 3) the object paths
    # are the model's under its attribute (`model/layer_with_weights-2/depthwise_kernel`): ranks of layers with
    # weights, read as in `save_weights`' TF format; the printed fix puts every value where tf-keras had it
    ckpt = str(files / "objects" / "ckpt")
    a = ckpt_doctor.align(ckpt, str(files / "objects.spec.json"))
    assert not a.ambiguous and not a.missing and not a.unused
    assert {p.model: p.checkpoint for p in a.pairs}["conv_pw_2_bn/moving_variance"] == \
        "model/layer_with_weights-9/moving_variance/.ATTRIBUTES/VARIABLE_VALUE"
    held = _printed_fix_holds(files, "objects", capsys, ckpt, status=0)
    # (Keras 3's DepthwiseConv2D calls tf-keras' `depthwise_kernel` `kernel`)
    assert len(held) == 135 and all(v in (k, k.replace("/kernel", "/depthwise_kernel")) for k, v in held.items())


def test_a_keras_3_head_keeps_its_own_name_beside_nested_layers_named_alike(files, capsys):
    # (trial4 t1, keras-tcn) the file's owner names repeat in every block (``conv1D_0/vars/0``), so they cannot name
    # the nested layers; the head's owner name is unique and is the model's name for it: the head pairs by its name
    # although the inserted `extra` took its path (`layers/dense`), and the printed fix puts it there in Keras 3
    ckpt = str(files / "nested.weights.h5")
    a = ckpt_doctor.align(ckpt, str(files / "nested.spec.json"))
    assert {p.model: p.checkpoint for p in a.pairs if p.model.startswith("head/")} == {
        "head/kernel": "layers/dense/vars/0", "head/bias": "layers/dense/vars/1"}
    assert not a.ambiguous and sorted(a.missing) == ["extra/bias", "extra/kernel"]
    held = _printed_fix_holds(files, "nested", capsys, ckpt)
    assert held.pop("extra/kernel") is None and held.pop("extra/bias") is None
    assert all(v is not None and v.split("@")[0] == k for k, v in held.items()), held  # each its own saved value


def test_a_keras_3_model_used_as_a_layer_is_one_nesting_in_words_and_its_fix_restores_it(files, capsys):
    # (trial5 F3) the file's model wrapped in an outer Functional model: every value pairs under the nesting; the
    # sentences say so once, and diagnose's Why does not call the layers new by a layer order blind to the nesting
    ckpt, spec = str(files / "wrapped.weights.h5"), str(files / "wrapped.spec.json")
    a = ckpt_doctor.align(ckpt, spec)
    assert len(a.pairs) == 8 and not a.missing and not a.unused and not a.ambiguous
    assert a.sentences == ["the model nests the file's model under `layers/functional/` (a model used as a layer): 8 "
                           "variables pair by their Keras paths below it (the file names values by position, so the "
                           "rules rename each one)"], a.sentences
    assert main(["diagnose", ckpt, "--model", spec]) == 1
    why = capsys.readouterr().out.split("\nWhy:\n")[1].split("\n\n")[0]
    assert "new in the model" not in why and "not in the model" not in why and "nests the file's model" in why, why
    held = _printed_fix_holds(files, "wrapped", capsys, ckpt, status=0)
    assert len(held) == 8 and all(v is not None and v.split("@")[0] == k for k, v in held.items()), held
