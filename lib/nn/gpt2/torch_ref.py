"""PyTorch reference for `tsrl bench --only gpt2`: the same GPT-2 shapes, timed the same way.

A GPT-2 in the shape of nanoGPT's model.py (token + position embeddings, pre-LayerNorm blocks of
causal self-attention and a 4x GELU(tanh) MLP, final LayerNorm, LM head tied to the token
embedding), plus a KV cache for generation, which nanoGPT does not have and tsrl uses.

  train     one step: forward, cross-entropy on `batch` x `seq` next tokens, backward, gradient
            clipping to norm 1, AdamW (lr 6e-4, betas 0.9/0.95, weight decay 0.1) -- the step
            `tsrl bench` times with lib/nn/optim's Adam
  generate  `batch` rows of `promptLength` random tokens, then `newTokens` tokens sampled
            (softmax at temperature 1) with a KV cache, one decoding step per token

It serves the bench over stdin/stdout, one JSON object per line, so the TypeScript side can
interleave its own measurements with these (same machine load for both):

  {"op": "info"}                               -> versions and thread settings
  {"op": "measure", "config": {...}, "what": "train" | "generate", "threads": n, ...}
                                               -> {"ms": milliseconds of one timed call}

`threads` sets both pools torch uses on this build (Debian's python3-torch 1.13: OpenMP for
element-wise work, OpenBLAS for the products) before each measurement; each reply says what
they were. Model and optimizer are built once per config (random weights, dropout off).
Run by lib/cli/bench.ts; not needed by any test.
"""
import ctypes
import ctypes.util
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, d):
        self.n_layer = int(d["nLayer"])
        self.n_head = int(d["nHead"])
        self.n_embd = int(d["nEmbd"])
        self.block_size = int(d["nPositions"])
        self.vocab_size = int(d["vocabSize"])
        self.eps = float(d.get("layerNormEps", 1e-5))


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd)
        self.n_head = c.n_head
        self.n_embd = c.n_embd
        self.register_buffer("causal", torch.tril(torch.ones(c.block_size, c.block_size)).view(1, 1, c.block_size, c.block_size))

    def forward(self, x, past=None):
        B, T, C = x.size()
        H, D = self.n_head, C // self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q = q.view(B, T, H, D).transpose(1, 2)
        k = k.view(B, T, H, D).transpose(1, 2)
        v = v.view(B, T, H, D).transpose(1, 2)
        start = 0
        if past is not None:
            if past.get("k") is not None:
                start = past["k"].size(2)
                k = torch.cat([past["k"], k], dim=2)
                v = torch.cat([past["v"], v], dim=2)
            past["k"], past["v"] = k, v
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
        if T > 1:
            att = att.masked_fill(self.causal[:, :, start:start + T, :start + T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c.n_embd, eps=c.eps)
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c.n_embd, eps=c.eps)
        self.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.mlp_proj = nn.Linear(4 * c.n_embd, c.n_embd)

    def forward(self, x, past=None):
        x = x + self.attn(self.ln_1(x), past)
        return x + self.mlp_proj(self.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c.vocab_size, c.n_embd)
        self.wpe = nn.Embedding(c.block_size, c.n_embd)
        self.h = nn.ModuleList([Block(c) for _ in range(c.n_layer)])
        self.ln_f = nn.LayerNorm(c.n_embd, eps=c.eps)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c.n_layer) if name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight") else 0.02
                nn.init.normal_(p, mean=0.0, std=std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, cache=None, start=0):
        B, T = idx.size()
        pos = torch.arange(start, start + T, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for i, block in enumerate(self.h):
            x = block(x, None if cache is None else cache[i])
        return self.lm_head(self.ln_f(x))


_openblas = None


def openblas():
    global _openblas
    if _openblas is None:
        _openblas = False
        for name in ["libblas.so.3", ctypes.util.find_library("openblas") or ""]:
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
                lib.openblas_get_num_threads.restype = ctypes.c_int
                _openblas = lib
                break
            except (OSError, AttributeError):
                continue
    return _openblas or None


def set_threads(n):
    torch.set_num_threads(n)
    lib = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(ctypes.c_int(n))
    return thread_settings()


def thread_settings():
    lib = openblas()
    return {
        "torch": torch.get_num_threads(),
        "openblas": lib.openblas_get_num_threads() if lib is not None else None,
    }


models = {}


def model_for(config):
    key = json.dumps(config, sort_keys=True)
    if key not in models:
        torch.manual_seed(0)
        c = Config(config)
        model = GPT(c)
        model.eval()  # no dropout in the model at all; eval only marks it
        opt = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)
        models[key] = (c, model, opt)
    return models[key]


def train_once(config, batch, seq):
    c, model, opt = model_for(config)
    ids = torch.randint(0, c.vocab_size, (batch, seq + 1))
    t0 = time.perf_counter()
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, c.vocab_size), ids[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    loss.item()
    return (time.perf_counter() - t0) * 1000


@torch.no_grad()
def generate_once(config, batch, prompt_length, new_tokens):
    c, model, _ = model_for(config)
    prompt = torch.randint(0, c.vocab_size, (batch, prompt_length))
    t0 = time.perf_counter()
    cache = [dict() for _ in range(c.n_layer)]
    logits = model(prompt, cache, 0)[:, -1, :]
    for step in range(new_tokens):
        nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
        if step + 1 == new_tokens:
            break
        logits = model(nxt, cache, prompt_length + step)[:, -1, :]
    return (time.perf_counter() - t0) * 1000


def handle(req):
    op = req.get("op")
    if op == "info":
        return {"torch": torch.__version__, "python": sys.version.split()[0], "threads": thread_settings(), "parallel": torch.__config__.parallel_info().splitlines()[:8]}
    if op == "measure":
        threads = set_threads(int(req["threads"]))
        if req["what"] == "train":
            ms = train_once(req["config"], int(req["batch"]), int(req["seq"]))
        elif req["what"] == "generate":
            ms = generate_once(req["config"], int(req["batch"]), int(req["promptLength"]), int(req["newTokens"]))
        else:
            raise ValueError("what must be train or generate, got %r" % req["what"])
        return {"ms": ms, "threads": threads}
    raise ValueError("op must be info or measure, got %r" % op)


def main():
    torch.set_grad_enabled(True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            reply = handle(json.loads(line))
        except Exception as e:  # the bench reports it and goes on without torch
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
