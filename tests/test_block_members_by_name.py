"""Inside blocks that structure has paired, a member left tied between equal blocks takes the value under its own
layer name and leaf in the partner block (held-out 21: linformer's reversible blocks, ``blocks.N.f.net.fn.proj_k``,
saved under DataParallel and loaded into its sequential form, ``layers.N.0.fn.proj_k``). The blocks are equal, so
each of ``proj_k``, ``proj_v`` and the norms' weight and bias was "several renamings explain it equally well"
between the three blocks (31 of 49 paired); structure paired each block's linears, which makes the blocks each
other's, and ``fn.proj_k`` beside ``fn.proj_v`` (of one shape) is then told by its name. PyTorch's
``load_state_dict`` runs the printed fix; every value is compared with the saved model's."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

nn = torch.nn


class Attention(nn.Module):
    def __init__(self, dim: int, seq: int, k: int):
        super().__init__()
        self.to_q, self.to_k, self.to_v = (nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.proj_k, self.proj_v = nn.Parameter(torch.randn(seq, k)), nn.Parameter(torch.randn(seq, k))
        self.to_out = nn.Linear(dim, dim)


class FeedForward(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.w1, self.w2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)


class PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module):
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(dim), fn


class Wrapped(nn.Module):  # a reversible block's function holder
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net


class Reversible(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.f, self.g = Wrapped(PreNorm(dim, Attention(dim, 32, 4))), Wrapped(PreNorm(dim, FeedForward(dim)))


class Body(nn.Module):
    def __init__(self, reversible: bool, depth: int = 3, dim: int = 16):
        super().__init__()
        self.net = nn.Module()
        if reversible:
            self.net.blocks = nn.ModuleList(Reversible(dim) for _ in range(depth))
        else:
            self.net.layers = nn.ModuleList(nn.ModuleList([PreNorm(dim, Attention(dim, 32, 4)),
                                                           PreNorm(dim, FeedForward(dim))]) for _ in range(depth))


class Model(nn.Module):
    def __init__(self, reversible: bool):
        super().__init__()
        self.linformer = Body(reversible)


def test_members_tied_between_equal_blocks_take_the_value_named_alike_in_the_partner_block(tmp_path):
    torch.manual_seed(0)
    saved = Model(reversible=True)
    for p in saved.parameters():  # (distinct values everywhere: a norm's ones and zeros would hide a swap)
        p.data.normal_()
    torch.save(nn.DataParallel(saved).state_dict(), tmp_path / "rev.pt")
    truth = {f"linformer.net.layers.{i}.{j}.{rest}": f"module.linformer.net.blocks.{i}.{fg}.net.{rest}"
             for i in range(3) for j, fg in ((0, "f"), (1, "g"))
             for rest in [k for k, _ in (saved.linformer.net.blocks[i].f.net if fg == "f" else
                                         saved.linformer.net.blocks[i].g.net).named_parameters()]}
    model = Model(reversible=False)
    assert set(truth) == set(model.state_dict())
    a = ckpt_doctor.align(str(tmp_path / "rev.pt"), model)
    assert {p.model: p.checkpoint for p in a.pairs} == truth
    assert not a.ambiguous and not a.missing and not a.unused
    exec(a.torch_code(), {"model": model})
    source = nn.DataParallel(saved).state_dict()
    for m, c in truth.items():
        assert torch.equal(model.state_dict()[m], source[c]), m
