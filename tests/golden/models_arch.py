"""Plain-torch causal LMs (float32, eager attention) written line by line after transformers'
modeling_llama.py / modeling_mistral.py / modeling_qwen2.py / modeling_qwen3.py / modeling_gemma.py /
modeling_gemma2.py. Parameters live in a flat dict keyed by HF state-dict names, so gradients come out by name.

Conventions (the engine must follow the same ones):
- RMSNorm in float32: x·rsqrt(mean(x²) + eps)·w; Gemma uses (1 + w).
- RoPE: HF rotate_half layout; inv_freq = 1/theta^(arange(0, d, 2)/d) (+ llama3 rescaling); angles =
  position_ids · inv_freq in float32; cos/sin of cat(freqs, freqs).
- Attention: scores = q·kᵀ·scale (scale = head_dim^-½, Gemma-2 query_pre_attn_scalar^-½); Gemma-2 softcap
  c·tanh(s/c); then additive mask with finfo(float32).min on masked keys; softmax in float32.
- Mask: key j visible to query i iff j ≤ i, attention_mask[b, j] = 1, and, on sliding layers, i − j < window.
- Gemma embeddings are multiplied by torch.tensor(sqrt(hidden), dtype=float32).
- Loss: HF ForCausalLM — logits[:, :-1] against labels[:, 1:] (the model shifts labels itself), cross-entropy
  with ignore_index −100, mean over the counted tokens of the whole batch.
"""
import math

import torch
import torch.nn.functional as F

GEMMA = ("gemma", "gemma2")


class Cfg:
    """The subset of config.json the math needs, with the same defaults as the C# ModelConfig."""

    def __init__(self, d):
        self.d = d
        self.model_type = d.get("model_type", "llama")
        mt = self.model_type
        self.hidden = d["hidden_size"]
        self.inter = d["intermediate_size"]
        self.layers = d["num_hidden_layers"]
        self.heads = d["num_attention_heads"]
        self.kv_heads = d.get("num_key_value_heads") or self.heads
        default_hd = 256 if mt in GEMMA else 128 if mt == "qwen3" else self.hidden // self.heads
        self.head_dim = d.get("head_dim") or default_hd
        self.vocab = d["vocab_size"]
        self.eps = d.get("rms_norm_eps", 1e-6)
        self.theta = d.get("rope_theta", 10000.0)
        self.rope_scaling = d.get("rope_scaling")
        self.tie = d.get("tie_word_embeddings", mt in GEMMA)
        self.attention_bias = d.get("attention_bias", False)
        self.mlp_bias = d.get("mlp_bias", False) and mt == "llama"
        self.qkv_bias = mt == "qwen2" or (self.attention_bias and mt != "mistral")
        self.o_bias = self.attention_bias and mt not in ("qwen2", "mistral")
        self.qk_norm = mt == "qwen3"
        self.post_norms = mt == "gemma2"
        self.add_one = mt in GEMMA
        act = d.get("hidden_activation") or "gelu_pytorch_tanh" if mt in GEMMA else d.get("hidden_act", "silu")
        self.act = act
        self.scale = (d.get("query_pre_attn_scalar", 256) if mt == "gemma2" else self.head_dim) ** -0.5
        self.attn_cap = d.get("attn_logit_softcapping", 50.0) if mt == "gemma2" else None
        self.final_cap = d.get("final_logit_softcapping", 30.0) if mt == "gemma2" else None
        window = None
        sliding = [False] * self.layers
        if mt == "mistral":
            window = d.get("sliding_window", 4096)
            sliding = [window is not None] * self.layers
        elif mt in ("qwen2", "qwen3"):
            if d.get("use_sliding_window", False):
                window = d.get("sliding_window", 4096)
                mwl = d.get("max_window_layers", 28)
                sliding = [i >= mwl for i in range(self.layers)]
        elif mt == "gemma2":
            window = d.get("sliding_window", 4096)
            sliding = [i % 2 == 0 for i in range(self.layers)]  # is_sliding = not bool(layer_idx % 2)
        self.window = window
        self.sliding = sliding if window is not None else [False] * self.layers


