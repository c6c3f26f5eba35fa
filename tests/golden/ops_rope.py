"""RoPE golden values in HF rotate_half convention (modeling_llama.py apply_rotary_pos_emb) with default and llama3
inverse frequencies (modeling_rope_utils), fp32, forward + backward, including positions past 8k."""
import math

import torch


def _inv_freq(dim, base):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def _llama3(inv_freq, factor, low, high, old_ctx):
    low_wavelen = old_ctx / low
    high_wavelen = old_ctx / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_ctx / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, scaled)


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _case(write, name, positions, heads, dim, inv_freq, config):
    pos = torch.tensor(positions, dtype=torch.int64)
    n = len(positions)
    freqs = inv_freq[:, None].float() @ pos[None, :].float()  # (D/2, N) as HF's matmul
    freqs = freqs.transpose(0, 1)  # (N, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = torch.randn(n, heads, dim).requires_grad_()
    y = x * cos[:, None, :] + _rotate_half(x) * sin[:, None, :]
    g = torch.randn(n, heads, dim)
    (y * g).sum().backward()
    half = dim // 2
    write(name, {"positions": pos, "inv_freq": inv_freq, "cos": cos[:, :half].contiguous(), "sin": sin[:, :half].contiguous(),
                 "x": x, "out": y, "grad_out": g, "grad_x": x.grad},
          dict(config, heads=heads, head_dim=dim))


def generate(write):
    inv = _inv_freq(16, 10000.0)
    _case(write, "rope_default", [0, 1, 2, 5, 9, 100, 2047], 3, 16, inv, {"theta": 10000.0, "rope_type": "default"})
    cfg = {"theta": 500000.0, "rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
           "original_max_position_embeddings": 8192}
    inv = _llama3(_inv_freq(32, 500000.0), 32.0, 1.0, 4.0, 8192)
    _case(write, "rope_llama3", [3, 8000, 8191, 8192, 12345, 65000, 100000], 2, 32, inv, cfg)
    # head_dim 64 with factor 8 (Llama 3.1 8B settings): only the inverse frequencies, which the C# side must reproduce.
    inv64 = _llama3(_inv_freq(64, 500000.0), 8.0, 1.0, 4.0, 8192)
    write("rope_llama3_invfreq64", {"inv_freq": inv64},
          {"theta": 500000.0, "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
           "original_max_position_embeddings": 8192, "head_dim": 64})
    inv128 = _inv_freq(128, 10000.0)
    write("rope_default_invfreq128", {"inv_freq": inv128}, {"theta": 10000.0, "rope_type": "default", "head_dim": 128})
