"""Tied weights: one storage under several names (T5/BART ``shared`` = ``encoder.embed_tokens`` = ``lm_head``,
GPT-2 ``lm_head`` = ``transformer.wte``, ``self.b.weight = self.a.weight``, a Keras layer holding another layer's
variable). The frameworks are the oracle: PyTorch's ``load_state_dict`` into a model filled with a sentinel shows
which parameters really receive a value and which value wins; Keras (in a subprocess: TensorFlow never enters this
process) shows what ``load_weights`` does with a variable two layers share.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
os.environ.setdefault("USE_TF", "0")  # transformers would otherwise import TensorFlow into this process
transformers = pytest.importorskip("transformers")

import ckpt_doctor  # noqa: E402
from ckpt_doctor.errors import ModelError  # noqa: E402
from ckpt_doctor.match.fixes import fix_for  # noqa: E402
from ckpt_doctor.model.spec import ModelSpec  # noqa: E402

SENTINEL = 7.25


class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(4, 4, bias=False)
        self.b = torch.nn.Linear(4, 4, bias=False)
        self.b.weight = self.a.weight  # the same Parameter under two names


class SameMemory(torch.nn.Module):
    """Two Parameter objects over the same memory: named_parameters lists both, state_dict too."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.zeros(4))
        self.b = torch.nn.Parameter(self.a.data)
        self.c = torch.nn.Parameter(torch.zeros(4))


def _tiny(kind: str):
    transformers.logging.set_verbosity_error()
    torch.manual_seed(0)
    if kind == "bart":
        return transformers.BartForConditionalGeneration(transformers.BartConfig(
            vocab_size=40, d_model=8, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=16, decoder_ffn_dim=16, max_position_embeddings=16))
    if kind == "t5":
        return transformers.T5ForConditionalGeneration(transformers.T5Config(
            vocab_size=40, d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2))
    if kind == "gpt2":
        return transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=40, n_embd=8, n_layer=1, n_head=2,
                                                                    n_positions=16))
    return Tied()


def _groups(model) -> list[list[str]]:
    """The oracle's tie groups: state_dict names over one memory, in state_dict order."""
    out: dict[int, list[str]] = {}
    for name, t in model.state_dict(keep_vars=True).items():
        out.setdefault(t.untyped_storage().data_ptr(), []).append(name)
    return [g for g in out.values() if len(g) > 1]


def _torch_verdict(build, state: dict) -> tuple[dict[str, bool], dict[str, torch.Tensor], list[str], bool]:
    """What load_state_dict(strict=False) gives a sentinel-filled model: {name: received a value}, the values,
    missing_keys; and whether strict=True raises."""
    model = build()
    with torch.no_grad():
        for t in model.state_dict(keep_vars=True).values():
            if t.is_floating_point():
                t.fill_(SENTINEL)
    result = model.load_state_dict(state, strict=False)
    live = {k: v.detach().clone() for k, v in model.state_dict().items()}
    got = {k: not bool((v == SENTINEL).all()) for k, v in live.items() if v.is_floating_point()}
    try:
        build().load_state_dict(state, strict=True)
        raises = False
    except RuntimeError:
        raises = True
    return got, live, sorted(result.missing_keys), raises


# -- the spec -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["plain", "bart", "t5", "gpt2"])
def test_live_spec_records_every_alias_with_its_owner(kind):
    model = _tiny(kind)
    spec = ckpt_doctor.load_model(model)
    groups = _groups(model)
    assert groups, "the oracle found no tie"
    expected = {alias: g[0] for g in groups for alias in g[1:]}
    assert {v.name: v.tied_to for v in spec.variables if v.tied_to} == expected
    kinds = {v.name: v.kind for v in spec.variables}
    assert all(kinds[a] == kinds[o] == "variable" for a, o in expected.items())


def test_same_memory_under_two_parameter_objects_is_a_tie():
    spec = ckpt_doctor.load_model(SameMemory())
    assert {v.name: v.tied_to for v in spec.variables} == {"a": None, "b": "a", "c": None}


