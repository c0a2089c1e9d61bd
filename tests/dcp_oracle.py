#!/usr/bin/env python
"""Write PyTorch distributed (DCP) checkpoints with real torch and record what torch reads back from them.

Run as a script (one subprocess per test session)::

    python tests/dcp_oracle.py OUTDIR

Single-process saves go through ``torch.distributed.checkpoint.save``; several ranks are simulated in this one
process by driving the save planners and storage writers by hand (``create_local_plan`` per rank, one
``create_global_plan``, ``write_data`` per rank, ``finish``), which is what ``dcp.save`` does over a process
group. Every rank contributes the shards it owns as ``WriteItemType.SHARD`` items with their chunk offsets.

What torch reads back: ``format_utils.dcp_to_torch_save`` (DCP's own reassembly, single process) then
``torch.load``. ``OUTDIR/reference.json`` records per checkpoint: {"dir", "tensors": {fqn: {"dtype", "shape",
"npz_key"}}, "chunks": {fqn: n}} with values in ``OUTDIR/<id>.npz`` (raw bytes as uint8 for dtypes numpy lacks).
Checkpoints meant to be invalid (overlapping or missing chunks) are listed under "invalid" with what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint import FileSystemWriter
from torch.distributed.checkpoint.default_planner import DefaultSavePlanner
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save
from torch.distributed.checkpoint.metadata import ChunkStorageMetadata, MetadataIndex, TensorProperties
from torch.distributed.checkpoint.planner import TensorWriteData, WriteItem, WriteItemType

warnings.filterwarnings("ignore")


class _ShardPlanner(DefaultSavePlanner):
    """A rank's planner: the plain state dict as usual, plus the shards this rank owns."""

    def __init__(self, shards: dict):
        super().__init__()
        self.shards = shards  # fqn -> (offsets, local tensor, global size)

    def create_local_plan(self):
        plan = super().create_local_plan()
        extra = [WriteItem(index=MetadataIndex(fqn, torch.Size(off)), type=WriteItemType.SHARD,
                           tensor_data=TensorWriteData(chunk=ChunkStorageMetadata(torch.Size(off), t.size()),
                                                       properties=TensorProperties.create_from_tensor(t),
                                                       size=torch.Size(size)))
                 for fqn, (off, t, size) in self.shards.items()]
        self.plan = dataclasses.replace(plan, items=list(plan.items) + extra)
        return self.plan

    def resolve_data(self, write_item):
        if write_item.index.fqn in self.shards:
            return self.shards[write_item.index.fqn][1]
        return super().resolve_data(write_item)


def save_ranks(path: str, ranks: list[tuple[dict, dict]], thread_count: int = 1, validate: bool = True,
               **writer_options) -> None:
    """Save as ``len(ranks)`` ranks: each (replicated state dict, {fqn: (offsets, shard, global size)}).

    ``validate=False`` skips torch's own check of the chunks (torch 2.13 refuses overlaps and holes at save;
    earlier versions only logged a warning, and a custom planner or a damaged file can still produce them)."""
    import torch.distributed.checkpoint.default_planner as dp

    checker = dp._validate_global_plan
    if not validate:
        dp._validate_global_plan = lambda *a, **k: []
    planners, writers, plans = [], [], []
    for r, (sd, shards) in enumerate(ranks):
        planner, writer = _ShardPlanner(shards), FileSystemWriter(path, thread_count=thread_count, **writer_options)
        writer.set_up_storage_writer(r == 0, rank=r)
        planner.set_up_planner(sd, writer.storage_meta(), r == 0)
        plans.append(writer.prepare_local_plan(planner.create_local_plan()))
        planners.append(planner)
        writers.append(writer)
    global_plans, metadata = planners[0].create_global_plan(plans)
    global_plans = writers[0].prepare_global_plan(global_plans)
    results = []
    for r in range(len(ranks)):
        final = planners[r].finish_plan(global_plans[r])
        fut = writers[r].write_data(final, planners[r])
        fut.wait()
        results.append(fut.value())
    writers[0].finish(metadata=metadata, results=results)
    dp._validate_global_plan = checker


def _grid_shards(t: torch.Tensor, rows: int, cols: int) -> list[tuple[tuple[int, int], torch.Tensor]]:
    out = []
    rs, cs = t.shape[0] // rows, t.shape[1] // cols
    for i in range(rows):
        for j in range(cols):
            r1 = t.shape[0] if i == rows - 1 else (i + 1) * rs
            c1 = t.shape[1] if j == cols - 1 else (j + 1) * cs
            out.append(((i * rs, j * cs), t[i * rs:r1, j * cs:c1].clone()))
    return out


def every_dtype(g) -> dict:
    sd = {}
    for name in ("float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool",
                 "complex64", "float8_e4m3fn", "uint16"):
        dtype = getattr(torch, name)
        if name == "bool":
            t = torch.rand(3, 5, generator=g) > 0.5
        elif dtype.is_complex:
            t = torch.randn(3, 5, dtype=dtype, generator=g)
        elif dtype.is_floating_point:
            t = (torch.randn(3, 5, generator=g) * 4).to(dtype)
        else:
            t = torch.randint(0, 100, (3, 5), generator=g).to(dtype)
        sd[f"dtypes.{name}"] = t
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 4)
    sd["transposed"] = torch.arange(12.0).reshape(3, 4).t()  # a non-contiguous view
    sd["narrowed"] = torch.arange(20.0)[5:9]  # a view at an offset into a larger storage
    return sd


