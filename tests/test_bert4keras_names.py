"""Held-out part 35: Google BERT's TF1 names into bert4keras (`Transformer-0-MultiHeadSelfAttention/dense/kernel`
.. `dense_3`: query, key, value, output). The file's `attention/output/dense` shares `dense/kernel` with the model's
first attention dense, the query: a lone layer against the first of an auto-numbered family is a leaf in common,
not a name that proves the pair; so is `intermediate/dense` against `FeedForward/dense` (of `dense`, `dense_1`).
Nothing pairs by that suffix. And a custom Keras 3 CRF layer's two vectors of one shape (`layers/crf/vars/1`,
`vars/2`) pair with pytorch-crf's `start_transitions` and `end_transitions` by no position: ambiguous."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def test_an_attention_output_dense_is_not_the_query():
    file, model = {}, []
    for k in range(2):
        base = f"bert/encoder/layer_{k}/attention"
        for role in ("query", "key", "value"):
            file[f"{base}/self/{role}/kernel"], file[f"{base}/self/{role}/bias"] = (16, 16), (16,)
        file[f"{base}/output/dense/kernel"], file[f"{base}/output/dense/bias"] = (16, 16), (16,)
        file[f"bert/encoder/layer_{k}/intermediate/dense/kernel"] = (16, 24)
        file[f"bert/encoder/layer_{k}/intermediate/dense/bias"] = (24,)
        file[f"bert/encoder/layer_{k}/output/dense/kernel"] = (24, 16)
        file[f"bert/encoder/layer_{k}/output/dense/bias"] = (16,)
        for n in ("dense", "dense_1", "dense_2", "dense_3"):
            model += [(f"Transformer-{k}-MultiHeadSelfAttention/{n}/kernel", (16, 16)),
                      (f"Transformer-{k}-MultiHeadSelfAttention/{n}/bias", (16,))]
        model += [(f"Transformer-{k}-FeedForward/dense/kernel", (16, 24)),
                  (f"Transformer-{k}-FeedForward/dense/bias", (24,)),
                  (f"Transformer-{k}-FeedForward/dense_1/kernel", (24, 16)),
                  (f"Transformer-{k}-FeedForward/dense_1/bias", (16,))]
    catalog = Catalog("<bert_model.ckpt>", "tf-bundle", {n: TensorInfo(n, "float32", s, 4) for n, s in file.items()})
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(model)], framework="tf2",
                     source="<bert4keras>")
    a = ckpt_doctor.align(catalog, spec)
    wrong = [(p.model, p.checkpoint) for p in a.pairs
             if "MultiHeadSelfAttention/dense/" in p.model and "/output/dense/" in p.checkpoint]
    assert wrong == []
    assert not [p for p in a.pairs if p.rule == "prefix" and "/dense/" in p.model]


def test_a_custom_crf_layers_equal_vectors_pair_by_no_position():
    file = {"layers/crf/vars/0": (5, 5), "layers/crf/vars/1": (5,), "layers/crf/vars/2": (5,)}
    catalog = Catalog("<tagger.weights.h5>", "keras3-weights", {
        n: TensorInfo(n, "float32", s, 4, full_name=n.removeprefix("layers/"), written=i)
        for i, (n, s) in enumerate(file.items())})
    model = [("crf.start_transitions", (5,)), ("crf.end_transitions", (5,)), ("crf.transitions", (5, 5))]
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(model)], framework="torch",
                     source="<pytorch-crf>")
    a = ckpt_doctor.align(catalog, spec)
    assert not [p for p in a.pairs if p.model in ("crf.start_transitions", "crf.end_transitions")]
    ambiguous = {x.model: set(x.candidates) for x in a.ambiguous}
    assert ambiguous["crf.end_transitions"] == {"layers/crf/vars/1", "layers/crf/vars/2"}
