#!/usr/bin/env python3
"""Golden logits of merged Hugging Face folders written by `tunesharp export --to hf`, loaded by the PyTorch mirror.

Run:  /usr/bin/python3 tests/golden/gen_export.py      (writes tests/golden/fixtures/export/{meta.json,expected.safetensors})

Needs the built CLI (dotnet build src/TuneSharp.Cli -c Release) and ../shared/assets/models/tinystories-656k (its
tokenizer files are what the export copies; the tiny models' vocabularies are smaller, which no weight depends on).

For every case it runs the TuneSharp CLI on a committed base model (fixtures/models/<variant>/model) and a committed PEFT
adapter (fixtures/adapters/<variant>/<a|b>), then loads the written folder the way transformers' from_pretrained does
and refuses anything it would warn about or silently re-initialise:
  - config.json parses into the mirror's Cfg; every tensor has the config's torch_dtype;
  - sharded output: model.safetensors.index.json maps every tensor to exactly one shard, each shard holds exactly the
    tensors mapped to it, shard names follow model-0000i-of-0000N.safetensors, metadata.total_size is the byte count;
  - every shard's __metadata__.format is "pt" (transformers raises otherwise);
  - the tensor names and shapes are exactly the architecture's parameters (tied configs: model.embed_tokens.weight
    present, lm_head.weight tolerated as transformers ties it) — no missing key, no unexpected key.
Weights are upcast to float32 (transformers' default load dtype) and models_arch.forward gives the logits of fixed ids.
As a self-check the float32 cases must equal the mirror's adapter-on-base logits (PEFT's unmerged LoRA) to 1e-5 of the
logit scale. The C# test (tests/TuneSharp.Export.Tests/HfMirrorTests.cs) exports the same cases, checks the same file
layout (meta.json "layout") and compares our engine's logits on its export with these within 1e-4 relative.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_models import param_shapes  # noqa: E402
from models_arch import Cfg, forward  # noqa: E402
from models_io import read_safetensors, write_json, write_safetensors  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIX = os.path.join(HERE, "fixtures")
OUT = os.path.join(FIX, "export")
TOKENIZER = os.path.normpath(os.path.join(ROOT, "..", "shared", "assets", "models", "tinystories-656k"))
CLI = os.path.join(ROOT, "src", "TuneSharp.Cli", "bin", "Release", "net10.0", "tunesharp.dll")

# (case name, variant, adapter, --dtype, --max-shard-size or None)
CASES = [
    ("llama_gqa-a-f32", "llama_gqa", "a", "f32", None),
    ("llama3_tied_bias-a-f32", "llama3_tied_bias", "a", "f32", None),  # tied base stored as lm_head only; untied by the adapter
    ("llama3_tied_bias-b-f32", "llama3_tied_bias", "b", "f32", None),  # stays tied
    ("mistral_swa-a-f32", "mistral_swa", "a", "f32", None),
    ("qwen2_tied-a-f32", "qwen2_tied", "a", "f32", None),
    ("qwen2_tied-b-f32", "qwen2_tied", "b", "f32", None),
    ("qwen3-a-f32", "qwen3", "a", "f32", None),
    ("gemma-a-f32", "gemma", "a", "f32", None),
    ("gemma2-a-f32", "gemma2", "a", "f32", None),
    ("llama_gqa-a-bf16-sharded", "llama_gqa", "a", "bf16", "20KB"),
    ("gemma2-a-f16-sharded", "gemma2", "a", "f16", "16KB"),
]
TORCH_DTYPE = {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}
ST_DTYPE = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}
ST_BYTES = {"F32": 4, "BF16": 2, "F16": 2}
SHARD = re.compile(r"^model-(\d{5})-of-(\d{5})\.safetensors$")


def read_raw(path):
    """(header, tensors as float32, metadata) of one safetensors file; BF16 widened exactly (bits << 16)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        raw = data[base + a:base + b]
        dt = e["dtype"]
        if dt == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        else:
            raise SystemExit(f"{path}: {name} has dtype {dt}, not a float type")
        if len(raw) != int(np.prod(e["shape"], dtype=np.int64)) * ST_BYTES[dt]:
            raise SystemExit(f"{path}: {name} byte range does not match shape {e['shape']}")
        out[name] = (dt, list(e["shape"]), torch.from_numpy(arr.reshape(e["shape"]).copy()))
    return out, meta


