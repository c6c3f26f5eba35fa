"""Softmax golden values: row softmax forward + backward and log_softmax forward (fp32), including a large-logit row."""
import torch


def generate(write):
    x = torch.randn(4, 33) * 3.0
    x[1] *= 40.0  # large logits: max subtraction matters
    x[2, 5] = -1e30
    x = x.requires_grad_()
    y = torch.softmax(x, dim=-1)
    g = torch.randn(4, 33)
    (y * g).sum().backward()
    write("softmax_rows", {"x": x, "out": y, "grad_out": g, "grad_x": x.grad}, {"rows": 4, "cols": 33})
    x2 = (torch.randn(3, 50) * 5.0)
    write("log_softmax_rows", {"x": x2, "out": torch.log_softmax(x2, dim=-1)}, {"rows": 3, "cols": 50})
