"""What a seventh new user ran into with TensorFlow's and Keras' checkpoint workflows, fixed outside match/; each test
fails on the code before its fix. What the trial found inside match/ is written down apart
(/work/coord/trial7-match-findings.py), not fixed here.

The files are written by TensorFlow and Keras 3 in tests/trial7_oracle.py, one subprocess for the session, which also
gives TensorFlow the name `ckpt-doctor latest` prints, verbatim, and reports what it did.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from oracle_run import run_oracle

from ckpt_doctor import open_checkpoint
from ckpt_doctor.catalog import BOOKKEEPING_KINDS
from ckpt_doctor.cli import main

VALUE = "/.ATTRIBUTES/VARIABLE_VALUE"


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("trial7")
    run_oracle("trial7_oracle.py", str(out))
    return out, json.loads((out / "trial7.json").read_text())


@pytest.mark.parametrize("case", ["opt", "lso"])
def test_a_keras_optimizer_under_any_name_is_optimizer_state(saved, case):
    """Before: `tf.train.Checkpoint(opt=keras.optimizers.Adam(), net=model)` (the optimizer under a name not ending in
    "optimizer") had Adam's momentums and velocities, the learning rate and a LossScaleOptimizer's dynamic_scale
    counted as model values, and the model's own weights shown at `opt/_trainable_variables/N` (TF stores each value
    once, under the first path it meets). Now a node with a Keras optimizer's children is an optimizer: the model values
    are exactly the net's, at the object paths a checkpoint of the net alone has."""
    _, facts = saved
    keras = facts["keras"]
    catalog = open_checkpoint(keras[case]["prefix"])
    net_only = [k[:-len(VALUE)] for k in keras[f"{case}_net_only" if case == "lso" else "net_only"]["keys"]
                if k.startswith("net/")]
    assert len(net_only) == 4
    assert sorted(e.object_path for e in catalog.variables()) == sorted(net_only)
    optimizer_state = [e.name for e in catalog.values() if e.name.startswith("opt/")
                       and not e.name.startswith("opt/_trainable_variables/")]
    assert len(optimizer_state) >= 10  # Adam: iterations, learning rate, 4 momentums, 4 velocities
    assert all(catalog[n].kind in BOOKKEEPING_KINDS for n in optimizer_state)


def test_latest_names_a_sharded_v1_save_as_tensorflow_does(saved, capsys):
    """Before: `latest` on a directory of `Saver(write_version=V1, sharded=True)` printed `model.ckpt-1`, which
    tf.train.load_checkpoint and Saver.restore refuse (no such file), with the note that the state file's
    `model.ckpt-1-?????-of-00001` "does not exist"; that name, which tf.train.latest_checkpoint returns, was refused
    by every verb. Now `latest` prints TensorFlow's own name, TensorFlow restores every value from it verbatim, and
    ckpt-doctor opens it."""
    out, facts = saved
    tf1 = facts["tf1"]
    assert tf1["latest_exit"] == 0
    assert tf1["printed"] == tf1["tf_latest"] == f"{out}/v1s/model.ckpt-1-?????-of-00001"
    assert tf1["load_checkpoint_keys"] == tf1["saved_names"]
    assert tf1["restored"] is True
    assert main(["latest", str(out / "v1s")]) == 0
    assert "does not exist" not in capsys.readouterr().err
    assert sorted(open_checkpoint(tf1["printed"])) == tf1["saved_names"]
    assert main(["inspect", tf1["printed"]]) == 0
    assert tf1["printed"] in capsys.readouterr().out
    # a missing shard of such a save is named, as for V2 bundles
    broken = out / "v1s_broken"
    shutil.copytree(out / "v1s", broken)
    shard = broken / "model.ckpt-1-00000-of-00001"
    shard.rename(broken / "model.ckpt-1-00000-of-00002")  # as if its second shard were lost
    (broken / "checkpoint").unlink()  # it names the original directory's save by its absolute path
    assert main(["latest", str(broken), "--json"]) == 1
    listed = json.loads(capsys.readouterr().out)["checkpoints"]
    assert listed == [{"prefix": f"{broken}/model.ckpt-1-?????-of-00002", "format": "tf-v1", "step": 1,
                       "complete": False, "missing_files": [f"{broken}/model.ckpt-1-00001-of-00002"]}]