def test_json_spec_keeps_ties_and_reads_the_older_spelling(tmp_path):
    spec = ckpt_doctor.load_model(_tiny("gpt2"))
    path = tmp_path / "gpt2.json"
    spec.save(path)
    doc = json.loads(path.read_text())
    assert [v["tied_to"] for v in doc["variables"] if "tied_to" in v] == ["transformer.wte.weight"]
    assert {v.name: v.tied_to for v in ModelSpec.load(path).variables} == {v.name: v.tied_to for v in spec.variables}
    old = {"variables": [{"name": "a", "shape": [2], "dtype": "float32"},
                         {"name": "b", "shape": [2], "dtype": "float32", "keys": {"tied_to": "a", "position": "1"}}]}
    b = ModelSpec.from_json(old).variables[1]
    assert (b.tied_to, b.keys) == ("a", {"position": "1"})
    for bad in ("c", "b"):  # unknown, or not earlier
        old["variables"][1]["keys"]["tied_to"] = bad
        with pytest.raises(ModelError, match="tied_to"):
            ModelSpec.from_json(old)
    old["variables"][1] = {"name": "b", "shape": [3], "dtype": "float32", "tied_to": "a"}
    with pytest.raises(ModelError, match="shape"):
        ModelSpec.from_json(old)


# -- diagnose, align, fix, restore against load_state_dict ---------------------------------------------------------

def _plain_state(which: str) -> dict:
    value = {"a.weight": torch.full((4, 4), 1.0), "b.weight": torch.full((4, 4), 2.0)}
    return {k: value[k] for k in which.split("+")}


def _hf_state(kind: str, drop_owner: bool) -> dict:
    """As save_pretrained writes it (one name per tie, the owner's), or an older file that kept an alias only."""
    model = _tiny(kind)
    groups = _groups(model)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for g in groups:
        for alias in g[1:]:
            state.pop(alias)
        if drop_owner:
            state[g[1]] = state.pop(g[0]) + 1.0  # a value no initialisation gives
    return state


