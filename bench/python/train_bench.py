# PyTorch reference for `bench train`: LoRA SFT steps (plain torch LoRA, PEFT semantics) on a random-initialised
# Llama-architecture model from an HF config.json; prints one JSON line (tokens_per_s, peak_rss_mb, …).
# Mirrors transformers' LlamaForCausalLM (RMSNorm, RoPE, GQA, SwiGLU) and PEFT LoRA: y = xWᵀ + (alpha/r)·B(A(x)).
# --method dpo: TRL-style DPO (sigmoid, beta 0.1) steps on batch/2 pairs of (seq/2 prompt + seq/2 answer) tokens: one
# policy forward over chosen + rejected rows, per-token log-probs by log_softmax + gather (TRL selective_log_softmax),
# the reference forward with LoRA switched off under no_grad (TRL's null_ref_context for PEFT models).
# Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 train_bench.py --config cfg.json --batch 4 --seq 256 --steps 3
import argparse, json, math, resource, time

import torch
import torch.nn as nn
import torch.nn.functional as F


LORA_OFF = [False]  # PEFT disable_adapter for the DPO reference forward


class LoraLinear(nn.Module):
    def __init__(self, inf, outf, r, alpha):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(outf, inf) * 0.02, requires_grad=False)
        self.r = r
        if r > 0:
            self.lora_A = nn.Parameter(torch.empty(r, inf))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.lora_B = nn.Parameter(torch.zeros(outf, r))
            self.scaling = alpha / r

    def forward(self, x):
        y = F.linear(x, self.weight)
        if self.r > 0 and not LORA_OFF[0]:
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling
        return y


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        v = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(v + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c, r, alpha, targets):
        super().__init__()
        C, nh, nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        hs = c.get("head_dim") or C // nh
        I = c["intermediate_size"]
        self.nh, self.nkv, self.hs = nh, nkv, hs
        R = lambda name: r if name in targets else 0
        self.q_proj = LoraLinear(C, nh * hs, R("q_proj"), alpha)
        self.k_proj = LoraLinear(C, nkv * hs, R("k_proj"), alpha)
        self.v_proj = LoraLinear(C, nkv * hs, R("v_proj"), alpha)
        self.o_proj = LoraLinear(nh * hs, C, R("o_proj"), alpha)
        self.gate_proj = LoraLinear(C, I, R("gate_proj"), alpha)
        self.up_proj = LoraLinear(C, I, R("up_proj"), alpha)
        self.down_proj = LoraLinear(I, C, R("down_proj"), alpha)
        self.input_layernorm = RMSNorm(C, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(C, c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.nh, self.hs).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.nkv, self.hs).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.nkv, self.hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hs) + mask
        y = torch.softmax(att, dim=-1) @ v
        x = x + self.o_proj(y.transpose(1, 2).reshape(B, T, self.nh * self.hs))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, c, r, alpha, targets):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Parameter(torch.randn(c["vocab_size"], c["hidden_size"]) * 0.02, requires_grad=False)
        self.layers = nn.ModuleList([Layer(c, r, alpha, targets) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = self.embed_tokens if c.get("tie_word_embeddings") else nn.Parameter(torch.randn(c["vocab_size"], c["hidden_size"]) * 0.02, requires_grad=False)

    def loss(self, ids, labels):
        logits = self.logits(ids)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)

    def dpo_loss(self, ids, prompt_len, beta=0.1):
        """ids (2P, T): chosen rows then rejected rows; answer tokens from prompt_len on."""
        def seq_logps(logits):
            lp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
            return lp[:, prompt_len - 1:].sum(-1)
        P = ids.shape[0] // 2
        pol = seq_logps(self.logits(ids))
        with torch.no_grad():
            LORA_OFF[0] = True
            try:
                ref = seq_logps(self.logits(ids))
            finally:
                LORA_OFF[0] = False
        x = (pol[:P] - pol[P:]) - (ref[:P] - ref[P:])
        return -F.logsigmoid(beta * x).mean()

    def logits(self, ids):
        B, T = ids.shape
        hs = self.layers[0].hs
        inv = 1.0 / (self.c.get("rope_theta", 10000.0) ** (torch.arange(0, hs, 2).float() / hs))
        freqs = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = F.embedding(ids, self.embed_tokens)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return F.linear(self.norm(x), self.lm_head)


def peak_rss_mb():
    # VmHWM is per address space and starts fresh at exec; ru_maxrss would include the parent's peak at fork time.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--targets", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    ap.add_argument("--method", default="sft", choices=["sft", "dpo"])
    ap.add_argument("--probe", action="store_true", help="time a 1024^3 fp32 matmul (GFLOP/s) to choose OPENBLAS_CORETYPE")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.probe:
        x, w = torch.randn(1024, 1024), torch.randn(1024, 1024)
        best = 1e9
        for _ in range(5):
            t = time.perf_counter(); x @ w; best = min(best, time.perf_counter() - t)
        print(json.dumps({"gflops": 2 * 1024 ** 3 / best / 1e9}))
        return
    c = json.load(open(a.config))
    model = Model(c, a.r, a.alpha, set(a.targets.split(",")))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, c["vocab_size"], (a.batch, a.seq), generator=g)
    losses, times = [], []
    for step in range(a.warmup + a.steps):
        t = time.perf_counter()
        loss = model.dpo_loss(ids, a.seq // 2) if a.method == "dpo" else model.loss(ids, ids)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
        losses.append(loss.item())
    timed = times[a.warmup:]
    print(json.dumps({
        "tokens_per_s": a.batch * a.seq * len(timed) / sum(timed),
        "step_s": sum(timed) / len(timed),
        "peak_rss_mb": peak_rss_mb(),
        "trainable_params": sum(p.numel() for p in params),
        "loss_first": losses[0],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