def test_the_meta_of_a_v1_checkpoint_opens_it(saved, capsys):
    """Before: `inspect model.ckpt.meta` beside a V1 checkpoint (`Saver(write_version=V1)`) said "a TF1 graph
    (MetaGraphDef) without its checkpoint next to it"; the README says a `.meta` names its checkpoint."""
    out, facts = saved
    assert main(["inspect", str(out / "v1" / "model.ckpt.meta")]) == 0
    assert "model.ckpt.meta is the graph (MetaGraphDef); opened its checkpoint model.ckpt" in capsys.readouterr().out
    assert sorted(open_checkpoint(out / "v1" / "model.ckpt.meta")) == facts["tf1"]["v1_keys"]
    assert sorted(open_checkpoint(out / "v1s" / "model.ckpt-1.meta")) == facts["tf1"]["saved_names"]


def test_a_directory_of_saved_models_names_them_not_their_variables(saved, capsys):
    """Before: a directory of SavedModels (tf.saved_model.save per epoch, tf-keras ModelCheckpoint without .h5) was
    answered with "name one in a subdirectory: sm/ep01/variables/, sm/ep02/variables/"; now the SavedModel
    directories themselves, which every verb opens."""
    out, facts = saved
    sm = out / "sm"
    assert main(["latest", str(sm)]) == 1
    err = capsys.readouterr().err
    assert f"name one in a subdirectory: {sm}/ep01/, {sm}/ep02/" in err and "variables/" not in err, err
    named = err.rsplit(", ", 1)[1].strip()
    assert sorted(open_checkpoint(named)) == facts["saved_model"]["keys"]


