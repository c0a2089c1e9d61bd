"""A Keras 3 file of two equal streams (ncps CfC layers `layers/cf_c` and `layers/cf_c_1`, the same names and shapes
below each) into a PyTorch net of one stream: which stream the net holds no file says (held-out part 31; names,
shapes and write order of the real file). Keras writes a CfC cell's own variables before its backbone, PyTorch creates
the backbone first: the layer order preferred the first stream's backbone for where it is written, while every other
variable of the cell stayed ambiguous between the streams. The backbone is ambiguous too, never paired."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def _stream(path: str) -> list:
    cell = f"layers/{path}/cell"
    return [(f"{cell}/vars/0", (32, 16)), (f"{cell}/vars/1", (16,)), (f"{cell}/vars/2", (32, 16)),
            (f"{cell}/vars/3", (16,)), (f"{cell}/backbone_fn/layers/dense/vars/0", (24, 32)),
            (f"{cell}/backbone_fn/layers/dense/vars/1", (32,)), (f"{cell}/time_a/vars/0", (32, 16)),
            (f"{cell}/time_a/vars/1", (16,)), (f"{cell}/time_b/vars/0", (32, 16)), (f"{cell}/time_b/vars/1", (16,))]


def test_one_stream_of_two_equal_ones_is_not_chosen_by_order():
    entries = [("layers/dense/vars/0", (4, 8)), ("layers/dense/vars/1", (8,))] + _stream("cf_c") + \
        _stream("cf_c_1") + [("layers/dense_1/vars/0", (32, 3)), ("layers/dense_1/vars/1", (3,))]
    catalog = Catalog("<two_streams.weights.h5>", "keras3-weights",
                      {n: TensorInfo(n, "float32", s, 4, written=i) for i, (n, s) in enumerate(entries)})
    names = [("embed.weight", (8, 4)), ("embed.bias", (8,)), ("rnn.rnn_cell.backbone.0.weight", (32, 24)),
             ("rnn.rnn_cell.backbone.0.bias", (32,))]
    names += [(f"rnn.rnn_cell.{m}.{v}", (16, 32) if v == "weight" else (16,))
              for m in ("ff1", "ff2", "time_a", "time_b") for v in ("weight", "bias")]
    names += [("head.weight", (3, 16)), ("head.bias", (3,))]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(names)], framework="torch",
                     source="<one stream>")
    a = ckpt_doctor.align(catalog, spec)
    assert not any(p.model.startswith("rnn.") for p in a.pairs)
    backbone = {x.model: x.candidates for x in a.ambiguous}["rnn.rnn_cell.backbone.0.weight"]
    assert sorted(backbone) == ["layers/cf_c/cell/backbone_fn/layers/dense/vars/0",
                                "layers/cf_c_1/cell/backbone_fn/layers/dense/vars/0"]
