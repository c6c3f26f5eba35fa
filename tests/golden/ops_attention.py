"""Golden values for Kernels/Attention: HF eager attention (modeling_llama.py / modeling_gemma2.py) in float32.

Layouts match the C# kernel: q, out (B, Tq, nh, hs); k, v (B, Tk, nkv, hs); mask (B, Tk) 1 = attend.
The reference follows HF's eager_attention_forward step by step: repeat_kv, matmul, scaling, (Gemma-2) softcap,
additive causal + sliding-window + padding mask with finfo.min, softmax in fp32, matmul with V.
One deliberate difference: a query row that sees no key at all (left padding) outputs zeros in our kernel, where HF's
additive mask would average all values uniformly; we multiply such rows by 0 here to state that contract.
"""
import torch


def repeat_kv(x, n_rep):
    # (B, nkv, T, hs) -> (B, nkv * n_rep, T, hs), as HF repeat_kv
    b, nkv, t, hs = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, nkv, n_rep, t, hs).reshape(b, nkv * n_rep, t, hs)


def visible_mask(b, tq, tk, offset, causal, window, pad):
    # (B, 1, Tq, Tk) booleans: key j visible to query i at position offset + i
    pos = torch.arange(tq)[:, None] + offset
    j = torch.arange(tk)[None, :]
    ok = torch.ones(tq, tk, dtype=torch.bool)
    if causal:
        ok &= j <= pos
    if window > 0:
        ok &= (pos - j) < window
    ok = ok[None, None].expand(b, 1, tq, tk).clone()
    if pad is not None:
        ok &= pad[:, None, None, :].bool()
    return ok


def eager_attention(q, k, v, scale, softcap, window, pad, offset, causal=True):
    b, tq, nh, hs = q.shape
    tk, nkv = k.shape[1], k.shape[2]
    query = q.transpose(1, 2)                      # (B, nh, Tq, hs)
    key = repeat_kv(k.transpose(1, 2), nh // nkv)  # (B, nh, Tk, hs)
    value = repeat_kv(v.transpose(1, 2), nh // nkv)
    attn = torch.matmul(query, key.transpose(2, 3)) * scale
    if softcap > 0:
        attn = attn / softcap
        attn = torch.tanh(attn)
        attn = attn * softcap
    ok = visible_mask(b, tq, tk, offset, causal, window, pad)
    min_value = torch.finfo(attn.dtype).min
    additive = torch.zeros(ok.shape, dtype=attn.dtype).masked_fill(~ok, min_value)
    attn = attn + additive
    attn = torch.nn.functional.softmax(attn, dim=-1, dtype=torch.float32).to(query.dtype)
    attn = attn * ok.any(dim=-1, keepdim=True).to(attn.dtype)  # rows with no visible key -> 0 (our contract)
    out = torch.matmul(attn, value)                # (B, nh, Tq, hs)
    return out.transpose(1, 2).contiguous()        # (B, Tq, nh, hs)


def case(write, name, b, tq, tk, nh, nkv, hs, scale=None, softcap=0.0, window=0, pad=None, offset=None):
    scale = hs ** -0.5 if scale is None else scale
    offset = tk - tq if offset is None else offset
    q = torch.randn(b, tq, nh, hs, requires_grad=True)
    k = torch.randn(b, tk, nkv, hs, requires_grad=True)
    v = torch.randn(b, tk, nkv, hs, requires_grad=True)
    out = eager_attention(q, k, v, scale, softcap, window, pad, offset)
    dout = torch.randn_like(out)
    out.backward(dout)
    tensors = {"q": q, "k": k, "v": v, "dout": dout, "out": out,
               "grad_q": q.grad, "grad_k": k.grad, "grad_v": v.grad}
    if pad is not None:
        tensors["mask"] = pad
    write(name, tensors, {"B": b, "Tq": tq, "Tk": tk, "nh": nh, "nkv": nkv, "hs": hs, "scale": float(scale),
                          "softcap": float(softcap), "window": window, "offset": offset})


def generate(write):
    case(write, "attention_basic", 2, 9, 9, 4, 2, 8)
    case(write, "attention_mha_hs33", 1, 17, 17, 3, 3, 33)
    # Gemma-2: query_pre_attn_scalar^-0.5 scaling, attn_logit_softcapping, sliding window.
    case(write, "attention_gemma2", 1, 13, 13, 6, 2, 7, scale=16 ** -0.5, softcap=5.0, window=5)
    # Left padding for batched generation: batch 0 has 3 padding keys, so its first 3 query rows see nothing.
    pad = torch.ones(2, 10, dtype=torch.int64)
    pad[0, :3] = 0
    pad[1, :1] = 0
    case(write, "attention_padding", 2, 10, 10, 4, 1, 16, pad=pad)
    # KV-cache decode: Tq < Tk, queries at the last positions.
    case(write, "attention_decode1", 2, 1, 11, 4, 2, 16)
    case(write, "attention_prefix", 1, 5, 70, 6, 2, 16, window=40)