def test_a_binary_state_file_is_said_to_be_one(saved, capsys):
    """Before: a `checkpoint` state file of garbage bytes was quoted back in the note as a line of surrogate escapes
    (`cannot parse 'nF\\x15\\udcd1s...'`); now it is said to be binary, and the newest checkpoint is still found."""
    out, facts = saved
    mgr = out / "mgr_garbage"
    shutil.copytree(out / "mgr", mgr)
    (mgr / "checkpoint").write_bytes(bytes(range(256)) + os.urandom(64))
    assert main(["latest", str(mgr)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"{mgr}/{os.path.basename(facts['manager']['latest'])}"
    assert "(binary data, not a text-format CheckpointState); ignoring it" in captured.err
    assert "\\udc" not in captured.err and "\\x" not in captured.err, captured.err


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_a_directory_where_the_index_belongs_and_an_index_under_another_name(saved, capsys):
    """Before: a directory named `ckpt-3.index` made `ckpt-3` a complete checkpoint to `latest` (which printed it), and
    `inspect ckpt-3` answered "no such checkpoint; nearest existing: ckpt-3, ckpt-3.index"; an index copied to
    `weights.h5` was "not a checkpoint format ckpt-doctor recognises". Now each is said to be what it is."""
    out, facts = saved
    mgr = out / "mgr_dir"
    shutil.copytree(out / "mgr", mgr)
    newest = os.path.basename(facts["manager"]["latest"])
    index = mgr / f"{newest}.index"
    shutil.copy(index, out / "weights.h5")
    index.unlink()
    index.mkdir()
    err = _error(capsys, ["inspect", str(mgr / newest)])
    assert f"{newest}.index is a directory, not a TensorFlow checkpoint index file" in err, err
    assert main(["latest", str(mgr), "--json"]) == 0  # before: the state file's ckpt-3, "complete"
    found = json.loads(capsys.readouterr().out)
    assert found["latest"] == f"{mgr}/ckpt-2"
    assert [(c["prefix"], c["missing_files"]) for c in found["checkpoints"]] == [
        (f"{mgr}/ckpt-2", []), (f"{mgr}/{newest}", [f"{index}"])]
    err = _error(capsys, ["inspect", str(out / "weights.h5")])
    assert "a TensorFlow checkpoint index under another name" in err, err


def test_align_rewrite_writes_keras3_weights_for_a_subclassed_model(saved):
    """Before: `align FUNCTIONAL.weights.h5 --model subclassed --rewrite OUT.weights.h5` was refused ("Keras 3 weights
    are named by object path (layers/dense/vars/0, ...): map the names there with rules first (e.g. 'dec/vars/0')"):
    a subclassed model's paths are its attributes', under no `layers/` root; and a file written without Keras'
    root `vars` group was not read back as Keras weights. Now the file is written, and Keras 3 load_weights(OUT)
    gives the subclassed model every value of the functional one."""
    _, facts = saved
    rewrite = facts["keras_rewrite"]
    assert rewrite["exit"] == 0, rewrite["stderr"]
    assert rewrite["loaded"] is True


def test_a_mistyped_root_is_refused_naming_the_roots(saved, capsys):
    """Before: `diagnose DIR --model M --root modle` (for tf.train.Checkpoint(model=m)) compared under a root the
    object graph does not have and said every model variable would keep its initial value. Now the root is checked
    against the object graph, and the roots it has are named."""
    out, _ = saved
    mgr = str(out / "mgr")
    for verb in ("diagnose", "align"):
        err = _error(capsys, [verb, mgr, "--model", mgr, "--root", "wieghts"])
        assert "root 'wieghts': the checkpoint's object graph has no such object at its root (it has " in err, err
        assert "step" in err and "save_counter" in err, err
    assert main(["diagnose", mgr, "--model", mgr, "--root", "w"]) in (0, 1)
    assert "Error" not in capsys.readouterr().err


def test_a_rule_that_changes_nothing_is_named(saved, capsys, tmp_path):
    """Before: `rewrite CKPT --rules R -o OUT` with a mistyped scope in R (`modle/` for `net/`) wrote an unchanged
    copy, "0 renamed", and said nothing of the rule; now the rule that changed no entry is named."""
    out, facts = saved
    rules = tmp_path / "rules.yaml"
    rules.write_text('format: ckpt-doctor-rules\nversion: 1\nrules:\n  - prefix: {from: "nte/", to: "model/"}\n'
                     '  - prefix: {from: "net/", to: "model/"}\n')
    assert main(["rewrite", str(out / "v1" / "model.ckpt"), "--rules", str(rules), "-o", str(tmp_path / "a/")]) == 0
    printed = capsys.readouterr().out
    assert "note: 1 rule(s) changed no entry (is a name mistyped? `ckpt-doctor inspect` lists the keys): " \
           "`nte/` renamed to `model/`" in printed, printed
    assert "2 renamed" in printed, printed
    assert sorted(open_checkpoint(tmp_path / "a")) == sorted(n.replace("net/", "model/")
                                                             for n in facts["tf1"]["v1_keys"])


def test_verify_of_a_directory_whose_newest_save_lost_its_data(saved, capsys):
    """Before: `verify DIR` of a CheckpointManager directory whose newest save lost its data shard checked the older
    complete save, said "OK" and exited 0 (a note on stderr only), while tf.train.latest_checkpoint returns the newest
    and restoring it raises. Now that is verify's finding: exit 1, naming the save and its missing file."""
    out, facts = saved
    manager = facts["manager"]
    newest = os.path.basename(manager["latest"])
    assert manager["lost_latest"].endswith(newest) and manager["lost_restore"] != "ok"
    assert main(["verify", str(out / "mgr_lost")]) == 1
    printed = capsys.readouterr().out
    assert f"the state file's latest checkpoint {newest} is incomplete (missing {newest}.data-?????-of-?????): " \
           "tf.train.latest_checkpoint returns it and a restore from it fails; checked instead: ckpt-2" in printed, \
        printed
    assert main(["verify", str(out / "mgr")]) == 0  # the intact directory
    assert main(["verify", str(out / "mgr_lost" / "ckpt-2")]) == 0  # the older save named itself


# -- what the trial found inside match/ (/work/coord/trial7-match-findings.py), fixed by the lead -------------------

def test_keras_by_name_with_a_shape_mismatch_loads_nothing_and_says_which_layers_changed(saved):
    """tf-keras load_weights(by_name=True) checks every shape before its one batch assignment: with `e` widened, it
    raises and no variable changes, `d/bias` (which fits) included. Before, diagnose named that failure and still
    counted `d/bias` as loaded, and its Why called `e` and `d` new in the model and gone from the file at once."""
    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    root, facts = saved
    assert facts["lead"]["byname"]["raised"] and facts["lead"]["byname"]["unchanged"]  # the oracle
    d = ckpt_doctor.diagnose(str(root / "byname" / "w.h5"), str(root / "byname" / "model.spec.json"),
                             load_with="keras-h5-by-name")
    assert d.to_json()["failure"].startswith("ValueError: Shape mismatch in layer e before anything is assigned")
    assert d.to_json()["counts"]["loaded"] == 0
    why = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name))
    assert "changed shape in the model (keep their initial values): `e` (the file's `e`" in why
    assert "new in the model" not in why and "in the file but not in the model" not in why


