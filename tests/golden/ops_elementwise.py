"""Elementwise golden values (fp32): add, mul, scale, add_scaled (axpy) on odd-length vectors."""
import torch


def generate(write):
    n = 37
    a = torch.randn(n)
    b = torch.randn(n)
    s = 0.37
    d = torch.randn(n)
    write("elementwise_basic", {"a": a, "b": b, "d": d, "add": a + b, "mul": a * b, "scale": a * s,
                                "add_scaled": d + a * s, "add_in_place": d + a}, {"n": n, "s": s})