CASES = {  # case -> (model kind, state builder)
    "plain-owner": ("plain", lambda: _plain_state("a.weight")),
    "plain-alias": ("plain", lambda: _plain_state("b.weight")),
    "plain-both-differ": ("plain", lambda: _plain_state("b.weight+a.weight")),
    "bart-save_pretrained": ("bart", lambda: _hf_state("bart", False)),
    "t5-save_pretrained": ("t5", lambda: _hf_state("t5", False)),
    "gpt2-save_pretrained": ("gpt2", lambda: _hf_state("gpt2", False)),
    "t5-alias-only": ("t5", lambda: _hf_state("t5", True)),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("tied")
    from safetensors.torch import save_file

    paths = {}
    for case, (_, state) in CASES.items():
        s = state()
        paths[case] = out / f"{case}.safetensors"
        save_file({k: v.contiguous() for k, v in s.items()}, paths[case])
    return paths


def _load(path) -> dict:
    from safetensors.torch import load_file

    return load_file(path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_diagnose_says_what_load_state_dict_does(case, files):
    kind, _ = CASES[case]
    got, live, missing_keys, raises = _torch_verdict(lambda: _tiny(kind), _load(files[case]))
    d = ckpt_doctor.diagnose(files[case], _tiny(kind), load_with="torch")
    weights = {r.variable.name: r for r in d.weights()}
    assert {n for n, ok in got.items() if ok} == {n for n, r in weights.items() if r.status == "loaded"}
    assert (d.failure is not None) == raises
    assert not d.not_loaded
    tied = {n for n, r in weights.items() if r.matched_by == "tie"}
    assert tied == set(missing_keys)  # load_state_dict lists them, the shared storage fills them
    assert bool(tied) != (case == "plain-both-differ")
    if raises:
        assert "Missing key(s)" in d.failure and all(n in d.failure for n in sorted(tied)[:3])
    # the value the storage ends with is the one the diagnosis names
    file = _load(files[case])
    for n in tied:
        source = weights[weights[n].via].entry.name
        assert torch.equal(live[n], file[source].to(live[n].dtype)), (n, source)
    for n, r in weights.items():  # its own entry was copied in, then overwritten through the tie
        if r.entry is not None and not torch.equal(live[n], file[r.entry.name].to(live[n].dtype)):
            holds = next(k for k, v in file.items() if torch.equal(live[n], v.to(live[n].dtype)))
            assert r.note and f"`{holds}`'s value" in r.note, (n, r.note)
    lenient = ckpt_doctor.diagnose(files[case], _tiny(kind), load_with="torch-nonstrict")
    assert lenient.ok


def test_both_names_present_the_later_in_state_dict_order_wins(files):
    _, live, _, _ = _torch_verdict(Tied, _load(files["plain-both-differ"]))
    assert float(live["a.weight"][0, 0]) == 2.0  # b.weight's value, though the file lists it first
    d = ckpt_doctor.diagnose(files["plain-both-differ"], Tied())
    a = next(r for r in d.variables if r.variable.name == "a.weight")
    assert "`b.weight`'s value" in a.note and d.ok
    report = ckpt_doctor.restore(Tied(), files["plain-both-differ"], rules=None, strict=False)
    assert {o.variable.name: o.status for o in report.variables} == {"a.weight": "mismatch", "b.weight": "verified"}


@pytest.mark.parametrize("case", sorted(set(CASES) - {"plain-both-differ"}))
def test_printed_fix_runs_verbatim_and_leaves_nothing_initial(case, files):
    kind, _ = CASES[case]
    a = ckpt_doctor.align(files[case], _tiny(kind), load_with="torch")
    assert not a.missing and not a.ambiguous
    fix = fix_for(a)
    assert fix.expected_missing == []  # a tied parameter does not keep its initial value
    model = _tiny(kind)
    with torch.no_grad():
        for t in model.state_dict(keep_vars=True).values():
            if t.is_floating_point():
                t.fill_(SENTINEL)
    exec(fix.code, {"model": model})  # noqa: S102 - the printed fix, verbatim
    _, live, _, _ = _torch_verdict(lambda: _tiny(kind), _load(files[case]))
    for k, v in model.state_dict().items():
        assert torch.equal(v, live[k]), k


def test_renamed_checkpoint_of_a_tied_model_pairs_once_and_the_fix_runs(tmp_path):
    model = _tiny("gpt2")
    state = {"module." + k: v for k, v in _hf_state("gpt2", False).items()}  # DataParallel, save_pretrained-like
    torch.save(state, tmp_path / "dp.pt")
    a = ckpt_doctor.align(tmp_path / "dp.pt", model, load_with="torch")
    assert not a.missing and a.tied == {"lm_head.weight": "transformer.wte.weight"}
    target = _tiny("gpt2")
    exec(fix_for(a).code, {"model": target})  # noqa: S102
    for k, v in target.state_dict().items():
        assert torch.equal(v, state["module." + (k if k != "lm_head.weight" else "transformer.wte.weight")]), k


@pytest.mark.parametrize("case", ["plain-alias", "bart-save_pretrained", "t5-alias-only"])
def test_restore_check_verifies_the_tied_copies(case, files):
    kind, _ = CASES[case]
    model = _tiny(kind)
    report = ckpt_doctor.restore(model, files[case], strict=False)
    assert report.ok, report.render()
    _, live, _, _ = _torch_verdict(lambda: _tiny(kind), _load(files[case]))
    for k, v in model.state_dict().items():
        assert torch.equal(v, live[k]), k
    through = [o for o in report.variables if "not assigned" in o.check]
    assert through and all(o.status == "verified" for o in through)


def test_from_pretrained_file_with_the_owner_is_fully_loaded(files, tmp_path):
    model = _tiny("bart")
    model.save_pretrained(tmp_path)
    d = ckpt_doctor.diagnose(tmp_path / "model.safetensors", _tiny("bart"))  # loader hf, inferred
    assert d.ok and d.loader.name == "hf"
    assert {r.variable.name for r in d.weights() if r.matched_by == "tie"} == \
        {"model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"}
    reference = type(model).from_pretrained(tmp_path)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in reference.state_dict().items())


def test_from_pretrained_with_only_an_alias_depends_on_the_class_and_diagnose_says_so(tmp_path):
    from safetensors.torch import save_file

    kept = {}
    for kind in ("t5", "bart"):
        model = _tiny(kind)
        model.save_pretrained(tmp_path / kind)
        state = _hf_state(kind, drop_owner=True)
        save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / kind / "model.safetensors",
                  metadata={"format": "pt"})
        owner, alias = _groups(model)[0][:2]
        loaded = type(model).from_pretrained(tmp_path / kind)
        kept[kind] = torch.equal(loaded.state_dict()[owner], state[alias])
        d = ckpt_doctor.diagnose(tmp_path / kind / "model.safetensors", _tiny(kind))
        assert d.loader.name == "hf" and any(n.startswith(f"{owner} has no value") and "depends on the model class"
                                             in n for n in d.notes), d.notes
    assert kept == {"t5": True, "bart": False}  # what the note says of transformers 4.46


# -- Keras: a variable two layers share ------------------------------------------------------------------------------

