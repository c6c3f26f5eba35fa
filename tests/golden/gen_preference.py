#!/usr/bin/env python3
"""PyTorch references for preference tuning: 10 LoRA steps of DPO (sigmoid with label smoothing, ipo, hinge), ORPO
and SimPO (with and without cpo_alpha) on the tiny golden Llama, from a fixed initial PEFT adapter.

Run:  /usr/bin/python3 tests/golden/gen_preference.py      (writes tests/golden/fixtures/preference/**)

TRL is not installed: its formulas are re-implemented here in plain torch, exactly as TRL v0.28.0 (tag v0.28.0) computes them:
  DPO   trl/trainer/dpo_trainer.py  concatenated_forward (chosen rows then rejected rows, per-token log-probs of the
        answer tokens summed per row; ipo divides by the answer length, L1716-1717), dpo_loss (sigmoid with
        label_smoothing L1152-1156, hinge L1174-1175, ipo L1177-1179, rewards L1280-1281); the reference is the
        same model with the adapter disabled (null_ref_context), under no_grad; metrics of get_batch_loss_metrics,
        logits/* = logits[:P][loss_mask[:P]].mean() (L1754-1755).
  ORPO  trl/experimental/orpo/orpo_trainer.py  odds_ratio_loss (L627-659, log1mexp L78-82), averaged log-probs,
        loss = policy_nll_loss - mean(beta * log sigmoid(log_odds)) with the NLL over the whole chosen sequence (L750-805).
  SimPO trl/experimental/cpo/cpo_trainer.py  cpo_loss loss_type="simpo" (L669-676), averaged log-probs,
        loss = mean + cpo_alpha * nll over the chosen answer tokens (L796-844).
Deviation kept on both sides: logits/chosen|rejected for ORPO and SimPO use DPO's definition (answer positions only);
TRL's ORPO/CPO average every position, prompt and padding included.

Trainer (transformers): micro-batch 2 pairs, gradient accumulation 2, loss / GA backward, clip_grad_norm_ 1.0,
AdamW (torch) lr 1e-3 constant, weight decay 0, file order, 20 pairs = 5 steps per epoch, 10 steps. Per step the
logged loss is the mean of the micro-batch losses and each metric the mean of its micro-batch values (TRL store_metrics
then log with logging_steps 1).
"""
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from models_arch import Cfg, forward  # noqa: E402
from models_io import read_safetensors, write_json, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "preference")
MODEL = os.path.join(HERE, "fixtures", "models", "llama_gqa", "model")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
MICRO, GA, STEPS, PAIRS, R, ALPHA, LR, CLIP = 2, 2, 10, 20, 4, 8, 1e-3, 1.0
PAD = 0

torch.set_num_threads(1)

CASES = {
    "dpo_sigmoid": dict(method="dpo", loss_type="sigmoid", beta=0.1, label_smoothing=0.1),
    "dpo_ipo": dict(method="dpo", loss_type="ipo", beta=0.5),
    "dpo_hinge": dict(method="dpo", loss_type="hinge", beta=0.1),
    "orpo": dict(method="orpo", beta=0.1),
    "simpo": dict(method="simpo", beta=2.0, simpo_gamma=1.0),
    "simpo_nll": dict(method="simpo", beta=2.0, simpo_gamma=1.0, cpo_alpha=0.5),
}


def load_model():
    with open(os.path.join(MODEL, "config.json")) as f:
        cfg = json.load(f)
    params, _ = read_safetensors(os.path.join(MODEL, "model.safetensors"))
    return Cfg(cfg), {k: v.float() for k, v in params.items()}


def make_pairs(vocab, seed):
    gen = torch.Generator().manual_seed(seed)

    def ids(lo, hi):
        n = lo + int(torch.randint(0, hi - lo + 1, (1,), generator=gen))
        return torch.randint(1, vocab, (n,), generator=gen).tolist()

    pairs = []
    while len(pairs) < PAIRS:
        p, c, r = ids(2, 5), ids(1, 5), ids(1, 5)
        if c != r:
            pairs.append({"prompt_ids": p, "chosen_ids": c, "rejected_ids": r})
    return pairs


