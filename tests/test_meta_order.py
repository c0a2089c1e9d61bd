"""A TF1 Saver's checkpoint keeps its names sorted; the `.meta` graph Saver writes beside it by default lists the
variables as the model created them (`formats._tf_meta`, `Catalog.creation_order`), and alignment reads that as the
checkpoint's order, as it reads an HDF5 file's layer order. The oracle (tests/meta_order_oracle.py): tf_keras'
MobileNetV2 built in a TF1 graph and saved by a real Saver, against a PyTorch twin in torchvision's names; the two
build the same layers in the same order, which is the truth. Without the `.meta` the names alone leave most of it
open (`block_3_expand` and `block_4_expand` are equal in shape); with it every weight pairs."""

import json
import shutil

import pytest
from oracle_run import run_oracle

import ckpt_doctor
from ckpt_doctor.formats import open_checkpoint


@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory):
    d = tmp_path_factory.mktemp("meta_order")
    run_oracle("meta_order_oracle.py", "tf1", str(d), legacy=True)
    run_oracle("meta_order_oracle.py", "torch", str(d))
    old, new = (json.loads((d / f"{side}.json").read_text()) for side in ("tf1", "torch"))
    assert len(old) == len(new) == 262
    assert all(sorted(a[1]) == sorted(b[1]) for a, b in zip(old, new, strict=True))
    return d, {m: c for (c, _), (m, _) in zip(old, new, strict=True)}, [c for c, _ in old]


def test_the_meta_graph_lists_the_variables_as_created(mobilenet):
    d, _, created = mobilenet
    catalog = open_checkpoint(str(d / "model.ckpt"))
    assert list(catalog) == sorted(catalog)  # (the bundle's own order: by name)
    order, why = catalog.creation_order()
    assert why == "" and sorted(order, key=order.get) == created


def test_a_tf1_saver_file_aligns_in_the_order_its_graph_created_it(mobilenet):
    d, truth, _ = mobilenet
    a = ckpt_doctor.align(str(d / "model.ckpt"), str(d / "model.spec.json"))
    assert {p.model: p.checkpoint for p in a.pairs} == truth and not a.ambiguous
    said = {p.model: p.evidence for p in a.pairs}
    assert "as the .meta graph beside it created them" in said["features.4.conv.0.0.weight"]


def test_without_or_with_a_broken_meta_no_order_is_read(mobilenet, tmp_path):
    d, truth, _ = mobilenet
    for name in ("model.ckpt.index", "model.ckpt.data-00000-of-00001"):
        shutil.copy(d / name, tmp_path / name)
    bare = ckpt_doctor.align(str(tmp_path / "model.ckpt"), str(d / "model.spec.json"))
    assert open_checkpoint(str(tmp_path / "model.ckpt")).creation_order() == (None, "")
    assert len(bare.pairs) < len(truth) // 2  # (names alone: the equal blocks stay open)
    assert all(truth[p.model] == p.checkpoint for p in bare.pairs)
    (tmp_path / "model.ckpt.meta").write_bytes(b"\x22\xff\xff\xff\x0f not a MetaGraphDef")
    order, why = open_checkpoint(str(tmp_path / "model.ckpt")).creation_order()
    assert order is None and "model.ckpt.meta is no readable MetaGraphDef" in why
    broken = ckpt_doctor.align(str(tmp_path / "model.ckpt"), str(d / "model.spec.json"))
    assert [(p.model, p.checkpoint) for p in broken.pairs] == [(p.model, p.checkpoint) for p in bare.pairs]


def _recorded(name: str):
    """A scenario's TF1 file rebuilt with the .meta its Saver writes by default (recorded: the entries, the spec, the
    variables' creation order and the truth), aligned with and without that order."""
    import gzip

    from recorded import DATA, align_recorded

    with gzip.open(f"{DATA}/{name}", "rt") as f:
        truth = json.load(f)["truth"]
    return align_recorded(name), truth


