"""PyTorch mirror of HF BertModel / XLMRobertaModel / MPNetModel + sentence-transformers Pooling/Normalize.

Writes fixtures/encoders/<name>.json with token ids, the model config, and the sentence embeddings of each row,
computed once as one right-padded batch and once row by row. Weights are deterministic functions of the tensor name
(FNV-1a 64 of the name seeds a SplitMix64 counter stream, see det_values) so the C# test rebuilds the very same
model.safetensors without a committed multi-megabyte weight file. The math follows transformers'
modeling_bert.py / modeling_xlm_roberta.py / modeling_mpnet.py (eval mode: no dropout) and
sentence_transformers/models/Pooling.py + Normalize.py; the transformers package is not needed.

Run: /usr/bin/python3 tests/golden/gen_encoders.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from golden_io import write_fixture

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "assets")
MINILM = os.path.join(SHARED, "models", "configs", "all-minilm-l6-v2")
MASK64 = (1 << 64) - 1


def fnv1a64(name):
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & MASK64
    return h


def init_rule(name):
    """(offset, scale) of a tensor's uniform values: LayerNorm weights near 1, biases small, the rest ±0.1."""
    if name.endswith("LayerNorm.weight"):
        return 1.0, 0.1
    if name.endswith("relative_attention_bias.weight"):
        return 0.0, 0.5
    if name.endswith(".bias"):
        return 0.0, 0.05
    return 0.0, 0.1


def det_values(name, shape):
    """offset + scale·(2u − 1), u = top 24 bits of SplitMix64(fnv1a64(name) + (i+1)·golden) / 2^24, as float32."""
    n = int(np.prod(shape))
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(name)) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / 16777216.0
    offset, scale = init_rule(name)
    return torch.from_numpy(((2.0 * u - 1.0) * scale + offset).astype(np.float32).reshape(shape))