def make_adapter(params, seed):
    gen = torch.Generator().manual_seed(seed)
    lora = {"scaling": ALPHA / R}
    for name in sorted(k[:-len(".weight")] for k in params if any(k.endswith(t + ".weight") for t in TARGETS)):
        out_f, in_f = params[name + ".weight"].shape
        bound = 1.0 / math.sqrt(in_f)
        lora[name + ".lora_A.weight"] = ((torch.rand(R, in_f, generator=gen) * 2 - 1) * bound).requires_grad_(True)
        lora[name + ".lora_B.weight"] = (torch.randn(out_f, R, generator=gen) * 0.05).requires_grad_(True)
    return lora


def collate(pairs, nll_whole, nll_answer):
    """Chosen rows then rejected rows, right-padded; masks on the shifted positions (position t scores token t+1)."""
    seqs = [(p["prompt_ids"] + p["chosen_ids"], len(p["prompt_ids"]), True) for p in pairs] + \
           [(p["prompt_ids"] + p["rejected_ids"], len(p["prompt_ids"]), False) for p in pairs]
    T = max(len(s) for s, _, _ in seqs)
    ids = torch.full((len(seqs), T), PAD, dtype=torch.long)
    attn = torch.zeros(len(seqs), T, dtype=torch.long)
    answer = torch.zeros(len(seqs), T - 1, dtype=torch.bool)
    nll = torch.zeros(len(seqs), T - 1, dtype=torch.bool)
    for i, (s, plen, chosen) in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        attn[i, :len(s)] = 1
        for t in range(len(s) - 1):
            is_answer = t + 1 >= plen
            answer[i, t] = is_answer
            nll[i, t] = chosen and (nll_whole or (nll_answer and is_answer))
    return ids, attn, answer, nll


def token_logps(logits, ids):
    """selective_log_softmax(logits[:, :-1], ids[:, 1:])."""
    lp = F.log_softmax(logits[:, :-1].float(), dim=-1)
    return lp.gather(-1, ids[:, 1:, None]).squeeze(-1)


def micro_step(case, params, cfg, lora, pairs):
    method = case["method"]
    beta, eps = case["beta"], case.get("label_smoothing", 0.0)
    average = method in ("orpo", "simpo") or case.get("loss_type") == "ipo"
    alpha = case.get("cpo_alpha", 0.0)
    ids, attn, answer, nll_mask = collate(pairs, method == "orpo", method == "simpo" and alpha != 0)
    P = len(pairs)
    logits = forward(params, cfg, ids, attn, lora=lora)
    tlp = token_logps(logits, ids)
    lengths = answer.sum(-1)
    seq = (tlp * answer).sum(-1)
    if average:
        seq = seq / lengths
    c, r = seq[:P], seq[P:]
    m = {}
    if method == "dpo":
        with torch.no_grad():
            ref_logits = forward(params, cfg, ids, attn, lora=None)
            rs = (token_logps(ref_logits, ids) * answer).sum(-1)
            if average:
                rs = rs / lengths
        rc, rr = rs[:P], rs[P:]
        x = (c - r) - (rc - rr)
        lt = case["loss_type"]
        if lt == "sigmoid":
            losses = -F.logsigmoid(beta * x) * (1 - eps) - F.logsigmoid(-beta * x) * eps
        elif lt == "hinge":
            losses = torch.relu(1 - beta * x)
        else:
            losses = (x - 1 / (2 * beta)) ** 2
        loss = losses.mean()
        cr, rrw = beta * (c - rc).detach(), beta * (r - rr).detach()
    elif method == "orpo":
        def log1mexp(v):
            return torch.where(v < -0.6931471805599453, torch.log1p(-torch.exp(v)), torch.log(-torch.expm1(v)))
        log_odds = (c - r) - (log1mexp(c) - log1mexp(r))
        ratio = F.logsigmoid(log_odds)
        nll = -(tlp * nll_mask).sum() / nll_mask.sum()
        loss = nll - (beta * ratio).mean()
        cr, rrw = beta * c.detach(), beta * r.detach()
        m["nll_loss"] = nll.item()
        m["log_odds_ratio"] = ratio.mean().item()
        m["log_odds_chosen"] = log_odds.mean().item()
    else:
        x = (c - r) - case["simpo_gamma"] / beta
        losses = -F.logsigmoid(beta * x) * (1 - eps) - F.logsigmoid(-beta * x) * eps
        nll = -(tlp * nll_mask).sum() / nll_mask.sum() if alpha != 0 else torch.tensor(0.0)
        loss = losses.mean() + alpha * nll
        cr, rrw = beta * c.detach(), beta * r.detach()
        m["nll_loss"] = nll.item()
    m["rewards/chosen"] = cr.mean().item()
    m["rewards/rejected"] = rrw.mean().item()
    m["rewards/accuracies"] = (cr > rrw).float().mean().item()
    m["rewards/margins"] = (cr - rrw).mean().item()
    m["logps/chosen"] = c.detach().mean().item()
    m["logps/rejected"] = r.detach().mean().item()
    lg = logits[:, :-1].detach()
    m["logits/chosen"] = lg[:P][answer[:P]].mean().item()
    m["logits/rejected"] = lg[P:][answer[P:]].mean().item()
    return loss, m


