"""A value left over must not go into a new part of the model because it fits one of its layers. The model is
segformer-pytorch's Segformer (the real spec: its MiT encoder, 40 layers, new) and the file a TF1 all-MLP decoder's
six auto-named convs (`conv2d` .. `conv2d_5`), as held-out part 27 has them; with one of the model's decoder convs
removed, its value is left over and fits a pointwise conv of the new encoder by shape, and the value before it a
conv there too: order and a one-layer rename paired them into the encoder. Two layers of forty, the rest new, are
values left over as likely as renamed layers: ambiguous."""

import dataclasses
from pathlib import Path

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo

_CONVS = [("conv2d", 8, 16), ("conv2d_1", 16, 16), ("conv2d_2", 24, 16), ("conv2d_3", 32, 16), ("conv2d_4", 64, 16),
          ("conv2d_5", 16, 3)]
_TRUTH = {"to_fused.0.0": "conv2d", "to_fused.1.0": "conv2d_1", "to_fused.2.0": "conv2d_2", "to_fused.3.0": "conv2d_3",
          "to_segmentation.0": "conv2d_4", "to_segmentation.1": "conv2d_5"}


def _file() -> Catalog:
    tensors = {}
    for name, i, o in _CONVS:
        tensors[f"{name}/kernel"] = TensorInfo(f"{name}/kernel", "float32", (1, 1, i, o), 4)
        tensors[f"{name}/bias"] = TensorInfo(f"{name}/bias", "float32", (o,), 4)
    return Catalog("<decoder.ckpt>", "tf-v2", dict(sorted(tensors.items())))


def _check(removed: str | None):
    spec = ckpt_doctor.load_model(str(Path(__file__).parent / "data" / "segformer_spec.json"))
    if removed:
        spec = dataclasses.replace(spec, variables=[v for v in spec.variables if not v.name.startswith(removed + ".")])
    a = ckpt_doctor.align(_file(), spec)
    for p in a.pairs:
        layer = p.model.rsplit(".", 1)[0]
        assert layer in _TRUTH and p.checkpoint.startswith(_TRUTH[layer] + "/"), (p.model, p.checkpoint)
    return a


def test_the_decoder_pairs_and_the_encoder_is_new():
    a = _check(None)  # (the 1x1 convs of equal shapes the names cannot tell apart stay ambiguous)
    assert len(a.pairs) >= 8 and not any(p.model.startswith("mit.") for p in a.pairs)
    assert all(m.startswith("mit.") for m in a.missing)


def test_a_value_left_over_does_not_go_into_the_new_encoder():
    a = _check("to_fused.1.0")
    assert not any(p.model.startswith("mit.") for p in a.pairs)
