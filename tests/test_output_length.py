"""Human output stays short on big checkpoints: ``rewrite`` / ``align --rewrite`` print counts, the rules applied
and the first renames when writing (``--dry-run`` and ``-v`` print every line, ``--json`` has everything); the
restore-check proof table keeps every row not verified and the first verified ones (``-v``: all)."""

from __future__ import annotations

import json

import numpy as np

from ckpt_doctor import Prefix, Rules
from ckpt_doctor.cli import main
from ckpt_doctor.model.spec import VariableSpec
from ckpt_doctor.restore.verified import NOT_RESTORED, VERIFIED, RestoreReport, VariableOutcome


def _big(tmp_path, n=50):
    np.savez(tmp_path / "w.npz", **{f"old/layer_{i}/kernel": np.full((2,), i, "float32") for i in range(n)},
             **{"optimizer/step": np.zeros((), "int64")})
    Rules([Prefix("old/", "new/")]).save(str(tmp_path / "rules.yaml"))
    return [str(tmp_path / "w.npz"), "--rules", str(tmp_path / "rules.yaml")]


def test_rewrite_summarises_when_writing(tmp_path, capsys):
    assert main(["rewrite", *_big(tmp_path), "-o", str(tmp_path / "a.npz")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) < 20, out
    assert "  - `old/` renamed to `new/` (50 entries)" in lines
    assert "old/layer_0/kernel -> new/layer_0/kernel" in lines
    assert "... 40 more renames (use --json or -v for all)" in lines
    assert lines[-1].startswith("wrote 51 tensors") and ": 50 renamed, 1 unchanged, 0 dropped;" in lines[-1]
    assert np.load(tmp_path / "a.npz")["new/layer_49/kernel"][0] == 49


def test_rewrite_dry_run_verbose_and_json_give_every_line(tmp_path, capsys):
    args = _big(tmp_path)
    assert main(["rewrite", *args, "-o", str(tmp_path / "a.npz"), "--dry-run"]) == 0
    assert capsys.readouterr().out.count(" -> new/") == 50
    assert main(["rewrite", *args, "-o", str(tmp_path / "b.npz"), "-v"]) == 0
    out = capsys.readouterr().out
    assert out.count(" -> new/") == 50 and "more renames" not in out
    assert main(["rewrite", *args, "-o", str(tmp_path / "c.npz"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len([m for m in doc["moves"] if m["to"].startswith("new/")]) == 50
    assert doc["rules_applied"] == [{"rule": "`old/` renamed to `new/`", "entries": 50}]


def _report(statuses):
    variables = [VariableOutcome(VariableSpec(f"layer_{i}/kernel", (2,), "float32"), s, f"k{i}",
                                 check="bit-exact" if s == VERIFIED else "keeps its initial value")
                 for i, s in enumerate(statuses)]
    return RestoreReport("ckpt", "model", "torch", variables, {f"k{i}": "used" for i in range(len(statuses))},
                         assigned=True)


def test_restore_table_keeps_the_problems_and_the_first_verified_rows():
    report = _report([VERIFIED] * 60 + [NOT_RESTORED] + [VERIFIED] * 39)
    text = report.render()
    assert "layer_60/kernel" in text and "layer_0/kernel" in text and "layer_99/kernel" not in text
    assert "... 70 more rows, all verified (use --json or -v for all)" in text
    assert len(text.splitlines()) < 60
    full = report.render(verbose=True)
    assert all(f"layer_{i}/kernel" in full for i in range(100)) and "more rows" not in full
    small = _report([VERIFIED] * 12).render()
    assert "more rows" not in small and "layer_11/kernel" in small
