"""clip_grad_norm_ golden values: total L2 norm over several gradients and the clipped gradients (fp32)."""
import torch


def _case(write, name, max_norm, scale):
    shapes = [(5, 3), (7,), (2, 2, 2)]
    params = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
    for p in params:
        p.grad = torch.randn(p.shape) * scale
    before = [p.grad.clone() for p in params]
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    tensors = {}
    for i, (b, p) in enumerate(zip(before, params)):
        tensors[f"grad{i}"] = b
        tensors[f"clipped{i}"] = p.grad
    tensors["total_norm"] = total.reshape(1)
    write(name, tensors, {"max_norm": max_norm, "count": len(shapes)})


def generate(write):
    _case(write, "gradclip_clipped", 1.0, 1.0)
    _case(write, "gradclip_unclipped", 100.0, 0.1)
