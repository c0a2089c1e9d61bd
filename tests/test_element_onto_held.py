"""A scope rule may not move an element of one family onto an element of another that the file already holds
under the model's name. SNAC's codec (held-out part 31) into a tokenizer that wraps its encoder under `codec.`,
with a residual unit inserted into the encoder's third block (`codec.encoder.block.2.block.2`): the file's own
units of that block fill it, and which of them moved is the numbering's question (equal units: ambiguous). The
file's unused decoder has units numbered alike (`decoder.model.2.block.3.block.0.alpha`), whose long common suffix
once proposed `decoder.model.2.` -> `codec.encoder.block.2.` and paired 8 decoder values into the encoder. The
names and shapes are the real safetensors file's and the mutated model's."""

import json
import os
from types import SimpleNamespace

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.match.infer import _within_families
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = os.path.dirname(os.path.abspath(__file__))


def _case() -> tuple[Catalog, ModelSpec]:
    with open(os.path.join(HERE, "data", "snac_inserted_unit.json")) as f:
        data = json.load(f)
    tensors = {name: TensorInfo(name, dtype, shape, 4, written=written) for name, shape, dtype, written in data["file"]}
    spec = ModelSpec([VariableSpec(name, tuple(shape), "float32", index=i) for i, (name, shape) in
                      enumerate(data["model"])], framework="torch", source="<snac tokenizer>")
    return Catalog("<snac.safetensors>", "safetensors", tensors), spec


def test_no_decoder_value_fills_the_encoders_inserted_place():
    a = ckpt_doctor.align(*_case())
    grafted = [(p.model, p.checkpoint) for p in a.pairs if p.checkpoint.startswith("decoder.")]
    assert grafted == []
    # every value of the encoder keeps its own block: the units are ambiguous among the block's own units
    for p in a.pairs:
        assert p.checkpoint == p.model.removeprefix("codec.") or p.model.startswith("codec.encoder.block.2.block."), p
    units = [x for x in a.ambiguous if x.model.startswith("codec.encoder.block.2.block.")]
    assert len(units) == 32 and all(c.startswith("encoder.block.2.block.") for x in units for c in x.candidates)


def test_which_rules_move_an_element_onto_one_the_file_holds():
    # (the filter itself, on keys: a wrapped TF2 model's scope added over every name, `layer_with_weights-0/`, ends
    # in an element's number the file holds too, and stays; so does one family renumbered, an insertion's shift)
    file = [SimpleNamespace(key=k) for k in (("codec", "encoder", "block", "2", "block", "0", "alpha"),
                                             ("layerwithweights", "0", "kernel"), ("layer", "4", "kernel"))]
    rules = {(("decoder", "model", "2"), ("codec", "encoder", "block", "2")): "graft",
             ((), ("layerwithweights", "0")): "scope added over all",
             (("layer", "3"), ("layer", "4")): "shift",
             (("decoder", "model", "2"), ("codec", "encoder", "block", "3")): "onto an element the file lacks"}
    kept = _within_families(rules, file, [])
    assert sorted(kept.values()) == ["onto an element the file lacks", "scope added over all", "shift"]
