"""CyberZHG's Keras layers (keras-bert, keras-gpt-2, keras-transformer) number blocks between hyphens
(`Encode-0-MultiHeadAtt`) and name a layer's weights after the layer, the role last (`Encode-0-MultiHeadAtt_Wq`: the
query's kernel, `_bq` its bias; a feed-forward's `_W1`, `_b2`). Read so, keras-gpt-2's tf_keras `.h5` (names, shapes
and order of a real file, held-out part 27) pairs with a PyTorch twin's `blocks.0.attn.q.weight` by name, each
kernel transposed; before, every value was left open."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.match.names import canonical
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

D, V, P = 16, 40, 12


def _keras_gpt2() -> Catalog:
    names = [("Embed-Token/embeddings", (V, D)), ("Embed-Token-Pos/embeddings", (P, D))]
    for b in range(2):
        att, ff = f"Encode-{b}-MultiHeadAtt", f"Encode-{b}-FeedForward"
        names += [(f"{att}-Norm/gamma", (D,)), (f"{att}-Norm/beta", (D,))]
        for r in "qkvo":
            names += [(f"{att}/{att}_W{r}", (D, D)), (f"{att}/{att}_b{r}", (D,))]
        names += [(f"{ff}-Norm/gamma", (D,)), (f"{ff}-Norm/beta", (D,)), (f"{ff}/{ff}_W1", (D, 4 * D)),
                  (f"{ff}/{ff}_b1", (4 * D,)), (f"{ff}/{ff}_W2", (4 * D, D)), (f"{ff}/{ff}_b2", (D,))]
    names += [("Norm/gamma", (D,)), ("Norm/beta", (D,))]
    return Catalog("<keras_gpt2.h5>", "keras-h5", {n: TensorInfo(n, "float32", s, 4) for n, s in names})


def _torch_twin() -> ModelSpec:
    names = [("wte.weight", (V, D)), ("wpe.weight", (P, D))]
    for b in range(2):
        names += [(f"blocks.{b}.ln1.weight", (D,)), (f"blocks.{b}.ln1.bias", (D,)), (f"blocks.{b}.ln2.weight", (D,)),
                  (f"blocks.{b}.ln2.bias", (D,))]
        for r in "qkvo":
            names += [(f"blocks.{b}.attn.{r}.weight", (D, D)), (f"blocks.{b}.attn.{r}.bias", (D,))]
        names += [(f"blocks.{b}.mlp.fc.weight", (4 * D, D)), (f"blocks.{b}.mlp.fc.bias", (4 * D,)),
                  (f"blocks.{b}.mlp.proj.weight", (D, 4 * D)), (f"blocks.{b}.mlp.proj.bias", (D,))]
    names += [("ln_f.weight", (D,)), ("ln_f.bias", (D,))]
    return ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(names)], framework="torch",
                     source="<twin>")


def test_a_layers_own_weights_read_as_its_sub_layers():
    assert canonical("Encode-0-MultiHeadAtt/Encode-0-MultiHeadAtt_Wq") == (("encode", "0", "multiheadatt", "q"),
                                                                          "kernel")
    assert canonical("Encode-1-FeedForward/Encode-1-FeedForward_b2") == (("encode", "1", "feedforward", "2", "bias"),
                                                                        None)
    assert canonical("Encoder-3-MultiHeadSelfAttention-Norm/gamma") == (("encoder", "3", "multiheadselfattentionnorm"),
                                                                        "scale")
    assert canonical("attn/attn_Wq") == (("attn", "attnwq"), None)  # (no hyphen in the name: read as before)


def test_keras_gpt2_pairs_with_a_torch_twin_by_name():
    a = ckpt_doctor.align(_keras_gpt2(), _torch_twin())
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    for b in range(2):
        att = f"Encode-{b}-MultiHeadAtt"
        for r in "qkvo":
            assert got[f"blocks.{b}.attn.{r}.weight"] == (f"{att}/{att}_W{r}", "transpose")
            assert got[f"blocks.{b}.attn.{r}.bias"] == (f"{att}/{att}_b{r}", None)
    wrong = [(m, c) for m, (c, _) in got.items()
             if m.startswith("blocks.") and m.split(".")[1] != c.split("-")[1]]  # never another block's value
    assert wrong == [] and len(a.pairs) >= 16
