"""Golden values for Kernels/LmHeadCrossEntropy: logits = hidden @ W^T (HF lm_head), optional Gemma-2 final-logit
softcapping (logits / cap -> tanh -> * cap, modeling_gemma2.py), then F.cross_entropy(ignore_index=-100, reduction="mean")
as transformers' ForCausalLMLoss does after shifting (the labels here are already shifted).
"""
import torch
import torch.nn.functional as F


def case(write, name, n, c, v, ignored, softcap=0.0, dtype=torch.float32):
    hidden = torch.randn(n, c, requires_grad=True)
    weight = (torch.randn(v, c) * 0.5).to(dtype).float().requires_grad_(True)  # bf16 weights stored widened (exact)
    labels = torch.randint(0, v, (n,))
    labels[ignored] = -100
    logits = hidden @ weight.t()
    if softcap > 0:
        logits = logits / softcap
        logits = torch.tanh(logits)
        logits = logits * softcap
    loss = F.cross_entropy(logits.float(), labels, ignore_index=-100, reduction="mean")
    loss.backward()
    count = int((labels != -100).sum())
    write(name, {"hidden": hidden, "weight": weight, "labels": labels, "loss": loss.reshape(1),
                 "grad_hidden": hidden.grad, "grad_weight": weight.grad},
          {"N": n, "C": c, "V": v, "softcap": float(softcap), "count": count,
           "weight_dtype": {torch.float32: "f32", torch.bfloat16: "bf16", torch.float16: "f16"}[dtype]})


def generate(write):
    case(write, "ce_basic", 12, 16, 37, [0, 5, 6])
    case(write, "ce_softcap", 9, 24, 50, [8], softcap=3.0)
    case(write, "ce_bf16", 7, 20, 64, [2], dtype=torch.bfloat16)
    case(write, "ce_f16", 6, 12, 33, [], dtype=torch.float16)