def test_the_printed_init_from_checkpoint_fix_with_moving_averages_runs(saved):
    """tf.train.ExponentialMovingAverage makes its averages outside the variable store, where init_from_checkpoint looks
    a name up: given by name (`'model/w/ExponentialMovingAverage': 'net/w/ExponentialMovingAverage'`) TensorFlow raised
    "Assignment map with scope only name ...". The printed init_from_checkpoint part, run verbatim by the oracle, now
    restores every variable, the averages given as variables (now every variable is given as itself)."""
    _, facts = saved
    ema = facts["lead"]["ema"]
    assert "VARIABLE.get(m, m)" in ema["init_part"] and "'model/w/ExponentialMovingAverage'" in ema["init_part"]
    assert ema["restored"] is True


def test_diagnose_with_a_rule_that_matches_nothing_says_so(saved, tmp_path):
    """A rule file with a mistyped scope (`modle/`): before, diagnose noted "names mapped by 1 rule(s)" though the rule
    changed no name."""
    import ckpt_doctor

    root, facts = saved
    rules = tmp_path / "rules.yaml"
    rules.write_text('format: ckpt-doctor-rules\nversion: 1\nrules:\n  - prefix: {from: "modle/", to: "net/"}\n')
    d = ckpt_doctor.diagnose(facts["lead"]["ema"]["prefix"], str(root / "ema" / "model.spec.json"), rules=str(rules))
    note = next(n for n in d.checkpoint.notes if n.startswith("names mapped by"))
    assert note.startswith("names mapped by 0 of 1 rule(s); 1 changed no name") and "`modle/`" in note


def test_tf_keras_load_weights_that_matches_nothing_but_the_root_is_a_failure(saved):
    """A Functional tf-keras model's save_weights (TF format, `layer_with_weights-0/kernel`) into a subclassed model of
    the same layers (`e/kernel`): tf-keras load_weights(prefix) raises AssertionError, assigning nothing (the oracle).
    Before, diagnose (whose header names that call) said every value is missing and named no failure."""
    import ckpt_doctor

    root, facts = saved
    assert "Nothing except the root object matched" in facts["lead"]["tfk"]["raised"]
    d = ckpt_doctor.diagnose(facts["lead"]["tfk"]["prefix"], str(root / "tfk" / "model.spec.json"))
    assert d.loader.name == "checkpoint" and d.to_json()["counts"]["loaded"] == 0
    assert "raises AssertionError" in d.to_json()["failure"]


def test_a_renamed_dict_key_is_a_candidate_never_a_pair(saved):
    """A tf.Module's `self.d = {"a": ...}` became `{"alpha": ...}` (tf.train.Checkpoint restores `d/b` and `w` and
    leaves `d/alpha` at its initial value). Before, align called `d/alpha` new and diagnose's Why said it has "no
    counterpart in the checkpoint at all", though `model/d/a` is the one unused value of its shape under the same
    parent. It is listed as the candidate now; one rename proves no rule, so it is not paired."""
    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    root, _ = saved
    d = ckpt_doctor.diagnose(str(root / "dictkey"), str(root / "dictkey.spec.json"))
    a = ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)
    assert [(x.model, [c.split("/.ATTRIBUTES")[0] for c in x.candidates]) for x in a.ambiguous] == \
        [("d/alpha", ["model/d/a"])]
    assert "d/alpha" not in {p.model for p in a.pairs}
    assert "no counterpart in the checkpoint at all" not in render(d, a)
