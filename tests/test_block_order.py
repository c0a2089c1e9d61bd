"""Conventions that create a block's members in other orders than Keras writes them shift pairs that order alone
makes by one block. res-mlp-pytorch's ResMLP blocks create `scale` before `affine` and `fn`; a Keras 3 port of
role-named layers (`block0_token_affine`, `block0_token_mix`, `block0_token_scale`) writes the LayerScale last. The
names below are a real Keras 3 `.keras` file's and res-mlp-pytorch's state dict (held-out part 27), where the layer
order gave each block's scale the block before's: the blocks' own names undo that, and each scale takes its own
block's value."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

D = 16


def _keras_file() -> Catalog:
    layers = [("dense", "patch_embed", [(48, D), (D,)])]
    for b in range(2):
        n = 2 * b
        layers += [(f"affine{'_' + str(n) if n else ''}", f"block{b}_token_affine", [(D,), (D,)]),
                   (f"dense_{3 * b + 1}", f"block{b}_token_mix", [(D, D), (D,)]),
                   (f"layer_scale{'_' + str(n) if n else ''}", f"block{b}_token_scale", [(D,)]),
                   (f"affine_{n + 1}", f"block{b}_channel_affine", [(D,), (D,)]),
                   (f"dense_{3 * b + 2}", f"block{b}_channel_fc1", [(D, 4 * D), (4 * D,)]),
                   (f"dense_{3 * b + 3}", f"block{b}_channel_fc2", [(4 * D, D), (D,)]),
                   (f"layer_scale_{n + 1}", f"block{b}_channel_scale", [(D,)])]
    layers += [("affine_4", "final_affine", [(D,), (D,)]), ("dense_7", "head", [(D, 10), (10,)])]
    tensors, rank = {}, 0
    for path, owner, shapes in layers:
        for i, shape in enumerate(shapes):
            key = f"layers/{path}/vars/{i}"
            tensors[key] = TensorInfo(key, "float32", shape, 4, full_name=f"{owner}/vars/{i}", written=rank)
            rank += 1
    return Catalog("<resmlp.keras>", "keras3-weights", tensors)


def _torch_model() -> ModelSpec:
    names = [("1.weight", (D, 48)), ("1.bias", (D,))]
    for b in (2, 3):
        names += [(f"{b}.0.scale", (1, 1, D)), (f"{b}.0.affine.g", (1, 1, D)), (f"{b}.0.affine.b", (1, 1, D)),
                  (f"{b}.0.fn.weight", (D, D, 1)), (f"{b}.0.fn.bias", (D,)),
                  (f"{b}.1.scale", (1, 1, D)), (f"{b}.1.affine.g", (1, 1, D)), (f"{b}.1.affine.b", (1, 1, D)),
                  (f"{b}.1.fn.0.weight", (4 * D, D)), (f"{b}.1.fn.0.bias", (4 * D,)),
                  (f"{b}.1.fn.2.weight", (D, 4 * D)), (f"{b}.1.fn.2.bias", (D,))]
    names += [("4.g", (1, 1, D)), ("4.b", (1, 1, D)), ("6.weight", (10, D)), ("6.bias", (10,))]
    return ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(names)], framework="torch",
                     source="<res-mlp-pytorch>")


def test_each_block_scale_takes_its_own_blocks_value():
    a = ckpt_doctor.align(_keras_file(), _torch_model())
    got = {p.model: p.checkpoint for p in a.pairs}
    assert {m: got.get(m) for m in ("2.0.scale", "2.1.scale", "3.0.scale", "3.1.scale")} == {
        "2.0.scale": "layers/layer_scale/vars/0", "2.1.scale": "layers/layer_scale_1/vars/0",
        "3.0.scale": "layers/layer_scale_2/vars/0", "3.1.scale": "layers/layer_scale_3/vars/0"}
    assert len(a.pairs) == 30 and not a.ambiguous and not a.missing
