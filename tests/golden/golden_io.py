"""Shared writer for golden fixtures: small JSON files that C# tests read without Python.

Fixture layout (tests/golden/fixtures/<group>/<name>.json):
  {"name": str, "config": {...scalars/lists...},
   "tensors": {"<key>": {"shape": [..], "dtype": "f32"|"f64"|"i64", "data": [flat row-major values]}}}
Keys by convention: inputs as-is ("x", "w"), outputs "out"/"loss", gradients "grad_<input>".
float32 values are written with repr(float(v)), which round-trips exactly through a C# double → float.
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")


def _tensor_entry(t):
    t = t.detach().cpu().contiguous()
    if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool):
        data = [int(v) for v in t.reshape(-1).tolist()]
        dtype = "i64"
    elif t.dtype == torch.float64:
        data = [float(v) for v in t.reshape(-1).tolist()]
        dtype = "f64"
    else:
        data = [float(v) for v in t.float().reshape(-1).tolist()]
        dtype = "f32"
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


def write_fixture(group, name, tensors, config=None):
    """Writes fixtures/<group>/<name>.json atomically (temp file + rename)."""
    folder = os.path.join(FIXTURES, group)
    os.makedirs(folder, exist_ok=True)
    doc = {"name": name, "config": config or {}, "tensors": {k: _tensor_entry(v) for k, v in tensors.items()}}
    path = os.path.join(folder, name + ".json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(tmp, path)
    return path