def build(outdir: str) -> dict:
    g = torch.Generator().manual_seed(0)
    ref: dict = {"torch_version": torch.__version__, "checkpoints": {}, "invalid": {}}

    def record(cid: str, path: str, chunks: dict | None = None, saved: dict | None = None):
        if saved is None:  # what DCP itself reassembles from the files
            out = os.path.join(outdir, f"{cid}.pt")
            dcp_to_torch_save(path, out)
            sd = torch.load(out, weights_only=False)
        else:  # DCP's reader cannot load this serialization: the values torch was asked to save
            sd = saved
        flat: dict = {}

        def walk(node, prefix):
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, prefix + (str(k),))
            elif isinstance(node, list | tuple):
                for i, v in enumerate(node):
                    walk(v, prefix + (str(i),))
            elif isinstance(node, torch.Tensor):
                flat[".".join(prefix)] = node

        walk(sd, ())
        arrays, tensors = {}, {}
        for i, (fqn, t) in enumerate(flat.items()):
            t = t.detach().contiguous()
            arrays[f"t{i}"] = t.reshape(-1).view(torch.uint8).numpy() if t.numel() else np.zeros(0, np.uint8)
            tensors[fqn] = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape), "npz_key": f"t{i}",
                            "paths": None}
        np.savez(os.path.join(outdir, f"{cid}.npz"), **arrays)
        ref["checkpoints"][cid] = {"dir": os.path.relpath(path, outdir), "tensors": tensors, "chunks": chunks or {}}

    # 1. One process, dcp.save: every dtype, views, non-tensor values.
    path = os.path.join(outdir, "single")
    sd = every_dtype(g)
    sd["step"] = 7  # a non-tensor entry (BYTE_IO)
    dcp.save(sd, checkpoint_id=path, no_dist=True)
    record("single", path)

    # 2. A training checkpoint: model + optimizer state dicts nested, as torchtitan-style trainers save them.
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    path = os.path.join(outdir, "training")
    dcp.save({"model": model.state_dict(), "optim": opt.state_dict()}, checkpoint_id=path, no_dist=True)
    record("training", path)

    # The same model saved with torch.save (the "model" side for diagnose/align), and its weights under DCP with
    # the "module." prefix that DistributedDataParallel adds (a renaming for align to find).
    torch.save(model.state_dict(), os.path.join(outdir, "model.pt"))
    path = os.path.join(outdir, "renamed")
    dcp.save({f"module.{k}": v for k, v in model.state_dict().items()}, checkpoint_id=path, no_dist=True)
    record("renamed", path)

    # 3. Four simulated ranks: a 2x2 grid-sharded matrix, a row-sharded vector, replicated tensors, two writer
    #    threads per rank (several files per rank).
    big = torch.randn(10, 7, generator=g)
    vec = torch.arange(13, dtype=torch.int64)
    rep = {"replicated.weight": torch.randn(3, 3, generator=g), "replicated.bias": torch.randn(3, generator=g)}
    grid = _grid_shards(big, 2, 2)
    rows = [(0, 4), (4, 8), (8, 11), (11, 13)]
    ranks = []
    for r in range(4):
        shards = {"sharded.grid": (grid[r][0], grid[r][1], big.shape),
                  "sharded.rows": ((rows[r][0],), vec[rows[r][0]:rows[r][1]].clone(), vec.shape)}
        ranks.append(({k: v.clone() for k, v in rep.items()}, shards))
    path = os.path.join(outdir, "ranks")
    save_ranks(path, ranks, thread_count=2)
    record("ranks", path, {"sharded.grid": 4, "sharded.rows": 4})

    # 3b. DCP's safetensors serialization (each data file a safetensors file of its rank's chunks), two ranks.
    path = os.path.join(outdir, "st_format")
    from torch.distributed.checkpoint.filesystem import SerializationFormat

    m = torch.randn(6, 4, generator=g)
    save_ranks(path, [({"bias": torch.ones(3)}, {"m": ((0, 0), m[:3].clone(), m.shape)}),
                      ({"bias": torch.ones(3)}, {"m": ((3, 0), m[3:].clone(), m.shape)})],
               serialization_format=SerializationFormat.SAFETENSORS)
    record("st_format", path, {"m": 2}, saved={"bias": torch.ones(3), "m": m})

    # 4. Invalid: two ranks claim overlapping rows (DCP only logs a warning at save).
    t = torch.randn(6, 2, generator=g)
    path = os.path.join(outdir, "overlap")
    save_ranks(path, [({}, {"w": ((0, 0), t[0:4].clone(), t.shape)}), ({}, {"w": ((3, 0), t[3:6].clone(),
                                                                                        t.shape)})], validate=False)
    ref["invalid"]["overlap"] = {"dir": "overlap", "tensor": "w", "error": "CorruptCheckpointError", "says": "overlap"}

    # 5. Invalid: one rank's shard never written (a hole).
    path = os.path.join(outdir, "hole")
    save_ranks(path, [({}, {"w": ((0, 0), t[0:3].clone(), t.shape)}), ({}, {"w": ((4, 0), t[4:6].clone(),
                                                                                     t.shape)})], validate=False)
    ref["invalid"]["hole"] = {"dir": "hole", "tensor": "w", "error": "CorruptCheckpointError", "says": "cover"}
    return ref


def main() -> int:
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    ref = build(outdir)
    with open(os.path.join(outdir, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
