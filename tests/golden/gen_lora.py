#!/usr/bin/env python3
"""PyTorch parity references for LoRA training, full fine-tuning and the bitsandbytes 8-bit AdamW update.

Run:  /usr/bin/python3 tests/golden/gen_lora.py      (writes tests/golden/fixtures/lora/**)

peft and bitsandbytes are not installed: LoRA is written in plain torch exactly as PEFT's lora.Linear computes it
(result = base(x) + lora_B(lora_A(dropout(x))) * lora_alpha / r, dropout 0 here), and the 8-bit AdamW update is a
float32 re-implementation of bitsandbytes' kOptimizerStatic8bit2StateBlockwise<ADAM> / kOptimizer32bit2State<ADAM>.

Model: the tiny random Llama of fixtures/models/llama_gqa (HF folder). Data: a fixed, pre-tokenized JSONL
(input_ids + labels with -100 on a prompt prefix), consumed in file order: micro-batch 2, gradient accumulation 2.
Per micro-batch the loss is HF's causal-LM loss (mean over its non-ignored tokens); backward uses loss / GA;
the logged step loss is the mean of the micro-batch losses; grad norm is clip_grad_norm_'s pre-clip total norm.

Cases (fixtures/lora/<case>/):
  lora       10 AdamW steps, r 4, alpha 8, q/k/v/o/gate/up/down, fixed initial adapter (init_adapter/, PEFT format;
             B is non-zero so both A and B move from step 1), lr 2e-3 constant, wd 0.01, max_grad_norm 0.5 (clips every step).
  full       4 AdamW steps on every weight (F32), HF decay groups (norms no decay), lr 1e-3, wd 0.01, clip 1.0.
  full_8bit  the same 4 steps with the bitsandbytes-style 8-bit AdamW (embed_tokens and lm_head have ≥ 4096 elements
             → blockwise 8-bit state; the rest keep 32-bit state).
  adamw8bit_unit  3 raw updates of one 5000-element parameter (two 256-blocks with a short tail) with given grads.
Each case folder has expected.json (config, per-step losses and grad norms) and final.safetensors (trained tensors by
their in-model names, e.g. model.layers.0.self_attn.q_proj.lora_A.weight, or every weight for full fine-tuning).
"""
import json
import math
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models_arch  # noqa: E402
from models_arch import Cfg, causal_lm_loss, forward  # noqa: E402
from models_io import read_safetensors, write_json, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "lora")
MODEL = os.path.join(HERE, "fixtures", "models", "llama_gqa", "model")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
MICRO, GA, T = 2, 2, 12

torch.set_num_threads(1)


def load_model():
    with open(os.path.join(MODEL, "config.json")) as f:
        cfg = json.load(f)
    params, _ = read_safetensors(os.path.join(MODEL, "model.safetensors"))
    return Cfg(cfg), {k: v.float() for k, v in params.items()}


def make_data(cfg, n_rows, seed):
    """Rows of length T: the first 2..5 tokens are a 'prompt' with labels -100; one row is fully counted."""
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for i in range(n_rows):
        ids = torch.randint(0, cfg.vocab, (T,), generator=gen).tolist()
        p = 0 if i == 0 else 2 + int(torch.randint(0, 4, (1,), generator=gen))
        labels = [-100] * p + ids[p:]
        rows.append({"input_ids": ids, "labels": labels})
    return rows


def write_jsonl(path, rows):
    with open(path + ".tmp", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    os.replace(path + ".tmp", path)


def lora_linear_factory(adapters, scaling):
    """models_arch.linear with PEFT's LoRA side path for adapted modules."""
    def linear(p, name, x, bias):
        y = x @ p[name + ".weight"].t()
        if name in adapters:
            a, b = adapters[name]
            y = y + ((x @ a.t()) @ b.t()) * scaling
        return y + p[name + ".bias"] if bias else y
    return linear


def batches(rows):
    for s in range(0, len(rows), MICRO):
        chunk = rows[s:s + MICRO]
        yield (torch.tensor([r["input_ids"] for r in chunk]), torch.tensor([r["labels"] for r in chunk]))


def train(cfg, params, trainable, rows, steps, step_fn, clip=1.0):
    losses, norms = [], []
    it = batches(rows)
    for _ in range(steps):
        for t in trainable.values():
            t.grad = None
        mb = []
        for _ in range(GA):
            ids, labels = next(it)
            loss = causal_lm_loss(forward(params, cfg, ids), labels)
            (loss / GA).backward()
            mb.append(loss.item())
        losses.append(sum(mb) / len(mb))
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(trainable.values()), clip)))
        step_fn()
    return losses, norms


