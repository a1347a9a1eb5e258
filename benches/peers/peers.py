#!/usr/bin/env python3
"""Peer tools for benches/throughput.sh: the same framing job done with scikit-learn and fastText.

Not part of framelens: this file only exists to compare against. It runs in the virtualenv that
benches/throughput.sh creates (benches/.venv, packages pinned in requirements.txt); the
`make-input` and `make-labels` subcommands use the standard library only.

Subcommands
  make-input      N copies of a JSONL article file, ids made unique (copy k > 0: "<id>~k").
  make-labels     exactly N labeled paragraphs {"id","para","frame","text"} from corpus/ and
                  the shared AllSides paragraph labels (whole documents in a seeded order).
  train-sklearn   TF-IDF (word 1-2 grams, sublinear tf) + multinomial LogisticRegression.
  train-fasttext  fastText supervised, word bigrams.
  classify-sklearn-loop    per-document loop: transform + predict_proba one article at a time.
  classify-sklearn-batch   batched: every paragraph of a chunk of 2,000 articles at once.
  classify-fasttext        fastText predict on each article's paragraphs.

Every classify-* command does the job framelens classify does, minus its Markdown reports and
evidence/terms: read JSONL, split paragraphs (non-blank lines, trimmed), score each paragraph
over the five labels, aggregate length-weighted frame shares, the framed fraction and the
dominant frame, and write one JSON line per document (sorted by id, like documents.jsonl).
"""

import argparse
import json
import os
import pickle
import random
import re
import sys
import warnings

LABELS = ["humanitarian", "economic", "security", "enforcement", "none"]
FRAMES = LABELS[:4]
FRAMED_MIN = 0.25


