#!/usr/bin/env python3
"""Golden forward/backward values for every supported architecture, from plain-torch models (models_arch.py).

Run:  /usr/bin/python3 tests/golden/gen_models.py     (writes tests/golden/fixtures/models/**, see its README.md)

For each tiny random variant it writes an HF-style folder (config.json + model.safetensors) and the expected
values (expected.safetensors: logits, grad.<HF name>, …; meta.json: ids, masks, labels, losses, conventions).
For the real TinyStories-656K weights (../shared/assets/models/tinystories-656k) it writes the greedy
continuation of "Once upon a time" and full logits of a short sequence. Seeds are fixed; float32 throughout.
"""
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from models_arch import Cfg, causal_lm_loss, forward, inv_freq  # noqa: E402
from models_io import read_safetensors, write_json, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "models")
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "assets", "models", "tinystories-656k"))

B, T, PAD_LEFT = 2, 11, 3

# Tiny variants: GQA/MQA, non-power-of-two head_dim, explicit head_dim ≠ hidden/heads (Gemma, Qwen3),
# llama3 rope scaling, tied embeddings stored either way, biases, sliding windows < T, Gemma-2 softcapping.
VARIANTS = {
    "llama_gqa": dict(model_type="llama", hidden_size=40, intermediate_size=72, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, vocab_size=128, rms_norm_eps=1e-5,
                      rope_theta=10000.0, tie_word_embeddings=False, max_position_embeddings=64),
    # Tied, stored only as lm_head.weight (like TinyStories); MQA; biases everywhere; rope_scaling llama3 with a
    # short original context so every band (low / medium / high frequency) occurs at head_dim 16.
    "llama3_tied_bias": dict(model_type="llama", hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                             num_attention_heads=2, num_key_value_heads=1, vocab_size=112, rms_norm_eps=1e-6,
                             rope_theta=500000.0, tie_word_embeddings=True, attention_bias=True, mlp_bias=True,
                             rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                           "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
                             max_position_embeddings=128),
    "mistral_swa": dict(model_type="mistral", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, vocab_size=120, rms_norm_eps=1e-5,
                        rope_theta=10000.0, sliding_window=4, tie_word_embeddings=False, max_position_embeddings=64),
    # Tied and stored only as model.embed_tokens.weight; q/k/v bias, no o bias.
    "qwen2_tied": dict(model_type="qwen2", hidden_size=36, intermediate_size=60, num_hidden_layers=2,
                       num_attention_heads=6, num_key_value_heads=2, vocab_size=100, rms_norm_eps=1e-6,
                       rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
                       max_window_layers=2, max_position_embeddings=64),
    "qwen3": dict(model_type="qwen3", hidden_size=32, intermediate_size=56, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=12, vocab_size=96, rms_norm_eps=1e-6,
                  rope_theta=1000000.0, tie_word_embeddings=False, attention_bias=False,
                  max_position_embeddings=64),
    "gemma": dict(model_type="gemma", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=1, head_dim=12, vocab_size=128, rms_norm_eps=1e-6,
                  rope_theta=10000.0, hidden_act="gelu", hidden_activation="gelu_pytorch_tanh",
                  max_position_embeddings=64, bos_token_id=2, eos_token_id=1, pad_token_id=0),
    "gemma2": dict(model_type="gemma2", hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                   num_attention_heads=4, num_key_value_heads=2, head_dim=12, vocab_size=128, rms_norm_eps=1e-6,
                   rope_theta=10000.0, hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=16,
                   sliding_window=4, attn_logit_softcapping=2.0, final_logit_softcapping=3.0,
                   max_position_embeddings=64, bos_token_id=2, eos_token_id=1, pad_token_id=0),
}


def param_shapes(cfg):
    """HF name → shape, same order and rules as the C# WeightNames.Expected."""
    h, q, kv, f, hd = cfg.hidden, cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim, cfg.inter, cfg.head_dim
    s = {"model.embed_tokens.weight": (cfg.vocab, h)}
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        s[p + "input_layernorm.weight"] = (h,)
        s[p + "self_attn.q_proj.weight"] = (q, h)
        s[p + "self_attn.k_proj.weight"] = (kv, h)
        s[p + "self_attn.v_proj.weight"] = (kv, h)
        s[p + "self_attn.o_proj.weight"] = (h, q)
        if cfg.qkv_bias:
            s[p + "self_attn.q_proj.bias"] = (q,)
            s[p + "self_attn.k_proj.bias"] = (kv,)
            s[p + "self_attn.v_proj.bias"] = (kv,)
        if cfg.o_bias:
            s[p + "self_attn.o_proj.bias"] = (h,)
        if cfg.qk_norm:
            s[p + "self_attn.q_norm.weight"] = (hd,)
            s[p + "self_attn.k_norm.weight"] = (hd,)
        s[p + "post_attention_layernorm.weight"] = (h,)
        if cfg.post_norms:
            s[p + "pre_feedforward_layernorm.weight"] = (h,)
            s[p + "post_feedforward_layernorm.weight"] = (h,)
        s[p + "mlp.gate_proj.weight"] = (f, h)
        s[p + "mlp.up_proj.weight"] = (f, h)
        s[p + "mlp.down_proj.weight"] = (h, f)
        if cfg.mlp_bias:
            s[p + "mlp.gate_proj.bias"] = (f,)
            s[p + "mlp.up_proj.bias"] = (f,)
            s[p + "mlp.down_proj.bias"] = (h,)
    s["model.norm.weight"] = (h,)
    if not cfg.tie:
        s["lm_head.weight"] = (cfg.vocab, h)
    return s


