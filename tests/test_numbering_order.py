"""Numbered families changed in two places: no single renumbering explains them, the layers' order does (where it
is unique). PyTorch writes the file and is the model; the truth is by construction (values copied layer by layer)."""

from __future__ import annotations

import torch
from torch import nn

import ckpt_doctor


def test_sequential_indices_that_drift_unevenly_with_an_inserted_copy_pair_by_order_or_stay_undecided(tmp_path):
    # (found by the mutation probe) the file's features.{0,2,4,6} (convs between ReLUs) are the model's
    # features.{0,3,7,10} (norms added), and a copy of the middle conv inserted at 6. The best renumbering (+4 from
    # 2) paired the copy with features.2 by shape and called features.4 new; the model's three equal convs at 3, 6
    # and 7 take the file's two equal ones in order, but which of the three is the copy, nothing says
    torch.manual_seed(0)
    conv = nn.Conv2d
    saved = nn.Module()
    saved.features = nn.Sequential(conv(3, 16, 3), nn.ReLU(), conv(16, 16, 3), nn.ReLU(), conv(16, 16, 3), nn.ReLU(),
                                   conv(16, 32, 3))
    model = nn.Module()
    model.features = nn.Sequential(conv(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), conv(16, 16, 3), nn.BatchNorm2d(16),
                                   nn.ReLU(), conv(16, 16, 3), conv(16, 16, 3), nn.BatchNorm2d(16), nn.ReLU(),
                                   conv(16, 32, 3))
    source = {0: 0, 3: 2, 7: 4, 10: 6}  # model index -> file index (6: the inserted copy, new)
    with torch.no_grad():
        for m, f in source.items():
            model.features[m].load_state_dict(saved.features[f].state_dict())
    path = tmp_path / "model.pt"
    torch.save(saved.state_dict(), path)
    a = ckpt_doctor.align(str(path), model)
    pairs = {p.model: p.checkpoint for p in a.pairs if p.model.startswith("features.")}
    for m, c in pairs.items():  # no pair the construction contradicts
        index = int(m.split(".")[1])
        assert source.get(index) == int(c.split(".")[1]) and m.split(".", 2)[2] == c.split(".", 2)[2], (m, c)
    assert {"features.0.weight", "features.10.weight"} <= set(pairs)
    assert {f"features.{k}.weight" for k in (3, 6, 7)} <= {x.model for x in a.ambiguous}

