"""A layer resized under a renaming (a new user's first try: DISTS' shipped `weights.pt`, `alpha` and `beta`
[1, 1475, 1, 1], into a re-implementation that keeps them under `dists.` with one channel fewer in `alpha`): the
renaming that explains `beta` would give `dists.alpha` a value of another shape. The report says so, instead of
calling the variable one with no counterpart in the checkpoint at all."""

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec
from ckpt_doctor.report.diagnose import render


def _alignment():
    catalog = Catalog("<weights.pt>", "torch", {n: TensorInfo(n, "float32", (1, 1475, 1, 1), 4, written=i)
                                               for i, n in enumerate(("alpha", "beta"))})
    spec = ModelSpec([VariableSpec("dists.alpha", (1, 1474, 1, 1), "float32", index=0),
                      VariableSpec("dists.beta", (1, 1475, 1, 1), "float32", index=1)],
                     framework="torch", source="<Head>")
    return ckpt_doctor.align(catalog, spec)


def test_a_resized_variable_under_a_renaming_is_named_with_both_shapes():
    a = _alignment()
    assert not a.pairs  # (half a layer is no proven value: `dists.beta` stays open)
    assert a.resized == {"dists.alpha": "alpha"} and "dists.alpha" in a.missing
    assert a.to_json()["resized"] == {"dists.alpha": "alpha"}
    said = " ".join(a.sentences)
    assert "`dists.alpha` [1, 1474, 1, 1], `alpha` [1, 1475, 1, 1] in the checkpoint" in said


def test_the_diagnosis_does_not_call_it_a_variable_without_counterpart():
    a = _alignment()
    text = render(a.diagnosis, a)
    assert "would take a value under the renaming" in text
    assert "no counterpart in the checkpoint at all" not in text