KERAS = textwrap.dedent("""\
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    legacy = os.environ.get("TF_USE_LEGACY_KERAS") == "1"
    import numpy as np, h5py
    import tensorflow as tf
    keras = __import__("tf_keras" if legacy else "keras")
    import ckpt_doctor

    class TiedDense(keras.layers.Layer):
        def __init__(self, emb, **kw):
            super().__init__(**kw)
            self.emb = emb

        def build(self, shape):
            self.kernel = self.emb.embeddings  # the embedding layer's variable, shared
            self.bias = self.add_weight(shape=(self.emb.input_dim,), initializer="zeros", name="bias")

        def call(self, x):
            return tf.matmul(x, self.kernel, transpose_b=True) + self.bias

    def build():
        inp = keras.Input((3,), dtype="int32")
        emb = keras.layers.Embedding(10, 4, name="emb")
        return keras.Model(inp, TiedDense(emb, name="head")(emb(inp)))

    out = sys.argv[1]
    path = os.path.join(out, "w.h5" if legacy else "w.weights.h5")
    m = build()
    m.save_weights(path)
    ckpt_doctor.load_model(m).save(os.path.join(out, "spec.json"))
    datasets = []
    with h5py.File(path, "r+") as f:  # give each stored copy of the shared variable its own value
        f.visititems(lambda n, o: datasets.append(n) if isinstance(o, h5py.Dataset) else None)
        copies = [n for n in datasets if tuple(f[n].shape) == (10, 4)]
        for i, n in enumerate(copies):
            f[n][...] = float(i + 1)
    fresh = build()
    fresh.load_weights(path)
    emb = fresh.get_layer("emb").embeddings.numpy()
    json.dump({"copies": copies, "value": float(emb[0, 0]), "variables": len(fresh.weights)},
              open(os.path.join(out, "verdict.json"), "w"))
    """)


TF_BART = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import transformers
    import ckpt_doctor

    transformers.logging.set_verbosity_error()
    out = sys.argv[1]
    m = transformers.TFBartModel.from_pretrained(os.path.join(out, "pt"), from_pt=True)
    ckpt_doctor.load_model(m).save(os.path.join(out, "spec.json"))
    np.savez(os.path.join(out, "values.npz"), **{v.name.removesuffix(":0"): v.numpy() for v in m.weights})
    """)


TF_T5 = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf
    import torch
    import transformers
    import ckpt_doctor

    transformers.logging.set_verbosity_error()
    out = sys.argv[1]
    config = transformers.T5Config(vocab_size=40, d_model=8, d_kv=4, d_ff=16, num_layers=2, num_heads=2)
    # PyTorch -> TF: from_pt is the truth
    m = transformers.TFT5Model.from_pretrained(os.path.join(out, "pt"), from_pt=True)
    ckpt_doctor.load_model(m).save(os.path.join(out, "tf_spec.json"))
    np.savez(os.path.join(out, "tf_values.npz"), **{v.name.removesuffix(":0"): v.numpy() for v in m.weights})
    # TF -> PyTorch: the TF model's own file (the shared table saved three times), from_tf the truth
    tf.random.set_seed(3)
    t = transformers.TFT5Model(config)
    t(t.dummy_inputs)
    t.save_pretrained(os.path.join(out, "tf"))
    p = transformers.T5Model.from_pretrained(os.path.join(out, "tf"), from_tf=True)
    ckpt_doctor.load_model(p).save(os.path.join(out, "pt_spec.json"))
    np.savez(os.path.join(out, "pt_values.npz"), **{k: v.numpy() for k, v in p.state_dict().items()})
    """)