def inv_freq(cfg):
    d = cfg.head_dim
    inv = 1.0 / (cfg.theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    rs = cfg.rope_scaling
    if rs is not None and (rs.get("rope_type") or rs.get("type")) == "llama3":
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        wavelen = 2 * math.pi / inv
        inv_l = torch.where(wavelen > low_wl, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        inv = torch.where(medium, smoothed, inv_l)
    return inv


def rms_norm(x, w, eps, add_one):
    xf = x.float()
    out = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return out * (1.0 + w.float()) if add_one else w * out


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def activation(name, x):
    if name in ("silu", "swish"):
        return F.silu(x)
    if name in ("gelu_pytorch_tanh", "gelu_new", "gelu_fast"):
        return F.gelu(x, approximate="tanh")
    if name == "gelu":
        return F.gelu(x)
    raise ValueError(name)


def linear(p, name, x, bias, lora=None):
    y = x @ p[name + ".weight"].t()
    y = y + p[name + ".bias"] if bias else y
    if lora is not None and name + ".lora_A.weight" in lora:
        # PEFT lora.Linear (eval, dropout off): result += lora_B(lora_A(x)) * scaling
        y = y + (x @ lora[name + ".lora_A.weight"].t()) @ lora[name + ".lora_B.weight"].t() * lora["scaling"]
    return y


def build_mask(cfg, attention_mask, T, sliding):
    """(B, 1, T, T) additive mask: 0 where visible, finfo.min elsewhere."""
    B = attention_mask.shape[0]
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    visible = j <= i
    if sliding:
        visible = visible & (i - j < cfg.window)
    visible = visible[None, None] & (attention_mask[:, None, None, :] == 1)
    m = torch.full((B, 1, T, T), torch.finfo(torch.float32).min)
    return m.masked_fill(visible, 0.0)


def forward(p, cfg, input_ids, attention_mask=None, position_ids=None, lora=None):
    """lora: None, or PEFT tensors by in-model name (…q_proj.lora_A.weight, model.embed_tokens.lora_embedding_A, …)
    plus "scaling" (alpha / r), applied unmerged as PEFT's LoraModel does in eval mode."""
    B, T = input_ids.shape
    if attention_mask is None:
        attention_mask = torch.ones(B, T, dtype=torch.int64)
    if position_ids is None:
        position_ids = torch.arange(T)[None].expand(B, T)
    emb = p["lm_head.weight"] if "model.embed_tokens.weight" not in p else p["model.embed_tokens.weight"]
    h = F.embedding(input_ids, emb)
    if lora is not None and "model.embed_tokens.lora_embedding_A" in lora:
        # PEFT lora.Embedding: result += (F.embedding(x, lora_embedding_A.T) @ lora_embedding_B.T) * scaling
        a, b = lora["model.embed_tokens.lora_embedding_A"], lora["model.embed_tokens.lora_embedding_B"]
        h = h + (F.embedding(input_ids, a.t()) @ b.t()) * lora["scaling"]
    if cfg.add_one:
        h = h * torch.tensor(cfg.hidden ** 0.5, dtype=h.dtype)
    freqs = position_ids[:, :, None].float() * inv_freq(cfg)[None, None, :]
    e = torch.cat((freqs, freqs), dim=-1)
    cos, sin = e.cos()[:, None], e.sin()[:, None]  # (B, 1, T, hd)
    masks = {s: build_mask(cfg, attention_mask, T, s) for s in set(cfg.sliding)}
    nh, nkv, hd = cfg.heads, cfg.kv_heads, cfg.head_dim
    for L in range(cfg.layers):
        pre = f"model.layers.{L}."
        x = rms_norm(h, p[pre + "input_layernorm.weight"], cfg.eps, cfg.add_one)
        q = linear(p, pre + "self_attn.q_proj", x, cfg.qkv_bias, lora).view(B, T, nh, hd)
        k = linear(p, pre + "self_attn.k_proj", x, cfg.qkv_bias, lora).view(B, T, nkv, hd)
        v = linear(p, pre + "self_attn.v_proj", x, cfg.qkv_bias, lora).view(B, T, nkv, hd)
        if cfg.qk_norm:
            q = rms_norm(q, p[pre + "self_attn.q_norm.weight"], cfg.eps, False)
            k = rms_norm(k, p[pre + "self_attn.k_norm.weight"], cfg.eps, False)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, nh, T, hd)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)
        v = v.repeat_interleave(nh // nkv, dim=1)
        s = (q @ k.transpose(2, 3)) * cfg.scale
        if cfg.attn_cap is not None:
            s = torch.tanh(s / cfg.attn_cap) * cfg.attn_cap
        s = s + masks[cfg.sliding[L]]
        a = F.softmax(s, dim=-1, dtype=torch.float32)
        o = (a @ v).transpose(1, 2).reshape(B, T, nh * hd)
        o = linear(p, pre + "self_attn.o_proj", o, cfg.o_bias, lora)
        if cfg.post_norms:
            o = rms_norm(o, p[pre + "post_attention_layernorm.weight"], cfg.eps, True)
            h = h + o
            x = rms_norm(h, p[pre + "pre_feedforward_layernorm.weight"], cfg.eps, True)
        else:
            h = h + o
            x = rms_norm(h, p[pre + "post_attention_layernorm.weight"], cfg.eps, cfg.add_one)
        g = activation(cfg.act, linear(p, pre + "mlp.gate_proj", x, cfg.mlp_bias, lora))
        m = linear(p, pre + "mlp.down_proj", g * linear(p, pre + "mlp.up_proj", x, cfg.mlp_bias, lora), cfg.mlp_bias, lora)
        if cfg.post_norms:
            m = rms_norm(m, p[pre + "post_feedforward_layernorm.weight"], cfg.eps, True)
        h = h + m
    h = rms_norm(h, p["model.norm.weight"], cfg.eps, cfg.add_one)
    head = emb if cfg.tie else p["lm_head.weight"]
    logits = h @ head.t()
    if lora is not None and "lm_head.lora_A.weight" in lora:
        logits = logits + (h @ lora["lm_head.lora_A.weight"].t()) @ lora["lm_head.lora_B.weight"].t() * lora["scaling"]
    if cfg.final_cap is not None:
        logits = torch.tanh(logits / cfg.final_cap) * cfg.final_cap
    return logits


def causal_lm_loss(logits, labels):
    """HF ForCausalLM: predict token t+1 from position t; −100 labels are ignored; mean over counted tokens."""
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V).float(), labels[:, 1:].reshape(-1), ignore_index=-100)