def paragraphs(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


# ---------------------------------------------------------------- inputs


def make_input(args):
    with open(args.src, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    with open(args.out, "w", encoding="utf-8") as out:
        for k in range(args.copies):
            for line in lines:
                if k == 0:
                    out.write(line if line.endswith("\n") else line + "\n")
                    continue
                d = json.loads(line)
                d["id"] = f"{d['id']}~{k}"
                out.write(json.dumps(d, ensure_ascii=False) + "\n")


def make_labels(args):
    """Whole labeled documents in a seeded order until exactly N paragraphs.

    Sources: corpus/labels/paragraphs.jsonl joined to corpus/articles.jsonl for the text, and
    the shared paragraph labels (which carry their text). When N exceeds what exists, documents
    are reused under a new id ("<id>~rK"): the timing needs N rows, not N distinct ones.
    """
    docs = {}
    articles = {a["id"]: paragraphs(a["text"]) for a in read_jsonl(os.path.join(args.corpus, "articles.jsonl"))}
    for r in read_jsonl(os.path.join(args.corpus, "labels", "paragraphs.jsonl")):
        text = r.get("text") or articles[r["id"]][r["para"]]
        docs.setdefault(("corpus", r["id"]), []).append((r["para"], r["frame"], text))
    for r in read_jsonl(args.shared_labels):
        docs.setdefault(("shared", r["id"]), []).append((r["para"], r["frame"], r["text"]))
    keys = sorted(docs)
    random.Random(args.seed).shuffle(keys)
    rows, rnd = [], 0
    while len(rows) < args.n:
        for src, doc_id in keys:
            did = doc_id if rnd == 0 else f"{doc_id}~r{rnd}"
            for para, frame, text in sorted(docs[(src, doc_id)]):
                rows.append({"id": did, "para": para, "frame": frame, "text": text})
            if len(rows) >= args.n:
                break
        rnd += 1
    rows = rows[: args.n]
    with open(args.out, "w", encoding="utf-8") as out:
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {l: sum(r["frame"] == l for r in rows) for l in LABELS}
    print(json.dumps({"paragraphs": len(rows), "reused_rounds": rnd, "counts": counts}), file=sys.stderr)


def read_labels(path):
    texts, ys = [], []
    for r in read_jsonl(path):
        texts.append(r["text"])
        ys.append(LABELS.index(r["frame"]))
    return texts, ys


# ---------------------------------------------------------------- aggregation and output


def doc_result(doc, probs, weights):
    """Length-weighted shares, framed fraction, dominant frame; paragraph scores."""
    total = float(sum(weights))
    mass = [0.0] * 4
    none = 0.0
    paras = []
    for i, (p, w) in enumerate(zip(probs, weights)):
        for c in range(4):
            mass[c] += w * p[c]
        none += w * p[4]
        best = max(range(5), key=lambda c: p[c])
        paras.append({
            "index": i,
            "label": LABELS[best],
            "scores": {LABELS[c]: round(float(p[c]), 4) for c in range(5)},
        })
    framed_mass = sum(mass)
    framed = min(max(1.0 - none / total, 0.0), 1.0) if total > 0 else 0.0
    shares = [m / framed_mass for m in mass] if framed_mass > 0 else [0.0] * 4
    best = max(range(4), key=lambda c: shares[c])
    dominant = FRAMES[best] if framed_mass > 0 and framed >= FRAMED_MIN else "none"
    return {
        "id": doc["id"],
        "title": doc.get("title"),
        "date": doc.get("date"),
        "source": doc.get("source"),
        "shares": {FRAMES[c]: round(shares[c], 6) for c in range(4)},
        "framed_fraction": round(framed, 6),
        "dominant": dominant,
        "paragraphs": paras,
    }


class SortedWriter:
    """Sorted-by-id JSONL output in bounded memory: sorted runs on disk, merged at the end."""

    def __init__(self, out, chunk=2000):
        self.out, self.chunk, self.buf, self.runs = out, chunk, [], []

    def add(self, rec):
        self.buf.append((rec["id"], json.dumps(rec, ensure_ascii=False)))
        if len(self.buf) >= self.chunk:
            self._spill()

    def _spill(self):
        if not self.buf:
            return
        self.buf.sort(key=lambda x: x[0])
        path = f"{self.out}.run{len(self.runs)}"
        with open(path, "w", encoding="utf-8") as f:
            for k, line in self.buf:
                f.write(json.dumps(k) + "\t" + line + "\n")
        self.runs.append(path)
        self.buf = []

    def close(self):
        import heapq

        self._spill()
        files = [open(p, encoding="utf-8") for p in self.runs]

        def entries(f):
            for line in f:
                k, rest = line.split("\t", 1)
                yield json.loads(k), rest

        with open(self.out, "w", encoding="utf-8") as out:
            for _, line in heapq.merge(*(entries(f) for f in files), key=lambda x: x[0]):
                out.write(line)
        for f, p in zip(files, self.runs):
            f.close()
            os.remove(p)


def articles_in_chunks(path, size):
    chunk = []
    for doc in read_jsonl(path):
        chunk.append(doc)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------- scikit-learn


def train_sklearn(args):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, ys = read_labels(args.labels)
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=20000),
        LogisticRegression(C=1.0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the default max_iter=100
        pipe.fit(texts, ys)
    with open(args.model, "wb") as f:
        pickle.dump(pipe, f)


def load_sklearn(path):
    with open(path, "rb") as f:
        pipe = pickle.load(f)
    vec, clf = pipe.steps[0][1], pipe.steps[1][1]
    # column order of predict_proba follows clf.classes_ (0..4 when every label was seen)
    assert list(clf.classes_) == list(range(5)), clf.classes_
    return vec, clf


def classify_sklearn_loop(args):
    vec, clf = load_sklearn(args.model)
    w = SortedWriter(args.out)
    for doc in read_jsonl(args.input):
        paras = paragraphs(doc.get("text") or "")
        if not paras:
            continue
        probs = clf.predict_proba(vec.transform(paras))
        w.add(doc_result(doc, probs, [max(len(p.split()), 1) for p in paras]))
    w.close()


def classify_sklearn_batch(args):
    vec, clf = load_sklearn(args.model)
    w = SortedWriter(args.out)
    for chunk in articles_in_chunks(args.input, args.chunk):
        split = [paragraphs(d.get("text") or "") for d in chunk]
        flat = [p for ps in split for p in ps]
        probs = clf.predict_proba(vec.transform(flat)) if flat else []
        at = 0
        for doc, ps in zip(chunk, split):
            if ps:
                w.add(doc_result(doc, probs[at : at + len(ps)], [max(len(p.split()), 1) for p in ps]))
            at += len(ps)
    w.close()


# ---------------------------------------------------------------- fastText

_FT_TOKEN = re.compile(r"\w+|[^\w\s]")


def ft_text(text):
    """fastText splits on spaces only: lowercase and separate punctuation first."""
    return " ".join(_FT_TOKEN.findall(text.lower()))


def train_fasttext(args):
    import fasttext

    texts, ys = read_labels(args.labels)
    tmp = args.model + ".train.txt"
    with open(tmp, "w", encoding="utf-8") as f:
        for t, y in zip(texts, ys):
            f.write(f"__label__{LABELS[y]} {ft_text(t)}\n")
    model = fasttext.train_supervised(
        input=tmp, wordNgrams=2, epoch=25, lr=0.5, dim=50, minCount=1, thread=args.threads,
        verbose=0, seed=42, bucket=200000,
    )
    os.remove(tmp)
    model.save_model(args.model)


def classify_fasttext(args):
    import fasttext

    model = fasttext.load_model(args.model)
    index = {f"__label__{l}": i for i, l in enumerate(LABELS)}
    w = SortedWriter(args.out)
    for doc in read_jsonl(args.input):
        paras = paragraphs(doc.get("text") or "")
        if not paras:
            continue
        toks = [ft_text(p) for p in paras]
        labels, scores = model.predict(toks, k=5)
        probs = []
        for ls, ss in zip(labels, scores):
            p = [0.0] * 5
            for l, s in zip(ls, ss):
                p[index[l]] = float(s)
            probs.append(p)
        w.add(doc_result(doc, probs, [max(t.count(" ") + 1, 1) for t in toks]))
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("make-input")
    p.add_argument("--src", required=True)
    p.add_argument("--copies", type=int, required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("make-labels")
    p.add_argument("--corpus", required=True)
    p.add_argument("--shared-labels", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--out", required=True)
    for name in ("train-sklearn", "train-fasttext"):
        p = sub.add_parser(name)
        p.add_argument("--labels", required=True)
        p.add_argument("--model", required=True)
        p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    for name in ("classify-sklearn-loop", "classify-sklearn-batch", "classify-fasttext"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        p.add_argument("--input", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--chunk", type=int, default=2000)
    args = ap.parse_args()
    {
        "make-input": make_input,
        "make-labels": make_labels,
        "train-sklearn": train_sklearn,
        "train-fasttext": train_fasttext,
        "classify-sklearn-loop": classify_sklearn_loop,
        "classify-sklearn-batch": classify_sklearn_batch,
        "classify-fasttext": classify_fasttext,
    }[args.cmd](args)


if __name__ == "__main__":
    main()
