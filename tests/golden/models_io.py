"""Tiny safetensors reader/writer (no safetensors package here) for the model golden fixtures.

Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__"},
then raw little-endian row-major data. Names are laid out in sorted order; the header is padded with spaces to a
multiple of 8 bytes like the reference implementation.
"""
import json
import os
import struct

import numpy as np
import torch

_DT = {torch.float32: ("F32", np.float32), torch.int64: ("I64", np.int64), torch.int32: ("I32", np.int32)}
_NP = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "F16": np.float16}


def write_safetensors(path, tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        tag, npt = _DT[t.dtype]
        raw = t.numpy().astype(npt).astype(np.dtype(npt).newbyteorder("<")).tobytes()
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[base + a:base + b], dtype=np.dtype(_NP[e["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.astype(_NP[e["dtype"]]).reshape(e["shape"]).copy())
    return out, header.get("__metadata__", {})


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