def decays(name):
    """HF Trainer get_decay_parameter_names for our names."""
    import re
    lower = name.lower()
    pats = ["bias", "layernorm", "rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"]
    return not any(re.search(p, lower) for p in pats)


def torch_adamw(trainable, lr, wd):
    dec = [t for n, t in trainable.items() if decays(n)]
    nodec = [t for n, t in trainable.items() if not decays(n)]
    groups = [{"params": dec, "weight_decay": wd}, {"params": nodec, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, betas=(0.9, 0.999), eps=1e-8)


# ---------------------------------------------------------------- bitsandbytes-style 8-bit AdamW (float32)

def linspace_f32(start, end, steps):
    return torch.linspace(start, end, steps, dtype=torch.float32)


def create_dynamic_map(signed):
    data = []
    max_exp, non_sign = 7, 7
    for i in range(max_exp):
        items = 2 ** (i + non_sign - max_exp) + 1 if signed else 2 ** (i + non_sign - max_exp + 1) + 1
        b = linspace_f32(0.1, 1.0, items)
        means = (b[:-1] + b[1:]) / 2.0
        scale = 10 ** (-(max_exp - 1) + i)
        data += (scale * means).tolist()
        if signed:
            data += (-(scale * means)).tolist()
    data.append(0.0)
    data.append(1.0)
    assert len(data) == 256
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


def quantize_2d(code, x, signed):
    """Vectorised quantize_2D<SIGNED> (binary search from pivot 127, midpoint choice)."""
    n = x.numel()
    pivot = torch.full((n,), 127, dtype=torch.long)
    upper_p = torch.full((n,), 255, dtype=torch.long)
    lower_p = torch.zeros(n, dtype=torch.long)
    lower = torch.full((n,), -1.0 if signed else 0.0)
    upper = torch.ones(n)
    val = code[pivot]
    i = 64
    while i > 0:
        gt = x > val
        lower_p = torch.where(gt, pivot, lower_p)
        lower = torch.where(gt, val, lower)
        upper_p = torch.where(gt, upper_p, pivot)
        upper = torch.where(gt, upper, val)
        pivot = torch.where(gt, pivot + i, pivot - i)
        val = code[pivot]
        i >>= 1
    gt = x > val
    mid_up = (upper + val) * 0.5
    mid_lo = (lower + val) * 0.5
    return torch.where(gt, torch.where(x > mid_up, upper_p, pivot), torch.where(x < mid_lo, lower_p, pivot))


class AdamW8bit:
    BLOCK, MIN8 = 256, 4096

    def __init__(self, named, lr, wd_of, betas=(0.9, 0.999), eps=1e-8):
        self.named, self.lr, self.wd_of, self.b1, self.b2, self.eps = named, lr, wd_of, betas[0], betas[1], eps
        self.code1, self.code2 = create_dynamic_map(True), create_dynamic_map(False)
        self.state, self.step_count = {}, 0
        for n, p in named.items():
            k = p.numel()
            if k >= self.MIN8:
                nb = (k + self.BLOCK - 1) // self.BLOCK
                self.state[n] = dict(q1=torch.zeros(k, dtype=torch.long), q2=torch.zeros(k, dtype=torch.long),
                                     a1=torch.zeros(nb), a2=torch.zeros(nb))
            else:
                self.state[n] = dict(m=torch.zeros(k), v=torch.zeros(k))

    @torch.no_grad()
    def step(self):
        self.step_count += 1
        t = self.step_count
        f = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
        b1, b2, eps, lr = f(self.b1), f(self.b2), f(self.eps), f(self.lr)
        c1 = f(1.0) - torch.pow(b1, t)
        c2 = torch.sqrt(f(1.0) - torch.pow(b2, t))
        step_size = -lr * c2 / c1
        for n, p in self.named.items():
            g = p.grad.reshape(-1)
            flat = p.data.reshape(-1)
            wd = f(self.wd_of(n))
            st = self.state[n]
            if "m" in st:
                st["m"] = st["m"] * b1 + (f(1.0) - b1) * g
                st["v"] = st["v"] * b2 + (f(1.0) - b2) * (g * g)
                newp = flat + step_size * (st["m"] / (torch.sqrt(st["v"]) + eps * c2))
                if wd > 0:
                    newp = newp * (f(1.0) - lr * wd)
                flat.copy_(newp)
                continue
            k = flat.numel()
            blk = torch.arange(k) // self.BLOCK
            v = self.code2[st["q2"]] * st["a2"][blk]
            v = v * b2 + (f(1.0) - b2) * g * g
            m = self.code1[st["q1"]] * st["a1"][blk]
            m = m * b1 + (f(1.0) - b1) * g
            ok = torch.isfinite(g)
            m = torch.where(ok, m, f(0.0))
            v = torch.where(ok, v, f(0.0))
            nb = st["a1"].numel()
            a1 = torch.stack([m[i * self.BLOCK:(i + 1) * self.BLOCK].abs().max() for i in range(nb)])
            a2 = torch.stack([v[i * self.BLOCK:(i + 1) * self.BLOCK].abs().max() for i in range(nb)])
            newp = flat + step_size * (m / (torch.sqrt(v) + c2 * eps))
            if wd > 0:
                newp = newp * (f(1.0) - lr * wd)
            flat.copy_(torch.where(ok, newp, flat))
            q1 = quantize_2d(self.code1, m / a1[blk], True)
            q2 = quantize_2d(self.code2, v / a2[blk], False)
            wrong = torch.signbit(self.code1[q1]) != torch.signbit(m)
            q1 = torch.where(wrong, torch.where(m > 0, q1 + 1, q1 - 1), q1)
            st.update(q1=q1, q2=q2, a1=a1, a2=a2)


# ---------------------------------------------------------------- cases

def case_lora():
    cfg, params = load_model()
    r, alpha = 4, 8
    gen = torch.Generator().manual_seed(1234)
    adapters = {}
    for name in sorted(k[:-len(".weight")] for k in params if any(k.endswith(t + ".weight") for t in TARGETS)):
        out_f, in_f = params[name + ".weight"].shape
        bound = 1.0 / math.sqrt(in_f)  # kaiming_uniform_(a=sqrt(5)) on (r, in)
        a = (torch.rand(r, in_f, generator=gen) * 2 - 1) * bound
        b = torch.randn(out_f, r, generator=gen) * 0.05  # non-zero so A gets gradients from step 1
        adapters[name] = (a.requires_grad_(True), b.requires_grad_(True))
    folder = os.path.join(OUT, "lora")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "init_adapter"))
    cfg_json = {"peft_type": "LORA", "r": r, "lora_alpha": alpha, "lora_dropout": 0.0, "target_modules": TARGETS,
                "bias": "none", "use_rslora": False, "use_dora": False, "modules_to_save": None,
                "base_model_name_or_path": None, "task_type": "CAUSAL_LM", "fan_in_fan_out": False,
                "inference_mode": True, "init_lora_weights": True, "rank_pattern": {}, "alpha_pattern": {}}
    write_json(os.path.join(folder, "init_adapter", "adapter_config.json"), cfg_json)
    init = {}
    for name, (a, b) in adapters.items():
        init[f"base_model.model.{name}.lora_A.weight"] = a.detach().clone()
        init[f"base_model.model.{name}.lora_B.weight"] = b.detach().clone()
    write_safetensors(os.path.join(folder, "init_adapter", "adapter_model.safetensors"), init, {"format": "pt"})

    rows = make_data(cfg, 10 * GA * MICRO, seed=7)
    write_jsonl(os.path.join(folder, "data.jsonl"), rows)
    models_arch.linear = lora_linear_factory(adapters, alpha / r)
    trainable = {}
    for name, (a, b) in adapters.items():
        trainable[name + ".lora_A.weight"] = a
        trainable[name + ".lora_B.weight"] = b
    lr, wd = 2e-3, 0.01
    opt = torch_adamw(trainable, lr, wd)
    try:
        losses, norms = train(cfg, params, trainable, rows, 10, opt.step, clip=0.5)
    finally:
        models_arch.linear = ORIGINAL_LINEAR
    write_safetensors(os.path.join(folder, "final.safetensors"), {k: v.detach() for k, v in trainable.items()})
    write_json(os.path.join(folder, "expected.json"), {
        "config": {"r": r, "lora_alpha": alpha, "target_modules": TARGETS, "learning_rate": lr, "weight_decay": wd,
                   "max_grad_norm": 0.5, "micro_batch": MICRO, "gradient_accumulation_steps": GA, "steps": 10,
                   "optim": "adamw_torch", "model": "../models/llama_gqa/model"},
        "losses": losses, "grad_norms": norms})
    print("lora", ["%.5f" % x for x in losses])


