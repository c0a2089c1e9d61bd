"""Two wrong-pair classes of held-out part 45 (deepface's OpenFace and DeepID) at its one scoring; the names, shapes
and orders are the real files' and models'.

- A DataParallel file of two equal OpenFace towers (`module.towers.0.*`, `module.towers.1.*`) into one Keras 3
  OpenFace: the layer order took the first tower's values, while the second tower's namesakes fit as well and stay
  free. Which tower the model is, no order proves: ambiguous, with both (a list's elements are trees where the file
  holds nothing else).
- A Keras 3 DeepID with two equal heads the file records only by auto names (`dense`, `dense_1` at
  `layers/dense_2`, `layers/dense_3`) beside user-named layers of the same class (`fc11`, `fc12`) into a model
  with one head (`identity`): the path `layers/dense_2` would load the first head, but which head the model kept,
  no name says: ambiguous; the named layers stay paired."""

from recorded import align_recorded


def test_two_equal_towers_into_one_model_are_ambiguous():
    a = align_recorded("openface_two_towers.json")
    assert not [p.model for p in a.pairs if ".towers." in p.checkpoint]
    amb = {x.model: x.candidates for x in a.ambiguous}
    assert amb["conv1/kernel"] == ["module.towers.0.conv1.conv.weight", "module.towers.1.conv1.conv.weight"]


def test_two_equal_heads_of_auto_names_into_one_are_ambiguous():
    a = align_recorded("deepid_two_heads.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    amb = {x.model: x.candidates for x in a.ambiguous}
    assert "identity/kernel" not in got
    assert amb["identity/kernel"] == ["layers/dense_2/vars/0", "layers/dense_3/vars/0"]
    assert got["fc12/kernel"] == "layers/dense_1/vars/0" and got["fc11/bias"] == "layers/dense/vars/1"
