#!/usr/bin/env python3
"""Golden values for the quantized-block kernels, from independent numpy/torch re-implementations.

Run:  /usr/bin/python3 tests/golden/gen_quant.py     (writes tests/golden/fixtures/quant/*.json)

Written from the math of ggml-quants.c (quantize_row_q8_0_ref, quantize_row_q4_0_ref, dequantize_row_q4_K/q6_K,
get_scale_min_k4) and bitsandbytes (functional.create_dynamic_map, quantize_4bit/dequantize_4bit with NF4,
csrc/kernels.cu dQuantizeNF4/dQuantize<0>), neither of which is installable here. float32 arithmetic is emulated
with numpy float32 scalars in the order the C code uses. Seeds are fixed.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import write_fixture  # noqa: E402

f32 = np.float32


def t(a, dtype=None):
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    return torch.from_numpy(np.ascontiguousarray(a))


def roundf(v):
    """C roundf: half away from zero (computed in float64, exact for float32 inputs)."""
    v = float(v)
    return int(np.sign(v) * np.floor(abs(v) + 0.5))


def half_bytes(x):
    return list(np.array([x], dtype=np.float16).view(np.uint8))


def half_of(b, o):
    return f32(np.frombuffer(bytes(b[o:o + 2]), dtype=np.float16)[0])


# ---------------- Q8_0 / Q4_0 ----------------
def q8_0_quantize(x):
    out = []
    for blk in x.reshape(-1, 32):
        amax = f32(0)
        for v in blk:
            amax = max(amax, f32(abs(v)))
        d = f32(amax / f32(127))
        inv = f32(f32(1) / d) if d != 0 else f32(0)
        out += half_bytes(d)
        out += [roundf(f32(v * inv)) & 0xFF for v in blk]
    return np.array(out, dtype=np.uint8)


def q8_0_dequantize(b):
    n = len(b) // 34
    y = []
    for i in range(n):
        blk = b[i * 34:(i + 1) * 34]
        d = half_of(blk, 0)
        y += [f32(f32(np.int8(np.uint8(q).view(np.int8))) * d) for q in blk[2:]]
    return np.array(y, dtype=np.float32)


def q4_0_quantize(x):
    out = []
    for blk in x.reshape(-1, 32):
        amax, mx = f32(0), f32(0)
        for v in blk:
            if amax < abs(v):
                amax, mx = f32(abs(v)), f32(v)
        d = f32(mx / f32(-8))
        inv = f32(f32(1) / d) if d != 0 else f32(0)
        out += half_bytes(d)
        for j in range(16):
            x0, x1 = f32(blk[j] * inv), f32(blk[16 + j] * inv)
            q0 = min(15, int(np.trunc(f32(x0 + f32(8.5)))))
            q1 = min(15, int(np.trunc(f32(x1 + f32(8.5)))))
            out.append(q0 | (q1 << 4))
    return np.array(out, dtype=np.uint8)


def q4_0_dequantize(b):
    y = []
    for i in range(len(b) // 18):
        blk = b[i * 18:(i + 1) * 18]
        d = half_of(blk, 0)
        lo = [f32(f32((q & 0xF) - 8) * d) for q in blk[2:]]
        hi = [f32(f32((q >> 4) - 8) * d) for q in blk[2:]]
        y += lo + hi
    return np.array(y, dtype=np.float32)


# ---------------- Q4_K / Q6_K (dequantize only) ----------------
def scale_min_k4(j, q):
    if j < 4:
        return q[j] & 63, q[j + 4] & 63
    return (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)


def q4_k_dequantize(b):
    y = []
    for i in range(len(b) // 144):
        blk = [int(v) for v in b[i * 144:(i + 1) * 144]]
        d, dmin = half_of(blk, 0), half_of(blk, 2)
        scales, qs = blk[4:16], blk[16:144]
        for k in range(4):
            sc, m = scale_min_k4(2 * k, scales)
            d1, m1 = f32(d * f32(sc)), f32(dmin * f32(m))
            sc, m = scale_min_k4(2 * k + 1, scales)
            d2, m2 = f32(d * f32(sc)), f32(dmin * f32(m))
            q = qs[32 * k:32 * k + 32]
            y += [f32(f32(d1 * f32(v & 0xF)) - m1) for v in q]
            y += [f32(f32(d2 * f32(v >> 4)) - m2) for v in q]
    return np.array(y, dtype=np.float32)


def q6_k_dequantize(b):
    y = np.zeros(len(b) // 210 * 256, dtype=np.float32)
    for i in range(len(b) // 210):
        blk = [int(v) for v in b[i * 210:(i + 1) * 210]]
        ql, qh = blk[0:128], blk[128:192]
        sc = [v - 256 if v > 127 else v for v in blk[192:208]]
        d = half_of(blk, 208)
        for half in range(2):
            L, H, S = ql[64 * half:], qh[32 * half:], sc[8 * half:]
            base = i * 256 + 128 * half
            for l in range(32):
                s = l // 16
                q1 = ((L[l] & 0xF) | (((H[l] >> 0) & 3) << 4)) - 32
                q2 = ((L[l + 32] & 0xF) | (((H[l] >> 2) & 3) << 4)) - 32
                q3 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32
                q4 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32
                y[base + l] = f32(f32(d * f32(S[s])) * f32(q1))
                y[base + l + 32] = f32(f32(d * f32(S[s + 2])) * f32(q2))
                y[base + l + 64] = f32(f32(d * f32(S[s + 4])) * f32(q3))
                y[base + l + 96] = f32(f32(d * f32(S[s + 6])) * f32(q4))
    return y


def random_k_blocks(rng, nblocks, size, d_offsets):
    b = rng.integers(0, 256, size=nblocks * size, dtype=np.uint8)
    for i in range(nblocks):
        for o in d_offsets:
            b[i * size + o:i * size + o + 2] = half_bytes(f32(rng.uniform(0.001, 0.05)))
    return b


# ---------------- bitsandbytes NF4 + dynamic map ----------------
NF4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                0.7229568362236023, 1.0], dtype=np.float32)
# Thresholds of dQuantizeNF4 (midpoints between neighbouring codes, as float32 literals; x > t picks the upper code).
NF4_T = np.array([-0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544,
                  -0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
                  0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683,
                  0.5016634166240692, 0.6427869200706482, 0.8614784181118011], dtype=np.float32)


def nf4_code(x):
    if np.isnan(x):
        return 0
    return int(np.sum(x > NF4_T))  # the decision tree is a search over sorted thresholds


def nf4_quantize(x, bs):
    n = len(x)
    absmax = []
    codes = []
    for b in range(0, n, bs):
        blk = x[b:b + bs]
        a = f32(np.max(np.abs(blk)))
        absmax.append(a)
        inv = f32(f32(1) / a) if a != 0 else f32(np.inf)
        with np.errstate(invalid="ignore"):
            codes += [nf4_code(f32(v * inv)) for v in blk]
    packed = [(codes[2 * j] << 4) | codes[2 * j + 1] for j in range(n // 2)]
    return np.array(packed, dtype=np.uint8), np.array(absmax, dtype=np.float32)


def nf4_dequantize(packed, absmax, bs):
    y = []
    for j, q in enumerate(packed):
        a = absmax[(2 * j) // bs]
        y += [f32(NF4[q >> 4] * a), f32(NF4[q & 15] * a)]
    return np.array(y, dtype=np.float32)


def create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8):
    """bitsandbytes functional.create_dynamic_map, re-derived: per exponent i, the means of linspace(0.1, 1, k+1)
    scaled by 10^(i - 6), both signs when signed, plus 0 and 1, sorted. Computed with torch float32 as bnb does."""
    data = []
    non_sign_bits = total_bits - 1
    additional_items = 2 ** (non_sign_bits - max_exponent_bits) - 1
    for i in range(max_exponent_bits):
        items = int(2 ** (i + non_sign_bits - max_exponent_bits) + 1 if signed
                    else 2 ** (i + non_sign_bits - max_exponent_bits + 1) + 1)
        bounds = torch.linspace(0.1, 1, items)
        means = (bounds[:-1] + bounds[1:]) / 2.0
        data += ((10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
        if signed:
            data += (-(10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
    assert additional_items == 0
    data.append(0)
    data.append(1.0)
    assert len(data) == 2 ** total_bits
    data.sort()
    return np.array(torch.tensor(data).numpy(), dtype=np.float32)


def dquantize(code, x):
    """dQuantize<0>: binary search over the sorted code, then the nearer neighbour by float32 midpoint."""
    pivot, upper_pivot, lower_pivot = 127, 255, 0
    lower, upper = f32(-1), f32(1)
    val = code[pivot]
    i = 64
    while i > 0:
        if x > val:
            lower_pivot, lower = pivot, val
            pivot += i
        else:
            upper_pivot, upper = pivot, val
            pivot -= i
        val = code[pivot]
        i >>= 1
    if upper_pivot == 255:
        upper = code[upper_pivot]
    if lower_pivot == 0:
        lower = code[lower_pivot]
    if x > val:
        return upper_pivot if x > f32(f32(upper + val) * f32(0.5)) else pivot
    return lower_pivot if x < f32(f32(lower + val) * f32(0.5)) else pivot


def quantize_blockwise(code, x, bs):
    q, absmax = [], []
    for b in range(0, len(x), bs):
        blk = x[b:b + bs]
        a = f32(np.max(np.abs(blk)))
        absmax.append(a)
        inv = f32(f32(1) / a)
        q += [dquantize(code, f32(v * inv)) for v in blk]
    return np.array(q, dtype=np.uint8), np.array(absmax, dtype=np.float32)


def main():
    rng = np.random.default_rng(1234)
    torch.manual_seed(0)
    n = 0

    def w(name, tensors, config=None):
        nonlocal n
        write_fixture("quant", name, {k: t(v) for k, v in tensors.items()}, config)
        n += 1

    # GGUF Q8_0 / Q4_0: quantize + dequantize of Gaussian data with a few outliers and an all-zero block.
    x = rng.standard_normal(32 * 12).astype(np.float32)
    x[5] = 7.5
    x[40] = -9.25
    x[64:96] = 0
    q8 = q8_0_quantize(x)
    w("q8_0", {"x": x, "q": q8, "dequant": q8_0_dequantize(q8)}, {"block": 32, "block_bytes": 34})
    q4 = q4_0_quantize(x)
    w("q4_0", {"x": x, "q": q4, "dequant": q4_0_dequantize(q4)}, {"block": 32, "block_bytes": 18})

    # K-quants: random super-blocks with sane f16 scales; dequantization only.
    b4 = random_k_blocks(rng, 3, 144, [0, 2])
    w("q4_k", {"q": b4, "dequant": q4_k_dequantize(b4)}, {"block": 256, "block_bytes": 144})
    b6 = random_k_blocks(rng, 3, 210, [208])
    w("q6_k", {"q": b6, "dequant": q6_k_dequantize(b6)}, {"block": 256, "block_bytes": 210})

    # NF4: 5 full blocks of 64 + a partial block of 20, one all-zero block; then double quantization.
    xn = (rng.standard_normal(64 * 5 + 20) * 0.05).astype(np.float32)
    xn[128:192] = 0
    packed, absmax = nf4_quantize(xn, 64)
    w("nf4", {"x": xn, "packed": packed, "absmax": absmax, "dequant": nf4_dequantize(packed, absmax, 64),
              "codes": NF4}, {"block": 64})

    code = create_dynamic_map(True)
    # absmax of a 600-block tensor: double quantization spans 3 nested blocks (256, 256, 88).
    am = np.abs(rng.standard_normal(600) * 0.02 + 0.05).astype(np.float32)
    offset = f32(torch.from_numpy(am).mean().item())
    centred = (am - offset).astype(np.float32)
    qa, am2 = quantize_blockwise(code, centred, 256)
    deq = np.array([f32(f32(code[q] * am2[i // 256]) + offset) for i, q in enumerate(qa)], dtype=np.float32)
    w("nf4_double_quant", {"dynamic_map": code, "absmax": am, "offset": np.array([offset], dtype=np.float32),
                           "qabsmax": qa, "absmax2": am2, "absmax_dequant": deq}, {"nested_block": 256})
    print(f"quant: {n} fixtures")


if __name__ == "__main__":
    main()