def case_full(eight_bit):
    cfg, params = load_model()
    for t in params.values():
        t.requires_grad_(True)
    name = "full_8bit" if eight_bit else "full"
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    rows = make_data(cfg, 4 * GA * MICRO, seed=11)
    write_jsonl(os.path.join(folder, "data.jsonl"), rows)
    lr, wd = 1e-3, 0.01
    if eight_bit:
        opt = AdamW8bit(params, lr, lambda n: wd if decays(n) else 0.0)
    else:
        opt = torch_adamw(params, lr, wd)
    losses, norms = train(cfg, params, params, rows, 4, opt.step)
    write_safetensors(os.path.join(folder, "final.safetensors"), {k: v.detach() for k, v in params.items()})
    write_json(os.path.join(folder, "expected.json"), {
        "config": {"learning_rate": lr, "weight_decay": wd, "max_grad_norm": 1.0, "micro_batch": MICRO,
                   "gradient_accumulation_steps": GA, "steps": 4, "optim": "adamw_8bit" if eight_bit else "adamw_torch",
                   "model": "../models/llama_gqa/model"},
        "losses": losses, "grad_norms": norms})
    print(name, ["%.5f" % x for x in losses])


def case_8bit_unit():
    folder = os.path.join(OUT, "adamw8bit_unit")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    gen = torch.Generator().manual_seed(3)
    n = 5000
    p = torch.randn(n, generator=gen)
    grads = torch.randn(3, n, generator=gen) * torch.linspace(0.01, 2.0, n)
    grads[1, 17] = float("nan")  # non-finite gradient: element untouched, moments zeroed
    w = p.clone().requires_grad_(True)
    opt = AdamW8bit({"w": w}, 1e-2, lambda _: 0.1)
    out = {"p0": p, "grads": grads, "code_signed": opt.code1, "code_unsigned": opt.code2}
    for s in range(3):
        w.grad = grads[s].clone()
        opt.step()
        out[f"p{s + 1}"] = w.detach().clone()
        st = opt.state["w"]
        out[f"m{s + 1}"] = opt.code1[st["q1"]] * st["a1"][torch.arange(n) // 256]
        out[f"v{s + 1}"] = opt.code2[st["q2"]] * st["a2"][torch.arange(n) // 256]
    write_safetensors(os.path.join(folder, "expected.safetensors"), out)
    write_json(os.path.join(folder, "expected.json"), {"config": {"learning_rate": 1e-2, "weight_decay": 0.1, "steps": 3}})
    print("adamw8bit_unit done")


ORIGINAL_LINEAR = models_arch.linear

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    case_8bit_unit()
    case_lora()
    case_full(False)
    case_full(True)