def weight_shapes(cfg):
    arch, C, I = cfg["model_type"], cfg["hidden_size"], cfg["intermediate_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (cfg["vocab_size"], C),
        "embeddings.position_embeddings.weight": (cfg["max_position_embeddings"], C),
        "embeddings.LayerNorm.weight": (C,),
        "embeddings.LayerNorm.bias": (C,),
    }
    if arch != "mpnet":
        shapes["embeddings.token_type_embeddings.weight"] = (cfg["type_vocab_size"], C)
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        names = (["attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o"] if arch == "mpnet"
                 else ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"])
        for n in names:
            shapes[p + n + ".weight"] = (C, C)
            shapes[p + n + ".bias"] = (C,)
        ln = "attention.LayerNorm" if arch == "mpnet" else "attention.output.LayerNorm"
        shapes[p + ln + ".weight"] = (C,)
        shapes[p + ln + ".bias"] = (C,)
        shapes[p + "intermediate.dense.weight"] = (I, C)
        shapes[p + "intermediate.dense.bias"] = (I,)
        shapes[p + "output.dense.weight"] = (C, I)
        shapes[p + "output.dense.bias"] = (C,)
        shapes[p + "output.LayerNorm.weight"] = (C,)
        shapes[p + "output.LayerNorm.bias"] = (C,)
    if arch == "mpnet":
        shapes["encoder.relative_attention_bias.weight"] = (cfg.get("relative_attention_num_buckets", 32), cfg["num_attention_heads"])
    return shapes


def position_ids(cfg, ids):
    if cfg["model_type"] == "bert":
        return torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
    pad = 1 if cfg["model_type"] == "mpnet" else cfg["pad_token_id"]
    # create_position_ids_from_input_ids
    mask = ids.ne(pad).int()
    return (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + pad


def relative_position_bucket(relative_position, num_buckets=32, max_distance=128):
    ret = 0
    n = -relative_position
    num_buckets //= 2
    ret += (n < 0).to(torch.long) * num_buckets
    n = torch.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    val_if_large = max_exact + (
        torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(torch.long)
    val_if_large = torch.min(val_if_large, torch.full_like(val_if_large, num_buckets - 1))
    return ret + torch.where(is_small, n, val_if_large)


def encoder_forward(cfg, w, ids, attention_mask):
    """last_hidden_state (B, T, C) of BertModel / XLMRobertaModel / MPNetModel."""
    arch, C, H = cfg["model_type"], cfg["hidden_size"], cfg["num_attention_heads"]
    D = C // H
    eps = cfg.get("layer_norm_eps", 1e-12)
    B, T = ids.shape
    x = F.embedding(ids, w["embeddings.word_embeddings.weight"]) + F.embedding(position_ids(cfg, ids), w["embeddings.position_embeddings.weight"])
    if arch != "mpnet":
        x = x + F.embedding(torch.zeros_like(ids), w["embeddings.token_type_embeddings.weight"])
    x = F.layer_norm(x, (C,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    ext = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    bias = None
    if arch == "mpnet":
        rel = torch.arange(T)[None, :] - torch.arange(T)[:, None]
        bias = F.embedding(relative_position_bucket(rel), w["encoder.relative_attention_bias.weight"]).permute(2, 0, 1).unsqueeze(0)
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        q, k, v, o = (["attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o"] if arch == "mpnet"
                      else ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"])
        lin = lambda t, n: F.linear(t, w[p + n + ".weight"], w[p + n + ".bias"])
        heads = lambda t: t.view(B, T, H, D).transpose(1, 2)
        qh, kh, vh = heads(lin(x, q)), heads(lin(x, k)), heads(lin(x, v))
        scores = torch.matmul(qh, kh.transpose(-1, -2)) / math.sqrt(D)
        if bias is not None:
            scores = scores + bias
        probs = F.softmax(scores + ext, dim=-1)
        ctx = torch.matmul(probs, vh).permute(0, 2, 1, 3).reshape(B, T, C)
        ln = "attention.LayerNorm" if arch == "mpnet" else "attention.output.LayerNorm"
        attn = F.layer_norm(lin(ctx, o) + x, (C,), w[p + ln + ".weight"], w[p + ln + ".bias"], eps)
        inter = F.gelu(lin(attn, "intermediate.dense"))
        x = F.layer_norm(lin(inter, "output.dense") + attn, (C,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x


def pool(pooling, tokens, mask, normalize):
    """sentence_transformers Pooling.forward (cls, max, mean, mean_sqrt_len, lasttoken) then Normalize."""
    outs = []
    m = mask.unsqueeze(-1).expand(tokens.size()).float()
    if pooling.get("pooling_mode_cls_token"):
        outs.append(tokens[:, 0])
    if pooling.get("pooling_mode_max_tokens"):
        t = tokens.clone()
        t[m == 0] = -1e9
        outs.append(torch.max(t, 1)[0])
    if pooling.get("pooling_mode_mean_tokens") or pooling.get("pooling_mode_mean_sqrt_len_tokens"):
        s = torch.sum(tokens * m, 1)
        n = torch.clamp(m.sum(1), min=1e-9)
        if pooling.get("pooling_mode_mean_tokens"):
            outs.append(s / n)
        if pooling.get("pooling_mode_mean_sqrt_len_tokens"):
            outs.append(s / torch.sqrt(n))
    e = torch.cat(outs, 1)
    return F.normalize(e, p=2, dim=1) if normalize else e


def run(name, cfg, pooling, normalize, rows, pad):
    torch.manual_seed(0)
    w = {n: det_values(n, s) for n, s in weight_shapes(cfg).items()}
    T = max(len(r) for r in rows)
    ids = torch.full((len(rows), T), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    with torch.no_grad():
        batched = pool(pooling, encoder_forward(cfg, w, ids, mask), mask, normalize)
        single = torch.cat([pool(pooling, encoder_forward(cfg, w, torch.tensor([r]), torch.ones((1, len(r)), dtype=torch.long)),
                                 torch.ones((1, len(r)), dtype=torch.long), normalize) for r in rows])
    write_fixture("encoders", name, {"ids": ids, "lengths": torch.tensor([len(r) for r in rows]),
                                     "batched": batched, "single": single},
                  config={"model_config": cfg, "pooling": pooling, "normalize": normalize, "pad": pad})
    print(name, "max |batched - single| =", float((batched - single).abs().max()))


def main():
    cfg = json.load(open(os.path.join(MINILM, "config.json")))
    pooling = json.load(open(os.path.join(MINILM, "1_Pooling", "config.json")))
    vocab = {t.rstrip("\n"): i for i, t in enumerate(open(os.path.join(MINILM, "vocab.txt"), encoding="utf-8"))}
    sentences = ["the cat sat on the mat",
                 "customs clearance usually takes two days after the goods arrive at the port",
                 "hello world",
                 "a bill is a document issued by a carrier to acknowledge receipt of cargo for shipment",
                 "what is the term for free on board"]
    rows = [[101] + [vocab[wd] for wd in s.split()] + [102] for s in sentences]
    run("minilm_l6", cfg, pooling, True, rows, 0)
    json.dump(sentences, open(os.path.join(HERE, "fixtures", "encoders", "minilm_l6_sentences.json"), "w"))

    xlmr = {"model_type": "xlm-roberta", "vocab_size": 300, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64, "type_vocab_size": 1,
            "layer_norm_eps": 1e-05, "pad_token_id": 1, "hidden_act": "gelu", "position_embedding_type": "absolute"}
    g = torch.Generator().manual_seed(7)
    rnd = lambda n: [0] + torch.randint(3, 300, (n,), generator=g).tolist() + [2]
    run("xlmr_small", xlmr, {"pooling_mode_cls_token": True}, False, [rnd(5), rnd(12), rnd(1), rnd(20)], 1)
    run("xlmr_small_mean", xlmr, {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, True,
        [rnd(9), rnd(3), rnd(15)], 1)

    mpnet = {"model_type": "mpnet", "vocab_size": 300, "hidden_size": 32, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 80, "layer_norm_eps": 1e-05,
             "pad_token_id": 1, "hidden_act": "gelu", "relative_attention_num_buckets": 32}
    # 45 tokens: distances up to 44 reach the logarithmic buckets (n ≥ 8) without landing on n = 64.
    run("mpnet_small", mpnet, {"pooling_mode_mean_tokens": True}, True, [rnd(7), rnd(43), rnd(2), rnd(20)], 1)


if __name__ == "__main__":
    main()
