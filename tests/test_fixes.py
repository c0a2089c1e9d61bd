"""Every fix diagnose prints, executed verbatim against the real framework (tests/fixes_oracle.py, in
subprocesses): the variables then hold the checkpoint's values, and a partial restore's expected misses are
exactly the variables new in the model."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def fixes(framework_verdicts) -> dict:
    return framework_verdicts.fixes


def test_every_printed_fix_restores_the_checkpoint(fixes):
    assert len(fixes) >= 20
    failed = {sid: r["problems"] for sid, r in fixes.items() if not r["ok"]}
    print("\nloader | fix snippets executed | passing")
    for loader in sorted({r["loader"] for r in fixes.values()}):
        mine = [r for r in fixes.values() if r["loader"] == loader]
        print(f"{loader} | {len(mine)} | {sum(r['ok'] for r in mine)}")
    assert not failed, json.dumps(failed, indent=1)


def test_partial_restores_expect_exactly_the_new_variables(fixes):
    partial = {sid: r for sid, r in fixes.items() if r["new_in_model"]}
    assert len(partial) >= 6
    for sid, r in partial.items():
        assert r["expected_missing"] == r["new_in_model"], sid


def test_hdf5_fixes_never_use_tf_checkpoint_reader(fixes):
    for sid, r in fixes.items():
        if ".h5" in sid or "keras" in sid:
            assert "tf.train.load_checkpoint" not in r["code"], sid


def test_an_inserted_keras_layer_is_named_as_new_not_as_reordered(fixes):
    inserted = {sid: r for sid, r in fixes.items() if sid.endswith("-inserted")}
    assert len(inserted) == 4
    for sid, r in inserted.items():
        assert "new in the model (keep their initial values): `" in r["report"], sid
        assert "reordered" not in r["report"], sid


def test_the_tf2_fix_says_the_files_optimizer_state_is_not_assigned():
    # (trial10 F4) the TF2 fix assigns the model's weights; a file that also holds Adam's moments keeps them, and a
    # run resumed after the fix starts the optimizer anew: the printed fix says so (and says nothing where none is)
    import ckpt_doctor
    from ckpt_doctor.catalog import SLOT, Catalog, TensorInfo
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    def fix(with_slots: bool) -> str:
        tensors = {"old/kernel": TensorInfo("old/kernel", "float32", (4, 3), 48)}
        if with_slots:
            tensors["old/kernel/m"] = TensorInfo("old/kernel/m", "float32", (4, 3), 48, kind=SLOT,
                                                 slot_of="old/kernel", slot_name="m")
        spec = ModelSpec([VariableSpec("new/kernel", (4, 3), "float32", index=0, keys={"position": "0/1"})],
                         framework="tf2", source="<synthetic>")
        return ckpt_doctor.align(Catalog("<synthetic>", "tf-v2", tensors), spec).tf2_assign_code()

    assert "optimizer state, 1 values" in fix(True) and "optimizer" not in fix(False)
