"""openai-whisper's own names into Hugging Face's WhisperForConditionalGeneration (held-out part 35): a decoder block
holds two attentions of one shape (`attn`, `cross_attn` / `self_attn`, `encoder_attn`) and three norms of one shape
(`attn_ln`, `cross_attn_ln`, `mlp_ln` / `self_attn_layer_norm`, `encoder_attn_layer_norm`, `final_layer_norm`), in
orders that differ (Hugging Face creates `k_proj` first). Order cannot tell them apart; their roles can, as
transformers' own converter (convert_openai_to_hf.py) pairs them. The names and shapes are the real file's and the
real model's (a tiny configuration)."""

import json
import os
import re

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = os.path.dirname(os.path.abspath(__file__))

# transformers' convert_openai_to_hf.py, as renamings of a block's own names
_CONVERTER = [("blocks", "layers"), ("mlp.0", "fc1"), ("mlp.2", "fc2"), ("mlp_ln", "final_layer_norm"),
              ("cross_attn_ln", "encoder_attn_layer_norm"), ("attn_ln", "self_attn_layer_norm"),
              ("cross_attn.", "encoder_attn."), ("attn.", "self_attn."), ("query", "q_proj"), ("key", "k_proj"),
              ("value", "v_proj"), ("out.", "out_proj.")]


def _hf(name: str) -> str:
    for old, new in _CONVERTER:
        name = re.sub(rf"(?<![a-z_]){re.escape(old)}", new, name)
    return "model." + name


def test_decoder_blocks_pair_by_their_roles():
    with open(os.path.join(HERE, "data", "whisper_openai_to_hf.json")) as f:
        data = json.load(f)
    catalog = Catalog("<whisper-tiny.pt>", "torch",
                      {n: TensorInfo(n, dtype, tuple(s), 4) for n, s, dtype in data["file"]})
    spec = ModelSpec([VariableSpec(n, tuple(s), dtype, index=i) for i, (n, s, dtype) in enumerate(data["model"])],
                     framework="torch", source="<WhisperForConditionalGeneration>")
    a = ckpt_doctor.align(catalog, spec)
    got = {p.model: p.checkpoint for p in a.pairs}
    blocks = [n for n, _, _ in data["file"] if ".blocks." in n]
    assert len(blocks) == 78  # (two blocks each side; `key` has no bias)
    assert {_hf(n): got.get(_hf(n)) for n in blocks} == {_hf(n): n for n in blocks}
    assert not [x.model for x in a.ambiguous if ".layers." in x.model]