def init_params(cfg, gen):
    p = {}
    for name, shape in param_shapes(cfg).items():
        if name.endswith("layernorm.weight") or name.endswith("norm.weight"):
            # Gemma stores norm weights as offsets from 1.
            base = 0.0 if cfg.add_one else 1.0
            t = base + 0.1 * torch.randn(shape, generator=gen)
        elif "embed_tokens" in name:
            # Tied matrices also produce the logits: keep them small so the softmax is not saturated.
            t = torch.randn(shape, generator=gen) * (0.25 if cfg.tie else 1.0)
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=gen)
        else:
            t = torch.randn(shape, generator=gen) / shape[1] ** 0.5
        p[name] = t.float().requires_grad_(True)
    return p


def run_case(params, cfg, ids, mask, pos, labels):
    for t in params.values():
        t.grad = None
    logits = forward(params, cfg, ids, mask, pos)
    loss = causal_lm_loss(logits, labels)
    loss.backward()
    grads = {n: t.grad.detach().clone() for n, t in params.items()}
    return logits.detach(), loss.item(), grads


def generate_variant(name, d, seed):
    gen = torch.Generator().manual_seed(seed)
    cfg = Cfg(d)
    params = init_params(cfg, gen)
    folder = os.path.join(OUT, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(os.path.join(folder, "model"))
    config = dict(d)
    config["architectures"] = [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                                "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                                "gemma": "GemmaForCausalLM", "gemma2": "Gemma2ForCausalLM"}[cfg.model_type]]
    config["torch_dtype"] = "float32"
    write_json(os.path.join(folder, "model", "config.json"), config)
    stored = {n: t.detach() for n, t in params.items()}
    meta_st = {"format": "pt"}
    if name == "llama3_tied_bias":
        # TinyStories-style: the tied matrix is stored only under lm_head.weight.
        stored["lm_head.weight"] = stored.pop("model.embed_tokens.weight")
        meta_st["model.embed_tokens.weight"] = "lm_head.weight"
    write_safetensors(os.path.join(folder, "model", "model.safetensors"), stored, meta_st)

    # Case A: two full rows. Case B: row 0 unchanged, row 1 = the first T − PAD_LEFT tokens of row 0 of case A,
    # left-padded with pad id 0 and attention_mask 0; position_ids = cumsum(mask) − 1 (pads get 1, as HF generate).
    ids = torch.randint(3, cfg.vocab, (B, T), generator=gen)
    labels = ids.clone()
    labels[0, 4] = -100
    labels[1, 0:2] = -100
    labels[1, 7] = -100
    logits, loss, grads = run_case(params, cfg, ids, None, None, labels)

    ids_p = ids.clone()
    ids_p[1, :PAD_LEFT] = 0
    ids_p[1, PAD_LEFT:] = ids[0, :T - PAD_LEFT]
    mask_p = torch.ones(B, T, dtype=torch.int64)
    mask_p[1, :PAD_LEFT] = 0
    pos_p = (mask_p.cumsum(-1) - 1).masked_fill(mask_p == 0, 1)
    labels_p = ids_p.clone().masked_fill(mask_p == 0, -100)
    labels_p[0, 4] = -100
    labels_p[1, PAD_LEFT + 2] = -100
    logits_p, loss_p, grads_p = run_case(params, cfg, ids_p, mask_p, pos_p, labels_p)
    # Invariant: the padded row reproduces the unpadded logits of the same tokens.
    diff = (logits_p[1, PAD_LEFT:] - logits[0, :T - PAD_LEFT]).abs().max().item()
    assert diff < 1e-4, f"{name}: left padding changed logits by {diff}"

    expected = {"logits": logits, "padded.logits": logits_p}
    for n, g in grads.items():
        expected["grad." + n] = g
    for n, g in grads_p.items():
        expected["padded.grad." + n] = g
    write_safetensors(os.path.join(folder, "expected.safetensors"), expected, {"format": "pt"})
    meta = {
        "name": name,
        "model_type": cfg.model_type,
        "seed": seed,
        "input_ids": ids.tolist(),
        "labels": labels.tolist(),
        "loss": loss,
        "padded": {"input_ids": ids_p.tolist(), "attention_mask": mask_p.tolist(), "position_ids": pos_p.tolist(),
                   "labels": labels_p.tolist(), "loss": loss_p,
                   "compare_logits_where": "attention_mask == 1 (pad-query rows attend to nothing; HF leaves them "
                                           "implementation-defined)"},
        "inv_freq": inv_freq(cfg).tolist(),
        "sliding_layers": [i for i in range(cfg.layers) if cfg.sliding[i]],
        "sliding_window": cfg.window,
        "attention_scale": cfg.scale,
        "parameters": {n: list(t.shape) for n, t in params.items()},
        "stored_tensors": sorted(stored.keys()),
        "conventions": {
            "loss": "HF ForCausalLM: logits[:, :-1] vs labels[:, 1:], ignore_index -100, mean over counted tokens",
            "sliding_window": "key j visible to query i iff 0 <= i - j < sliding_window",
            "gemma2_sliding_layers": "even layer indices (is_sliding = not bool(layer_idx % 2))",
            "grad_names": "grad.<HF parameter name>; tied embeddings appear once, as model.embed_tokens.weight "
                          "(sum of the embedding and lm_head contributions)",
        },
    }
    write_json(os.path.join(folder, "meta.json"), meta)
    return folder


def sp_bpe(tok, text):
    """SentencePiece-style BPE of tokenizer.json (normalizer Prepend('▁') + Replace(' ', '▁'), no pre-tokenizer):
    repeatedly merge the adjacent pair of lowest merge rank."""
    model = tok["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    rank = {m: i for i, m in enumerate(merges)}
    sym = list("▁" + text.replace(" ", "▁"))
    while True:
        best = None
        for i in range(len(sym) - 1):
            r = rank.get((sym[i], sym[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        i = best[1]
        sym = sym[:i] + [sym[i] + sym[i + 1]] + sym[i + 2:]
    vocab = model["vocab"]
    for s in sym:
        assert s in vocab, f"piece {s!r} missing from the vocabulary"
    return sym, [vocab[s] for s in sym]


def generate_tinystories(new_tokens=40, logits_len=12):
    folder = os.path.join(OUT, "tinystories")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(SHARED, "config.json")) as f:
        d = json.load(f)
    cfg = Cfg(d)
    weights, _ = read_safetensors(os.path.join(SHARED, "model.safetensors"))
    p = dict(weights)
    if "model.embed_tokens.weight" not in p:
        p["model.embed_tokens.weight"] = p["lm_head.weight"]  # tied, stored once under lm_head.weight
    with open(os.path.join(SHARED, "tokenizer.json")) as f:
        tok = json.load(f)
    prompt = "Once upon a time"
    pieces, ids = sp_bpe(tok, prompt)
    bos = d["bos_token_id"]
    ids = [bos] + ids
    out = list(ids)
    eos = d["eos_token_id"]
    with torch.no_grad():
        for _ in range(new_tokens):
            logits = forward(p, cfg, torch.tensor([out]))
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
            if nxt == eos:
                break
        seq = out[:logits_len]
        full = forward(p, cfg, torch.tensor([seq]))[0]
    inv = {v: k for k, v in tok["model"]["vocab"].items()}
    write_safetensors(os.path.join(folder, "expected.safetensors"), {"logits": full}, {"format": "pt"})
    write_json(os.path.join(folder, "meta.json"), {
        "prompt": prompt,
        "prompt_pieces": pieces,
        "prompt_ids": ids,
        "greedy_ids": out,
        "greedy_new_ids": out[len(ids):],
        "greedy_text_pieces": [inv[i] for i in out[len(ids):]],
        "max_new_tokens": new_tokens,
        "stops_at_eos": eos,
        "logits_input_ids": seq,
        "note": "greedy = argmax of the last position's logits, full re-forward each step (no cache), float32; "
                "BOS id 1 (<|start_story|>) then the SentencePiece-BPE pieces of the prompt; logits is (T, vocab) "
                "for logits_input_ids.",
    })


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for k, (name, d) in enumerate(VARIANTS.items()):
        generate_variant(name, d, seed=100 + k)
        print("wrote", name)
    if os.path.isdir(SHARED):
        generate_tinystories()
        print("wrote tinystories")
    else:
        print("skipped tinystories: shared assets not found at", SHARED)


if __name__ == "__main__":
    main()
