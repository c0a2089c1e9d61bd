"""openai-whisper's whole state dict (encoder and decoder, held-out part 35) into a Keras 3 twin of its encoder
alone, whose names say nothing of either tree. The layer order once placed the twin's MLP denses on the decoder's
MLPs (an alignment that counts most units skipped the encoder's blocks, whose attention projections the twin splits
into heads), while the encoder's own MLPs, same names below `encoder.`, stayed free. Which tree a dense belongs to
no order proves: ambiguous, with both. The names and shapes are the real file's and the twin's."""

import json
import os

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = os.path.dirname(os.path.abspath(__file__))


def test_no_value_of_the_decoder_goes_into_the_encoder_twin():
    with open(os.path.join(HERE, "data", "whisper_to_k3_encoder.json")) as f:
        data = json.load(f)
    catalog = Catalog("<whisper.pt>", "torch", {n: TensorInfo(n, dtype, tuple(s), 4) for n, s, dtype in data["file"]})
    spec = ModelSpec([VariableSpec(n, tuple(s), dtype, index=i) for i, (n, s, dtype) in enumerate(data["model"])],
                     framework="tf2", source="<Keras 3 encoder twin>")
    a = ckpt_doctor.align(catalog, spec)
    assert [p.checkpoint for p in a.pairs if p.checkpoint.startswith("decoder.")] == []
    dense = {x.model: x.candidates for x in a.ambiguous if x.model.startswith("dense")}
    assert set(dense) == {f"dense{k}/{leaf}" for k in ("", "_1", "_2", "_3") for leaf in ("kernel", "bias")}
    assert all(any(c.startswith("encoder.") for c in cands) for cands in dense.values())
    assert {p.model: p.checkpoint for p in a.pairs}["conv1d/kernel"] == "encoder.conv1.weight"