@pytest.fixture(scope="module")
def keras_runs(tmp_path_factory):
    """Keras 3 and tf-keras with a shared variable; transformers' TFBartModel from a PyTorch file (from_pt)."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tensorflow and tf-keras are the oracle")
    root = tmp_path_factory.mktemp("keras_tied")
    (root / "oracle.py").write_text(KERAS)
    (root / "tf_bart.py").write_text(TF_BART)
    (root / "tf_t5.py").write_text(TF_T5)
    _tiny("bart").model.save_pretrained(root / "tfbart" / "pt")  # a BartModel file
    torch.manual_seed(1)
    transformers.T5Model(transformers.T5Config(vocab_size=40, d_model=8, d_kv=4, d_ff=16, num_layers=2,
                                               num_heads=2)).save_pretrained(root / "tft5" / "pt")
    procs = {}
    for name, legacy in (("keras3", "0"), ("tfkeras", "1"), ("tfbart", "1"), ("tft5", "1")):
        (root / name).mkdir(exist_ok=True)
        env = dict(os.environ, TF_USE_LEGACY_KERAS=legacy, PYTHONPATH=str(Path(ckpt_doctor.__file__).parents[1]),
                   CUDA_VISIBLE_DEVICES="", USE_TORCH="0")
        env.pop("USE_TF", None)
        if name == "tft5":  # from_pt / from_tf need both frameworks
            env.pop("USE_TORCH")
        script = root / {"tfbart": "tf_bart.py", "tft5": "tf_t5.py"}.get(name, "oracle.py")
        procs[name] = subprocess.Popen([sys.executable, str(script), str(root / name)], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for proc in procs.values():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
    return root


@pytest.mark.parametrize("name", ["keras3", "tfkeras"])
def test_keras_variable_shared_by_two_layers_loads_from_each(name, keras_runs):
    out = keras_runs / name
    verdict = json.loads((out / "verdict.json").read_text())
    assert len(verdict["copies"]) == 2 and verdict["variables"] == 2  # written twice, one variable
    assert verdict["value"] == 2.0  # the later layer's copy wins
    path = out / ("w.weights.h5" if name == "keras3" else "w.h5")
    spec = ModelSpec.load(out / "spec.json")
    d = ckpt_doctor.diagnose(path, spec)
    assert d.ok and not d.entries_with("unused"), d.to_json()
    owner = next(r for r in d.variables if r.variable.name == "emb/embeddings")
    assert f"`{verdict['copies'][1].removesuffix(':0')}`'s value" in owner.note  # the later copy


def test_pt_to_tf_seq2seq_shared_embedding_pairs_as_transformers_names_it(keras_runs):
    # TFBartModel names its shared embedding by the PyTorch path: `model.shared/model.shared/embeddings`; from_pt
    # fills it from `shared.weight` (a BartModel file). Every pair is checked against the values from_pt loaded.
    out = keras_runs / "tfbart"
    a = ckpt_doctor.align(out / "pt" / "model.safetensors", ModelSpec.load(out / "spec.json"))
    assert not a.ambiguous and not a.missing and not a.unused
    assert {p.model: p.checkpoint for p in a.pairs}["model.shared/model.shared/embeddings"] == "shared.weight"
    values = np.load(out / "values.npz")
    catalog = ckpt_doctor.open_checkpoint(out / "pt" / "model.safetensors")
    for p in a.pairs:
        value = catalog[p.checkpoint].read()
        assert np.array_equal(values[p.model], value.T if p.transform == "transpose" else value), p


def test_t5_shared_embedding_across_frameworks_pairs_through_its_owner(keras_runs):
    # PyTorch -> TF: TFT5Model's `shared/shared/embeddings` is also `encoder/embeddings` and `decoder/embeddings`
    # (tied); the file has one `shared.weight`, and the owner's name gains no `tft5_model/` as its blocks do.
    # TF -> PyTorch: tf_model.h5 saves the shared table three times (`shared/...`, `encoder/shared/...`,
    # `decoder/shared/...`) with the same numbers: which one the owner takes does not matter, and they are read
    # and compared to know it. from_pt / from_tf are the truth: every pair gives the value they loaded.
    out = keras_runs / "tft5"
    for ckpt, spec, values in ((out / "pt" / "model.safetensors", "tf_spec.json", "tf_values.npz"),
                               (out / "tf" / "tf_model.h5", "pt_spec.json", "pt_values.npz")):
        a = ckpt_doctor.align(ckpt, ModelSpec.load(out / spec))
        assert not a.ambiguous and not a.missing, (ckpt.name, a.ambiguous, a.missing)
        assert len(a.tied) == 2, a.tied  # the two aliases of the shared table, filled through the tie
        truth = np.load(out / values)
        catalog = ckpt_doctor.open_checkpoint(ckpt)
        for p in a.pairs:
            value = catalog[a.checkpoint_names.get(p.checkpoint, p.checkpoint)].read()
            assert np.array_equal(truth[p.model], value.T if p.transform == "transpose" else value), p
        assert set(truth.files) <= {p.model for p in a.pairs} | set(a.tied)  # every value the truth loaded
        # Hugging Face's TF layer names (`block_._0`: one name with a dot in it) are one convention each way
        said = " ".join(a.sentences)
        assert ("`block/N` -> `block_._N`" in said) if spec == "tf_spec.json" else ("`block_._N` -> `block.N`" in said)
    a = ckpt_doctor.align(out / "tf" / "tf_model.h5", ModelSpec.load(out / "pt_spec.json"))
    assert {p.model: p.checkpoint for p in a.pairs}["shared.weight"] == "shared/shared/embeddings"
    assert sorted(a.unused) == ["decoder/shared/shared/embeddings", "encoder/shared/shared/embeddings"]
    assert any("copies, nothing lost" in s for s in a.sentences)
    # the printed PyTorch fix, run as printed, gives the model every value from_tf gave it
    model = transformers.T5Model(transformers.T5Config(vocab_size=40, d_model=8, d_kv=4, d_ff=16, num_layers=2,
                                                       num_heads=2))
    exec(a.torch_code(), {"model": model})
    truth = np.load(out / "pt_values.npz")
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), truth[k]), k
