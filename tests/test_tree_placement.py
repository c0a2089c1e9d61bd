"""A safetensors file keeps no order (its names are sorted), but it keeps its tree. pointnet's PyTorch PointNet
(held-out part 33: `stn_3d.net.0`, `stn_3d.norm`, `stn_3d.head.0`, `conv1.0`, ..., `norm`, `head.7`) into a Keras 3
twin whose names are auto-numbers (`conv1d`, `batch_normalization`, ..., `dense_8`) in creation order: each
container's layers sit together in the twin and numbered elements follow their numbers. Placed so, the input
transform, `conv1` and the heads fit in one way only and pair; the feature transform's `net` and `conv2` hold the
same shapes (and `stn_nd.norm` and `norm`), and a container's children keep no order in the file, so those two may
trade places: ambiguous, with both. The names and shapes are the real file's and the twin's."""

import json
import os

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = os.path.dirname(os.path.abspath(__file__))


def _align():
    with open(os.path.join(HERE, "data", "pointnet_to_k3.json")) as f:
        data = json.load(f)
    catalog = Catalog("<pointnet_cls.safetensors>", "safetensors",
                      {n: TensorInfo(n, dtype, tuple(s), 4) for n, s, dtype in data["file"]})
    spec = ModelSpec([VariableSpec(n, tuple(s), dtype, index=i) for i, (n, s, dtype) in enumerate(data["model"])],
                     framework="tf2", source="<Keras 3 PointNet twin>")
    return ckpt_doctor.align(catalog, spec)


def test_containers_in_place_pair_where_only_one_placement_fits():
    got = {p.model: p.checkpoint for p in _align().pairs}
    assert got["conv1d/kernel"] == "stn_3d.net.0.weight"
    assert got["batch_normalization_2/gamma"] == "stn_3d.norm.weight"
    assert got["batch_normalization_2/moving_variance"] == "stn_3d.norm.running_var"
    assert got["dense/kernel"] == "stn_3d.head.0.weight"
    assert got["batch_normalization_3/beta"] == "stn_3d.head.1.bias"
    assert got["conv1d_3/kernel"] == "conv1.0.weight"
    assert got["batch_normalization_6/gamma"] == "conv1.4.weight"
    assert got["dense_6/kernel"] == "head.0.weight"
    assert got["dense_3/kernel"] == "stn_nd.head.0.weight"
    assert not [m for m, c in got.items() if c.startswith(("conv2.", "stn_nd.net.", "norm.", "stn_nd.norm."))]


def test_containers_that_may_trade_places_stay_ambiguous():
    amb = {x.model: x.candidates for x in _align().ambiguous}
    for m in ("conv1d_5/kernel", "conv1d_8/kernel"):
        assert amb[m] == ["conv2.0.weight", "stn_nd.net.0.weight"]
    for m in ("batch_normalization_9/gamma", "batch_normalization_14/gamma"):
        assert amb[m] == ["norm.weight", "stn_nd.norm.weight"]
