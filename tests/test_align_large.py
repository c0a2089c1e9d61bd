"""A large alignment (20k model variables) takes the one search path every alignment takes (there is no sampled
shortcut): a renamed scope, a shifted numbering and a small second rename, all found. Synthetic names stand in for
a checkpoint here; the scenario suite (bench/scenarios) checks the engine against framework-written ground
truth."""


import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.match import infer
from ckpt_doctor.model.spec import ModelSpec, VariableSpec


def _sides(layers: int):
    ckpt, model = {}, []
    for k in range(layers):
        shape = (k % 13 + 1, k % 7 + 2)
        new_k = k if k < layers // 2 else k + 1  # numbering shifts by one from the middle on
        ckpt[f"old_scope/block_{k // 10}/dense_{k}/kernel"] = shape
        ckpt[f"old_scope/block_{k // 10}/dense_{k}/bias"] = shape[1:]
        model += [(f"new_scope/block_{k // 10}/dense_{new_k}/kernel", shape),
                  (f"new_scope/block_{k // 10}/dense_{new_k}/bias", shape[1:])]
    ckpt["head/w"], ckpt["head/b"] = (5, 3), (3,)  # a small second rename, unlikely to be in the sample
    model += [("classifier/w", (5, 3)), ("classifier/b", (3,))]
    catalog = Catalog("<synthetic>", "tf-v2", {n: TensorInfo(n, "float32", s, 4) for n, s in sorted(ckpt.items())})
    spec = ModelSpec([VariableSpec(n, s, "float32", index=i) for i, (n, s) in enumerate(model)], framework="tf1",
                     source="<synthetic>")
    return catalog, spec


def _result(a):
    return ({(p.model, p.checkpoint, p.transform) for p in a.pairs}, sorted(x.model for x in a.ambiguous),
            sorted(a.missing), sorted(a.unused))


def test_large_alignment_finds_every_rule():
    catalog, spec = _sides(10_000)  # 20k model variables
    sampled = ckpt_doctor.align(catalog, spec)
    assert not hasattr(infer, "_SAMPLE_ABOVE")  # one path for every size
    pairs = {p.model: p.checkpoint for p in sampled.pairs}
    # `head` -> `classifier` shares no word beside layers explained by name: renamed, or a new head? Not guessed.
    assert {x.model: x.candidates for x in sampled.ambiguous} == {"classifier/w": ["head/w"],
                                                                  "classifier/b": ["head/b"]}
    assert pairs["new_scope/block_700/dense_7001/kernel"] == "old_scope/block_700/dense_7000/kernel"
    assert sampled.missing == [] and sampled.unused == []
    assert [type(r).__name__ for r in sampled.rules] == ["Prefix", "Renumber"]
