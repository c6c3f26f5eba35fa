"""Embedding golden values: lookup (F32 and BF16 tables) with Gemma's sqrt(hidden) scale, and the scatter-add backward."""
import torch
import torch.nn.functional as F


def _case(write, name, vocab, cols, ids, scaled, bf16):
    table = torch.randn(vocab, cols)
    if bf16:
        table = table.bfloat16().float()  # values exactly representable in bf16; compute stays fp32
    table.requires_grad_()
    idx = torch.tensor(ids, dtype=torch.int64)
    # Gemma: normalizer = torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype) -> fp32 here.
    scale = torch.tensor(cols ** 0.5, dtype=torch.float32) if scaled else torch.tensor(1.0)
    out = F.embedding(idx, table) * scale
    g = torch.randn(len(ids), cols)
    (out * g).sum().backward()
    write(name, {"ids": idx, "table": table, "out": out, "grad_out": g, "grad_table": table.grad},
          {"vocab": vocab, "cols": cols, "scale": float(scale), "bf16": bf16})


def generate(write):
    _case(write, "embedding_plain", 11, 24, [3, 0, 10, 3, 7, 3, 1], False, False)
    _case(write, "embedding_gemma_scale", 13, 20, [12, 5, 5, 0, 9], True, False)
    _case(write, "embedding_bf16_scale", 9, 33, [8, 2, 2, 4], True, True)
