"""Finding the latest checkpoint: TF's state-file semantics plus moved directories, missing state files and
incomplete checkpoints."""

import shutil
from pathlib import Path

import pytest

from ckpt_doctor import discover, latest_checkpoint, open_checkpoint
from ckpt_doctor.formats.discovery import parse_state_file

KERAS = Path(__file__).parent / "data" / "corpus" / "tf-keras" / "lso_ckpt_tf2.2"


def _copy_as(src_prefix: Path, dst_prefix: Path, drop_shard: int | None = None) -> None:
    for f in src_prefix.parent.iterdir():
        if f.name.startswith(src_prefix.name + ".") and not f.name.endswith(f"data-{drop_shard:05d}-of-00002"
                                                                                if drop_shard is not None else "\0"):
            target = dst_prefix.parent / (dst_prefix.name + f.name[len(src_prefix.name):])
            target.write_bytes(f.read_bytes())


def test_relative_state_file(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(KERAS, d)
    assert latest_checkpoint(d) == str(d / "ckpt")
    found = discover(d)
    assert found.state_file == str(d / "checkpoint") and found.notes == []


def test_absolute_paths_in_moved_directory_fall_back_with_a_note(tmp_path):
    d = tmp_path / "moved"
    d.mkdir()
    _copy_as(KERAS / "ckpt", d / "model.ckpt-7")
    (d / "checkpoint").write_text('model_checkpoint_path: "/old/place/model.ckpt-7"\n'
                                  'all_model_checkpoint_paths: "/old/place/model.ckpt-7"\n')
    found = discover(d)
    assert found.latest == str(d / "model.ckpt-7")
    assert any("/old/place/model.ckpt-7" in n and "moved" in n for n in found.notes)
    assert "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE" in open_checkpoint(d)


def test_a_state_file_naming_a_missing_save_is_where_tensorflow_finds_nothing(tmp_path):
    # trial7: `latest` falls back to a complete save where the state file names one that is gone (a copied or moved
    # run directory, a deleted newest save); TensorFlow returns None there, so a script that resumes from
    # tf.train.latest_checkpoint starts over: the note says so, and TensorFlow itself is asked
    import json

    from oracle_run import run_oracle

    moved, deleted = tmp_path / "moved", tmp_path / "deleted"
    moved.mkdir()
    deleted.mkdir()
    _copy_as(KERAS / "ckpt", moved / "model.ckpt-7")
    (moved / "checkpoint").write_text('model_checkpoint_path: "/old/place/model.ckpt-7"\n')
    _copy_as(KERAS / "ckpt", deleted / "ckpt-1")
    (deleted / "checkpoint").write_text('model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-1"\n'
                                        'all_model_checkpoint_paths: "ckpt-2"\n')
    tf_says = json.loads(run_oracle("latest_oracle.py", str(moved), str(deleted)))
    assert tf_says == {str(moved): None, str(deleted): None}
    for d, picked in ((moved, moved / "model.ckpt-7"), (deleted, deleted / "ckpt-1")):
        found = discover(d)
        assert found.latest == str(picked)
        assert any("tf.train.latest_checkpoint returns None" in n for n in found.notes), found.notes


def test_no_state_file_picks_highest_step_numerically(tmp_path):
    for step in (1, 2, 10):
        _copy_as(KERAS / "ckpt", tmp_path / f"ckpt-{step}")
    found = discover(tmp_path)
    assert found.latest == str(tmp_path / "ckpt-10")
    assert [c.step for c in found.checkpoints] == [1, 2, 10]
    assert any("no `checkpoint` state file" in n for n in found.notes)


def test_incomplete_checkpoints_are_reported_and_skipped(tmp_path):
    _copy_as(KERAS / "ckpt", tmp_path / "ckpt-1")
    _copy_as(KERAS / "ckpt", tmp_path / "ckpt-2", drop_shard=1)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "ckpt-2"\n')
    found = discover(tmp_path)
    assert found.latest == str(tmp_path / "ckpt-1")
    incomplete = [c for c in found.checkpoints if not c.complete]
    assert [c.prefix for c in incomplete] == [str(tmp_path / "ckpt-2")]
    assert incomplete[0].missing_files == [str(tmp_path / "ckpt-2.data-00001-of-00002")]
    assert any("incomplete" in n and "ckpt-2" in n for n in found.notes)


def test_data_files_without_index_are_incomplete(tmp_path):
    _copy_as(KERAS / "ckpt", tmp_path / "ckpt-3")
    (tmp_path / "ckpt-3.index").unlink()
    found = discover(tmp_path)
    assert found.latest is None
    assert found.checkpoints[0].missing_files == [str(tmp_path / "ckpt-3.index")]


def test_state_file_escapes(tmp_path):
    p = tmp_path / "checkpoint"
    p.write_text('model_checkpoint_path: "dir\\\\with \\"quotes\\"/caf\\303\\251-3"\n'
                 'all_model_checkpoint_paths: "a"\nall_model_checkpoint_paths: "b"\n'
                 "all_model_checkpoint_timestamps: 1700000000.5\nlast_preserved_timestamp: 1699999999.25\n")
    state = parse_state_file(str(p))
    assert state["model_checkpoint_path"] == 'dir\\with "quotes"/café-3'
    assert state["all_model_checkpoint_paths"] == ["a", "b"]
    assert state["all_model_checkpoint_timestamps"] == [1700000000.5]


def test_unparseable_state_file_is_a_note_not_a_crash(tmp_path):
    _copy_as(KERAS / "ckpt", tmp_path / "ckpt-4")
    (tmp_path / "checkpoint").write_text("this is not { a state file")
    found = discover(tmp_path)
    assert found.latest == str(tmp_path / "ckpt-4")
    assert any("could not parse" in n for n in found.notes)


def test_v1_file_is_found_in_a_directory(tmp_path):
    v1 = Path(__file__).parent / "data" / "corpus" / "tf-serving" / "v1_half_plus_two" / "export-00000-of-00001"
    (tmp_path / "export-00000-of-00001").write_bytes(v1.read_bytes())
    found = discover(tmp_path)
    # named as Saver records a sharded V1 save and tf.train.latest_checkpoint returns it (trial 7)
    assert [(c.prefix, c.format) for c in found.checkpoints] == [(str(tmp_path / "export-?????-of-00001"), "tf-v1")]
    assert sorted(open_checkpoint(tmp_path)) == ["a", "b"]


def test_not_a_directory(tmp_path):
    with pytest.raises(Exception, match="not a directory"):
        discover(tmp_path / "missing")
