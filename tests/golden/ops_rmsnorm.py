"""RMSNorm golden values: HF LlamaRMSNorm (x·rsqrt(mean(x²)+eps)·w) and GemmaRMSNorm (·(1+w)), fp32, forward + backward."""
import torch


def _rmsnorm(x, w, eps, add_one):
    # Same op order as modeling_llama.py / modeling_gemma.py in fp32.
    variance = x.pow(2).mean(-1, keepdim=True)
    rstd = torch.rsqrt(variance + eps)
    hidden = x * rstd
    return hidden * ((1.0 + w) if add_one else w), rstd.squeeze(-1)


def _case(write, name, rows, cols, eps, add_one, w_scale, w_offset):
    x = (torch.randn(rows, cols) * 2.0).requires_grad_()
    w = (torch.randn(cols) * w_scale + w_offset).requires_grad_()
    y, rstd = _rmsnorm(x, w, eps, add_one)
    g = torch.randn(rows, cols)
    (y * g).sum().backward()
    write(name, {"x": x, "weight": w, "out": y, "rstd": rstd, "grad_out": g, "grad_x": x.grad, "grad_weight": w.grad},
          {"rows": rows, "cols": cols, "eps": eps, "add_one_to_weight": add_one})


def generate(write):
    _case(write, "rmsnorm_llama", 5, 37, 1e-5, False, 0.1, 1.0)
    _case(write, "rmsnorm_gemma", 4, 64, 1e-6, True, 0.3, 0.0)
