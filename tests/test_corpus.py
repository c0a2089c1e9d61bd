"""Real TensorFlow-written files (tests/data/corpus), checked against TensorFlow 2.21's own reading of them."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import ckpt_doctor
from ckpt_doctor import open_checkpoint

CORPUS = Path(__file__).parent / "data" / "corpus"
REFERENCE = json.loads((CORPUS / "tf_reference.json").read_text())


def _digest(value: np.ndarray) -> str:
    if value.dtype == object:
        return hashlib.sha256(b"\x00".join(value.reshape(-1).tolist())).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<")).tobytes()).hexdigest()


@pytest.mark.parametrize("prefix", sorted(REFERENCE))
def test_matches_tensorflow_reading(prefix):
    expected = REFERENCE[prefix]
    catalog = open_checkpoint(CORPUS / prefix)
    assert sorted(catalog) == sorted(expected)
    assert list(catalog) == sorted(catalog)
    for name, ref in expected.items():
        info = catalog[name]
        assert info.dtype == ref["dtype"], name
        assert list(info.shape) == ref["shape"], name
        assert _digest(info.read()) == ref["sha256"], name


def test_snappy_index_is_really_compressed():
    # The value of this fixture is that its index data block is Snappy-compressed (type byte 1).
    from ckpt_doctor.formats import _sstable

    data = (CORPUS / "tf-serving/half_plus_two_cpu/variables.index").read_bytes()
    assert data[-8:] == _sstable.MAGIC
    values = {k: v.read().item() for k, v in open_checkpoint(CORPUS / "tf-serving/half_plus_two_cpu/variables").items()}
    assert values == {"a": 0.5, "a2": 0.5, "b": 2.0, "c": 3.0, "c2": 3.0}


def test_v1_known_values():
    catalog = open_checkpoint(CORPUS / "tf-serving/v1_half_plus_two/export-00000-of-00001")
    assert catalog.format == "tf-v1"
    assert {k: v.read().item() for k, v in catalog.items()} == {"a": 0.5, "b": 2.0}


def test_tf2_object_graph_annotations():
    catalog = open_checkpoint(CORPUS / "tf-keras/lso_ckpt_tf2.2")  # directory: via the relative state file
    kernel = catalog["layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
    assert kernel.object_path == "layer_with_weights-0/kernel"
    assert kernel.full_name == "sequential/dense/kernel"
    assert kernel.kind == "variable"
    np.testing.assert_allclose(kernel.read(), [[9.229685, 10.901115], [10.370763, 9.757362]], rtol=1e-6)
    slot = catalog["layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/base_optimizer/momentum/.ATTRIBUTES/"
                   "VARIABLE_VALUE"]
    assert (slot.kind, slot.slot_name, slot.slot_of) == ("slot", "momentum", kernel.name)
    assert slot.full_name == "SGD/sequential/dense/kernel/momentum"
    assert catalog["_CHECKPOINTABLE_OBJECT_GRAPH"].kind == "object_graph"
    assert catalog["optimizer/loss_scale/good_steps/.ATTRIBUTES/VARIABLE_VALUE"].read() == 1
    assert [t.name for t in catalog.variables()] == ["layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
                                                     "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
    # The object tree: root has layer_with_weights-0 and layer-0 pointing at the same node, and the optimizer.
    root = catalog.objects[0]
    children = dict(root.children)
    assert children["layer_with_weights-0"] == children["layer-0"]
    assert "optimizer" in children
    # Two data shards: the object graph in one, the variables in the other.
    assert {catalog[n].location for n in catalog} == {"ckpt.data-00000-of-00002", "ckpt.data-00001-of-00002"}


def test_all_corpus_checkpoints_verify():
    for prefix in REFERENCE:
        report = ckpt_doctor.verify(CORPUS / prefix)
        assert report.ok, report.problems
        assert report.tensors_checked == len(REFERENCE[prefix])