def run_case(name, case):
    cfg, params = load_model()
    lora = make_adapter(params, 1234)
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    pairs = make_pairs(cfg.vocab, 21)
    with open(os.path.join(folder, "data.jsonl"), "w") as f:
        for p in pairs:
            f.write(json.dumps(p) + "\n")
    trainable = {k: v for k, v in lora.items() if k != "scaling"}
    opt = torch.optim.AdamW(list(trainable.values()), lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    losses, norms, metrics = [], [], []
    micro = [pairs[i:i + MICRO] for i in range(0, PAIRS, MICRO)]
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        step_losses, step_metrics = [], []
        for k in range(GA):
            loss, m = micro_step(case, params, cfg, lora, micro[(step * GA + k) % len(micro)])
            (loss / GA).backward()
            step_losses.append(loss.item())
            step_metrics.append(m)
        losses.append(sum(step_losses) / GA)
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(trainable.values()), CLIP)))
        metrics.append({k: sum(m[k] for m in step_metrics) / GA for k in step_metrics[0]})
        opt.step()
    init = {f"base_model.model.{k}": v for k, v in make_adapter(params, 1234).items() if k != "scaling"}
    os.makedirs(os.path.join(folder, "init_adapter"))
    write_json(os.path.join(folder, "init_adapter", "adapter_config.json"), {
        "peft_type": "LORA", "r": R, "lora_alpha": ALPHA, "lora_dropout": 0.0, "target_modules": TARGETS, "bias": "none",
        "use_rslora": False, "use_dora": False, "modules_to_save": None, "base_model_name_or_path": None,
        "task_type": "CAUSAL_LM", "fan_in_fan_out": False, "inference_mode": True})
    write_safetensors(os.path.join(folder, "init_adapter", "adapter_model.safetensors"), {k: v.detach() for k, v in init.items()}, {"format": "pt"})
    write_safetensors(os.path.join(folder, "final.safetensors"), {k: v.detach() for k, v in trainable.items()})
    config = dict(case, learning_rate=LR, max_grad_norm=CLIP, micro_batch=MICRO, gradient_accumulation_steps=GA, steps=STEPS,
                  r=R, lora_alpha=ALPHA, model="../../models/llama_gqa/model")
    write_json(os.path.join(folder, "expected.json"), {"config": config, "losses": losses, "grad_norms": norms, "metrics": metrics})
    print(name, ["%.5f" % x for x in losses], "acc", [m["rewards/accuracies"] for m in metrics][-3:])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for n, c in CASES.items():
        run_case(n, c)
