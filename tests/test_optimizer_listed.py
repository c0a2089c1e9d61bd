"""A Keras 3 model whose layers the checkpoint does not track (deepxde's FNN, timemixer-tf's TimeMixer, kept in plain
attributes) is still saved whole by ``tf.train.Checkpoint(model=..., optimizer=...)``: the optimizer lists every
variable it trains, and the file keeps the values there, `optimizer/_trainable_variables/N`, in the model's order,
each named by its variable's name (`time_mixer/kernel`, many alike). Real TensorFlow-written files
(`tests/data/optimizer_listed/NOTICE.md`), aligned with the PyTorch twins of the two models."""

import os

import ckpt_doctor
from ckpt_doctor.model.spec import ModelSpec

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "optimizer_listed")
LISTED = "optimizer/_trainable_variables/{}/.ATTRIBUTES/VARIABLE_VALUE"


def _align(prefix: str, spec: str):
    return ckpt_doctor.align(os.path.join(DATA, prefix), ModelSpec.load(os.path.join(DATA, spec)))


def test_the_optimizers_list_of_trained_variables_holds_model_values():
    cat = ckpt_doctor.open_checkpoint(os.path.join(DATA, "pinn-3000"))
    listed = [LISTED.format(n) for n in range(6)]
    assert [cat[k].kind for k in listed] == ["variable"] * 6
    assert cat[listed[2]].full_name.endswith("/kernel") and cat[listed[3]].full_name.endswith("/bias")
    # (its slots stay the optimizer's)
    slots = [e for k, e in cat.items() if k.startswith("optimizer/_variables/") and e.shape == (3, 32)]
    assert slots and all(e.kind != "variable" for e in slots)


def test_listed_values_pair_in_the_lists_order_by_their_roles():
    a = _align("pinn-3000", "deepxde_fnn_torch.spec.json")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    for k in range(3):
        assert got[f"linears.{k}.weight"][0] == LISTED.format(2 * k)
        assert got[f"linears.{k}.bias"][0] == LISTED.format(2 * k + 1)
    assert got["linears.1.weight"][1] is not None  # (a Keras kernel into a PyTorch weight: transposed)
    assert not a.missing and not a.ambiguous


def test_a_place_in_the_list_is_no_layer_number():
    """TimeMixer's list numbers 55 values; read as layer numbers they renumber (`.../3` is `predict_layers.2`'s
    bias by a shift), which they are not: every pair made is the list's order."""
    a = _align("timemixer-300", "timemixer_torch.spec.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["pdm_blocks.0.mixing_multi_scale_season.down_sampling_layers.0.0.weight"] == LISTED.format(0)
    assert got["pdm_blocks.1.out_cross_layer.0.bias"] == LISTED.format(37)
    assert got["predict_layers.2.bias"] == LISTED.format(52)
    assert got["enc_embedding.value_embedding.tokenConv.weight"] == LISTED.format(40)  # (the model reaches it too)
    order = [int(c.split("/")[2]) for m, c in got.items() if c.startswith("optimizer/")]
    assert len(order) >= 40 and order == sorted(order)
