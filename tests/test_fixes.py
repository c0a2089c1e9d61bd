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
