#!/usr/bin/env python3
"""Golden greedy generations with unmerged PEFT LoRA adapters, for every architecture.

Run:  /usr/bin/python3 tests/golden/gen_adapters.py      (writes tests/golden/fixtures/adapters/<variant>/**)

peft is not installed: adapters are applied exactly as PEFT's LoraModel computes in eval mode (models_arch.forward
with lora=…: lora.Linear adds lora_B(lora_A(x))·alpha/r; lora.Embedding adds F.embedding(x, Aᵀ)·Bᵀ·alpha/r before
Gemma's √hidden scale; lm_head is a lora.Linear). Greedy decoding recomputes the whole sequence every step (no KV
cache), so the C# cached decode is checked against an independent path.

For each tiny model of fixtures/models/<variant>/model it writes:
  a/  a PEFT adapter folder (adapter_config.json + adapter_model.safetensors): r 4, alpha 8, on q/k/v/o/gate/up/down,
      embed_tokens and lm_head; A and B random (seeded) so every path changes the output.
  b/  a second adapter: r 2, alpha 6, rsLoRA off, on q_proj, v_proj, down_proj only.
  meta.json: prompt_ids (two prompts of different lengths) and the greedy continuations (NEW tokens) for the base
      model, adapter a and adapter b; prompts (and, every 10 tries, larger adapters) are re-drawn until every greedy
      step's top-2 logit gap exceeds 2e-3 under all three settings, so float32 rounding cannot flip an argmax, and
      the three settings generate different ids.
  expected.safetensors: logits.a (T, V) of prompt 0 teacher-forced with adapter a.
"""
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from models_arch import Cfg, forward  # noqa: E402
from models_io import read_safetensors, write_json, write_safetensors  # noqa: E402

MODELS = os.path.join(HERE, "fixtures", "models")
OUT = os.path.join(HERE, "fixtures", "adapters")
VARIANTS = ["llama_gqa", "llama3_tied_bias", "mistral_swa", "qwen2_tied", "qwen3", "gemma", "gemma2"]
LINEARS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
NEW_TOKENS = 10
MIN_GAP = 2e-3

torch.set_num_threads(1)


def module_shapes(cfg):
    """(in, out) of every linear by its in-model name."""
    q, kv, h, f = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim, cfg.hidden, cfg.inter
    dims = {"q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h),
            "gate_proj": (h, f), "up_proj": (h, f), "down_proj": (f, h)}
    out = {}
    for L in range(cfg.layers):
        for n, d in dims.items():
            part = "self_attn" if n in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
            out[f"model.layers.{L}.{part}.{n}"] = (n, d)
    return out


def make_adapter(cfg, gen, r, alpha, targets, embed, head, scale):
    t = {}
    for name, (short, (fin, fout)) in module_shapes(cfg).items():
        if short not in targets:
            continue
        t[name + ".lora_A.weight"] = (torch.rand(r, fin, generator=gen) * 2 - 1) * scale
        t[name + ".lora_B.weight"] = (torch.rand(fout, r, generator=gen) * 2 - 1) * scale
    if embed:
        t["model.embed_tokens.lora_embedding_A"] = (torch.rand(r, cfg.vocab, generator=gen) * 2 - 1) * scale
        t["model.embed_tokens.lora_embedding_B"] = (torch.rand(cfg.hidden, r, generator=gen) * 2 - 1) * scale
    if head:
        t["lm_head.lora_A.weight"] = (torch.rand(r, cfg.hidden, generator=gen) * 2 - 1) * scale
        t["lm_head.lora_B.weight"] = (torch.rand(cfg.vocab, r, generator=gen) * 2 - 1) * scale
    targets = list(targets) + (["embed_tokens"] if embed else []) + (["lm_head"] if head else [])
    return t, {"r": r, "lora_alpha": alpha, "target_modules": targets}


def save_adapter(folder, tensors, conf):
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "adapter_model.safetensors"),
                      {"base_model.model." + k: v for k, v in tensors.items()}, {"format": "pt"})
    write_json(os.path.join(folder, "adapter_config.json"), {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": conf["r"], "lora_alpha": conf["lora_alpha"],
        "lora_dropout": 0.0, "target_modules": conf["target_modules"], "bias": "none", "use_rslora": False,
        "fan_in_fan_out": False, "modules_to_save": None, "use_dora": False, "base_model_name_or_path": None})


def greedy(p, cfg, prompt, lora):
    """NEW_TOKENS greedy ids and the smallest top-2 logit gap seen."""
    ids = list(prompt)
    gap = float("inf")
    for _ in range(NEW_TOKENS):
        with torch.no_grad():
            logits = forward(p, cfg, torch.tensor([ids]), lora=lora)[0, -1]
        top = torch.topk(logits, 2).values
        gap = min(gap, float(top[0] - top[1]))
        ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], gap


def run_variant(name, seed):
    src = os.path.join(MODELS, name, "model")
    with open(os.path.join(src, "config.json")) as f:
        cfg = Cfg(json.load(f))
    params, _ = read_safetensors(os.path.join(src, "model.safetensors"))
    p = {k: v.float() for k, v in params.items()}
    gen = torch.Generator().manual_seed(seed)
    for attempt in range(200):
        # Larger adapters every 10 tries until each setting's greedy text differs from the others (softcapped
        # Gemma-2 logits need a strong adapter to move the argmax).
        grow = 1 + attempt // 10
        la, ca = make_adapter(cfg, gen, 4, 8, LINEARS, True, True, 0.35 * grow)
        lb, cb = make_adapter(cfg, gen, 2, 6, ["q_proj", "v_proj", "down_proj"], False, False, 0.5 * grow)
        settings = {"base": None, "a": dict(la, scaling=8 / 4), "b": dict(lb, scaling=6 / 2)}
        prompts = [torch.randint(0, cfg.vocab, (n,), generator=gen).tolist() for n in (5, 3)]
        out, ok = {}, True
        for key, lora in settings.items():
            out[key] = []
            for pr in prompts:
                ids, gap = greedy(p, cfg, pr, lora)
                ok &= gap > MIN_GAP
                out[key].append(ids)
        ok &= out["a"] != out["base"] and out["b"] != out["base"] and out["a"] != out["b"]
        if ok:
            break
    else:
        raise SystemExit(f"{name}: no prompt pair with clear greedy margins")
    dst = os.path.join(OUT, name)
    shutil.rmtree(dst, ignore_errors=True)
    save_adapter(os.path.join(dst, "a"), la, ca)
    save_adapter(os.path.join(dst, "b"), lb, cb)
    with torch.no_grad():
        logits = forward(p, cfg, torch.tensor([prompts[0]]), lora=settings["a"])[0]
    write_safetensors(os.path.join(dst, "expected.safetensors"), {"logits.a": logits})
    write_json(os.path.join(dst, "meta.json"), {"prompt_ids": prompts, "new_tokens": NEW_TOKENS,
                                                 "generated": out, "attempts": attempt + 1})
    print(f"{name}: attempts {attempt + 1}, base {out['base'][0][:4]}… a {out['a'][0][:4]}… b {out['b'][0][:4]}…")


def main():
    for i, v in enumerate(VARIANTS):
        run_variant(v, 1000 + i)


if __name__ == "__main__":
    main()