def load_like_transformers(folder):
    """Strict from_pretrained-style load. Returns (cfg, float32 params, layout dict)."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    cfg = Cfg(config)
    want_dtype = ST_DTYPE[config["torch_dtype"]]
    index = os.path.join(folder, "model.safetensors.index.json")
    files = {}
    if os.path.exists(index):
        if os.path.exists(os.path.join(folder, "model.safetensors")):
            raise SystemExit(f"{folder}: both model.safetensors and an index")
        with open(index) as f:
            idx = json.load(f)
        wmap = idx["weight_map"]
        shards = sorted(set(wmap.values()))
        for s in shards:
            m = SHARD.match(s)
            if not m or int(m.group(2)) != len(shards):
                raise SystemExit(f"{folder}: shard name {s} does not follow model-0000i-of-{len(shards):05d}.safetensors")
        total = 0
        for s in shards:
            tensors, meta = read_raw(os.path.join(folder, s))
            mapped = sorted(k for k, v in wmap.items() if v == s)
            if sorted(tensors) != mapped:
                raise SystemExit(f"{folder}/{s}: holds {sorted(tensors)}, the index maps {mapped}")
            files[s] = (tensors, meta)
            total += sum(int(np.prod(sh, dtype=np.int64)) * ST_BYTES[dt] for dt, sh, _ in tensors.values())
        if idx.get("metadata", {}).get("total_size") != total:
            raise SystemExit(f"{folder}: index metadata.total_size {idx.get('metadata')} != {total} tensor bytes")
    else:
        files["model.safetensors"] = read_raw(os.path.join(folder, "model.safetensors"))
    params, layout = {}, {}
    for fname, (tensors, meta) in files.items():
        if not meta or meta.get("format") not in ("pt", "tf", "flax", "mlx"):
            raise SystemExit(f"{folder}/{fname}: __metadata__.format is {meta}; transformers refuses it")
        for name, (dt, shape, t) in tensors.items():
            if dt != want_dtype:
                raise SystemExit(f"{folder}/{fname}: {name} is {dt}, config.json says {config['torch_dtype']}")
            if name in params:
                raise SystemExit(f"{folder}: {name} stored twice")
            params[name] = t
            layout[name] = [dt, shape, fname]
    expected = param_shapes(cfg)
    missing = [k for k in expected if k not in params]
    allowed_extra = {"lm_head.weight"} if cfg.tie else set()
    unexpected = [k for k in params if k not in expected and k not in allowed_extra]
    if missing or unexpected:
        raise SystemExit(f"{folder}: missing {missing}, unexpected {unexpected}")
    for k, shape in expected.items():
        if tuple(params[k].shape) != tuple(shape):
            raise SystemExit(f"{folder}: {k} has shape {list(params[k].shape)}, the config needs {list(shape)}")
    if cfg.tie and "lm_head.weight" in params and not torch.equal(params["lm_head.weight"], params["model.embed_tokens.weight"]):
        raise SystemExit(f"{folder}: tied config but lm_head.weight differs from the embedding (transformers would drop it)")
    params.pop("lm_head.weight", None) if cfg.tie else None
    return cfg, params, config, layout


def adapter_lora(folder):
    """PEFT tensors by in-model name plus scaling (alpha/r, or alpha/√r for rsLoRA) for models_arch.forward."""
    with open(os.path.join(folder, "adapter_config.json")) as f:
        c = json.load(f)
    t, _ = read_safetensors(os.path.join(folder, "adapter_model.safetensors"))
    lora = {k[len("base_model.model."):]: v.float() for k, v in t.items()}
    lora["scaling"] = c["lora_alpha"] / (c["r"] ** 0.5 if c.get("use_rslora") else c["r"])
    return lora


def main():
    if not os.path.exists(CLI):
        raise SystemExit(f"{CLI} not found: dotnet build src/TuneSharp.Cli -c Release")
    if not os.path.isdir(TOKENIZER):
        raise SystemExit(f"{TOKENIZER} not found (../shared/assets)")
    torch.set_num_threads(1)
    work = tempfile.mkdtemp(prefix="ts-gen-export-")
    expected, cases = {}, []
    try:
        for name, variant, adapter, dtype, shard in CASES:
            base = os.path.join(FIX, "models", variant, "model")
            ad = os.path.join(FIX, "adapters", variant, adapter)
            out = os.path.join(work, name)
            cmd = ["dotnet", CLI, "export", "--model", base, "--adapter", ad, "--tokenizer", TOKENIZER, "--to", "hf",
                   "--dtype", dtype, "--out", out, "--no-check"] + (["--max-shard-size", shard] if shard else [])
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            cfg, params, config, layout = load_like_transformers(out)
            if shard and len({v[2] for v in layout.values()}) < 2:
                raise SystemExit(f"{name}: --max-shard-size {shard} wrote one shard; lower it")
            with open(os.path.join(FIX, "models", variant, "meta.json")) as f:
                ids = json.load(f)["input_ids"][0]
            with torch.no_grad():
                logits = forward(params, cfg, torch.tensor([ids]))[0]
                # Self-check: the merged float32 folder computes what PEFT's unmerged adapter on the base computes.
                bp, _ = read_safetensors(os.path.join(base, "model.safetensors"))
                with open(os.path.join(base, "config.json")) as f:
                    bcfg = Cfg(json.load(f))
                ref = forward({k: v.float() for k, v in bp.items()}, bcfg, torch.tensor([ids]), lora=adapter_lora(ad))[0]
            rel = float((logits - ref).abs().max() / ref.abs().max())
            bound = 1e-5 if dtype == "f32" else 5e-2
            if rel > bound:
                raise SystemExit(f"{name}: merged folder vs adapter-on-base differ by {rel:.3g} of the logit scale (> {bound})")
            expected["logits." + name] = logits.float()
            cases.append({
                "name": name, "variant": variant, "adapter": adapter, "dtype": dtype, "max_shard_size": shard,
                "input_ids": ids, "tie_word_embeddings": config.get("tie_word_embeddings"),
                "torch_dtype": config["torch_dtype"], "files": sorted(os.listdir(out)), "layout": layout,
                "vs_adapter_on_base_rel": rel,
            })
            print(f"{name}: {len(layout)} tensors in {len({v[2] for v in layout.values()})} file(s), "
                  f"tie={config.get('tie_word_embeddings')}, merged vs adapter-on-base {rel:.2g} of the logit scale")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "expected.safetensors"), expected)
    write_json(os.path.join(OUT, "meta.json"), {
        "tokenizer": "../shared/assets/models/tinystories-656k (tokenizer files only)",
        "note": "logits.<case> (T, V) float32: the PyTorch mirror (models_arch.forward) on the folder `tunesharp export "
                "--to hf` wrote for that case, loaded strictly like transformers (see gen_export.py), weights upcast to "
                "float32; layout: tensor name -> [safetensors dtype, shape, file].",
        "cases": cases,
    })


if __name__ == "__main__":
    main()
