"""Activation golden values: SiLU, tanh-GELU (HF gelu_pytorch_tanh = F.gelu(approximate='tanh')), SwiGLU, GeGLU; fp32 fwd + bwd."""
import torch
import torch.nn.functional as F


def _inputs(n):
    x = torch.randn(n) * 3.0
    # Include the tails and zero: very negative/positive inputs stress the sigmoid form.
    x[:6] = torch.tensor([0.0, -12.0, 12.0, -30.0, 30.0, 1e-4])
    return x


def _unary(write, name, fn, n):
    x = _inputs(n).requires_grad_()
    y = fn(x)
    g = torch.randn(n)
    (y * g).sum().backward()
    write(name, {"x": x, "out": y, "grad_out": g, "grad_x": x.grad}, {"n": n})


def _gated(write, name, fn, rows, cols):
    gate = _inputs(rows * cols).reshape(rows, cols).requires_grad_()
    up = torch.randn(rows, cols).requires_grad_()
    h = fn(gate) * up
    g = torch.randn(rows, cols)
    (h * g).sum().backward()
    write(name, {"gate": gate, "up": up, "out": h, "grad_out": g, "grad_gate": gate.grad, "grad_up": up.grad},
          {"rows": rows, "cols": cols})


def generate(write):
    gelu_tanh = lambda t: F.gelu(t, approximate="tanh")  # noqa: E731
    _unary(write, "act_silu", F.silu, 61)
    _unary(write, "act_gelu_tanh", gelu_tanh, 61)
    _gated(write, "act_swiglu", F.silu, 3, 29)
    _gated(write, "act_geglu", gelu_tanh, 3, 29)