def test_a_slim_block_made_in_another_order_than_its_names_sort_in():
    # (held-out 6) tf-slim's MobileNetV2 with its moving averages into transformers' MobileNetV2: a block's
    # `expand`, `depthwise`, `project` sort otherwise than the graph made them; its .meta's order pairs every value
    # that names and their natural order left open (16 of 104 without it)
    a, truth = _recorded("slim_mobilenetv2_meta_to_hf.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert {m: c for m, c in got.items() if m in truth} == truth
    said = {p.model: p.evidence for p in a.pairs}
    assert any("as the .meta graph beside it created them" in e for e in said.values())


def test_the_names_natural_order_still_comes_first():
    # (held-out 3) tf-slim's ResNet-50 into a torchvision twin: slim makes a unit's shortcut first, torchvision its
    # downsample last, while the names sort the shortcut last: the names' order pairs all 267, as without the .meta
    a, truth = _recorded("slim_resnet50_meta_to_torch.json.gz")
    assert {p.model: p.checkpoint for p in a.pairs} == truth


def test_a_creation_order_decides_no_tie_of_names_elsewhere():
    # (constructed, adversarial) two layers both renamed, equal in shape (`enc/alpha`, `enc/beta` -> `net/x`,
    # `net/y`; the truth crosses them): the order the graphs made them in is no evidence of which is which
    a, truth = _recorded("both_renamed_meta.json.gz")
    assert not [p for p in a.pairs if truth.get(p.model, p.checkpoint) != p.checkpoint]
    assert {x.model for x in a.ambiguous} >= {"net/x/kernel", "net/y/kernel"}


def test_a_block_removed_among_equal_ones_stays_open():
    # (held-out 38) a TF1 encoder of 3 equal blocks into a PyTorch ViT of 2 (the file's 0 and 2 by construction;
    # which block went no file says): the graph's order groups a block's first norm with the attention's output
    # projection, the model's does not, and an alignment of such unlike groups stretched across the blocks and gave
    # the last one's feed-forward layers to `layers.1` as if proved. Unit by unit, every block's place stays open
    a, truth = _recorded("encoder_block_removed_meta.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert not [m for m in got if m.startswith("transformer.layers.")]
    assert {m: c for m, c in got.items() if m in truth} == truth and len(got) >= len(truth)


def test_inception_branches_in_their_creation_order_and_no_pair_against_it():
    # tf_keras' InceptionV3 (weights=None) saved by a TF1 Saver with its .meta, into torchvision 0.28's
    # inception_v3 (recorded): Keras creates the i-th `conv2d_i` / `batch_normalization_i` where torchvision's module
    # order has its i-th BasicConv2d (the auxiliary classifier aside), branch by branch; that is the truth. Keras'
    # norms have no scale (`scale=False`): their units differ from torchvision's, and most stays open; what pairs must
    # be right (a first reading of scale-free norms paired branches of the interleaved `.h5` order wrongly: dropped)
    from recorded import align_recorded

    a = align_recorded("keras_inception_v3_meta_to_torchvision.json.gz")
    spec = [v.name for v in a.diagnosis.model.variables]
    convs = [n[:-len(".conv.weight")] for n in spec if n.endswith(".conv.weight") and not n.startswith("AuxLogits")]
    truth = {}
    for i, conv in enumerate(convs):
        k, b = (f"conv2d_{i}", f"batch_normalization_{i}") if i else ("conv2d", "batch_normalization")
        truth[f"{conv}.conv.weight"] = f"{k}/kernel"
        truth.update({f"{conv}.bn.{leaf}": f"{b}/{tf}" for leaf, tf in (
            ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance"))})
    got = {p.model: p.checkpoint for p in a.pairs}
    assert len(convs) == 94 and len(got) >= 80
    assert {m: c for m, c in got.items() if truth.get(m) != c} == {}
