#!/usr/bin/env python3
"""The scikit-learn peer of framelens: TF-IDF (word 1-2 grams) + logistic regression.

A measuring tool only (never a runtime dependency of framelens). It reads the same label
files as `framelens eval` / `framelens cv` (framelens JSONL paragraph and document labels,
corpus folders), trains and scores on exactly the splits framelens wrote (`folds.csv`), and
writes a `metrics.json` with the same fields as framelens, computed independently here with
scikit-learn and numpy.

Modes:
  cv     --labels L.. [--articles A] [--extra-train E..] --folds folds.csv --out DIR
  eval   --train T.. --labels L.. [--articles A] --out DIR
  score  --predictions framelens/predictions.jsonl --labels L.. [--articles A] --out DIR
         (recompute framelens's metrics from its predictions: an independent check)

Paragraphs are the non-blank lines of an article's text, trimmed, indexed from 0, as in
framelens. Documents are scored with all their known paragraphs; paragraphs are weighted by
their number of whitespace-separated words when shares are aggregated (framelens weighs by its
own tokens). Dominant and present frames use framelens's rule and thresholds (read from
framelens's metrics.json with --thresholds-from, else the defaults).

The classifier's C is chosen on the training split only, by an inner 3-fold cross-validation
grouped by article (macro F1 over the four frames), from --c-grid.
"""

import argparse
import csv
import json
import math
import os
import sys
import time
from collections import defaultdict

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

LABELS = ["humanitarian", "economic", "security", "enforcement", "none"]
FRAMES = LABELS[:4]
LIDX = {l: i for i, l in enumerate(LABELS)}
DEFAULT_THRESHOLDS = {"framed_min": 0.25, "present_share": [0.2] * 4, "present_mass": 0.1}


def die(msg):
    print(f"sklearn_peer: error: {msg}", file=sys.stderr)
    sys.exit(2)


# ----------------------------------------------------------------------------------------------
# Data


def paragraphs(text):
    return [l.strip() for l in text.split("\n") if l.strip()]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield n, json.loads(line)
                except json.JSONDecodeError as e:
                    die(f"{path}:{n}: malformed JSON: {e}")


def label_of(path, n, s):
    s = str(s).strip().lower()
    if s not in LIDX:
        die(f"{path}:{n}: unknown label {s!r}")
    return s


def expand(paths, articles):
    """(label file, articles file or None) pairs, as framelens resolves them."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            if os.path.isdir(os.path.join(p, "labels")) and os.path.isfile(os.path.join(p, "articles.jsonl")):
                d, a = os.path.join(p, "labels"), os.path.join(p, "articles.jsonl")
            else:
                d, a = p, articles
            for f in sorted(os.listdir(d)):
                if f.endswith(".jsonl"):
                    out.append((os.path.join(d, f), a))
        else:
            out.append((p, articles))
    return out


def load(paths, articles=None):
    """{id: doc} where doc = {"paras": [(index, text, gold or None)], "primary", "present",
    "sample", "source", "date"}."""
    art_cache = {}
    docs = {}
    doc_labels = {}
    for f, a in expand(paths, articles):
        arts = None
        if a:
            if a not in art_cache:
                art_cache[a] = {r["id"]: r for _, r in read_jsonl(a)}
            arts = art_cache[a]
        rows = defaultdict(list)
        for n, r in read_jsonl(f):
            if "frame" in r:
                rows[str(r["id"])].append((n, int(r["para"]), label_of(f, n, r["frame"]), r.get("text")))
            elif "primary" in r:
                i = str(r["id"])
                if i in doc_labels:
                    die(f"{f}:{n}: duplicate document label {i}")
                doc_labels[i] = (f, n, a, r)
            else:
                die(f"{f}:{n}: not a framelens label row")
        for i, rs in rows.items():
            if i in docs:
                die(f"{f}: document {i} labeled twice")
            if arts is not None:
                if i not in arts:
                    die(f"{f}:{rs[0][0]}: document {i} is not in {a}")
                art = arts[i]
                ps = [[k, t, None] for k, t in enumerate(paragraphs(art["text"]))]
                for n, para, lab, _ in rs:
                    if para >= len(ps):
                        die(f"{f}:{n}: paragraph {para} of {i} does not exist")
                    ps[para][2] = lab
                docs[i] = {"paras": [tuple(p) for p in ps], "source": art.get("source"), "date": art.get("date")}
            else:
                rs.sort(key=lambda x: x[1])
                docs[i] = {"paras": [(para, (t or "").strip(), lab) for _, para, lab, t in rs], "source": None, "date": None}
    for i, (f, n, a, r) in doc_labels.items():
        if i not in docs:
            arts = art_cache.get(a) if a else None
            if arts is None or i not in arts:
                die(f"{f}:{n}: document {i} has no text")
            art = arts[i]
            docs[i] = {"paras": [(k, t, None) for k, t in enumerate(paragraphs(art["text"]))],
                       "source": art.get("source"), "date": art.get("date")}
        d = docs[i]
        d["primary"] = label_of(f, n, r["primary"])
        d["present"] = sorted(set(label_of(f, n, x) for x in (r.get("present") or [])))
        d["sample"] = r.get("sample")
        d["source"] = d["source"] or r.get("source")
        d["date"] = d["date"] or r.get("date")
    return docs


def read_folds(path):
    folds, train = {}, set()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["fold"] == "train":
                train.add(row["id"])
            else:
                folds[row["id"]] = int(row["fold"])
    return folds, train


# ----------------------------------------------------------------------------------------------
# Model


def training_rows(docs, ids):
    X, y, g = [], [], []
    for i in ids:
        for _, t, lab in docs[i]["paras"]:
            if lab is not None:
                X.append(t)
                y.append(LIDX[lab])
                g.append(i)
    return X, np.array(y), np.array(g)


def make(c):
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=True)
    clf = LogisticRegression(C=c, max_iter=3000)
    return vec, clf


def macro_f1_frames_of(y, yhat):
    _, _, f, _ = precision_recall_fscore_support(y, yhat, labels=list(range(4)), zero_division=np.nan)
    f = f[~np.isnan(f)]
    return float(f.mean()) if len(f) else 0.0


def fit(docs, ids, c_grid, seed):
    X, y, g = training_rows(docs, ids)
    best_c = c_grid[0]
    if len(c_grid) > 1:
        scores = {}
        for c in c_grid:
            s = []
            for tr, te in GroupKFold(n_splits=3).split(X, y, g):
                vec, clf = make(c)
                clf.fit(vec.fit_transform([X[k] for k in tr]), y[tr])
                s.append(macro_f1_frames_of(y[te], clf.predict(vec.transform([X[k] for k in te]))))
            scores[c] = float(np.mean(s))
        best_c = max(c_grid, key=lambda c: (scores[c], -c))
        log(f"  inner CV macro F1 by C: {', '.join(f'{c:g}: {scores[c]:.3f}' for c in c_grid)} -> C={best_c:g}")
    vec, clf = make(best_c)
    clf.fit(vec.fit_transform(X), y)
    return vec, clf, best_c


def aggregate(probs, weights, t):
    probs = np.asarray(probs, dtype=float).reshape(-1, 5)
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    mass = (w[:, None] * probs[:, :4]).sum(axis=0) if len(w) else np.zeros(4)
    none = float((w * probs[:, 4]).sum()) if len(w) else 0.0
    framed_mass = float(mass.sum())
    ff = min(max(1.0 - none / total, 0.0), 1.0) if total > 0 else 0.0
    shares = mass / framed_mass if framed_mass > 0 else np.zeros(4)
    best = 0
    for i in range(1, 4):
        if shares[i] > shares[best]:
            best = i
    dominant = FRAMES[best] if framed_mass > 0 and ff >= t["framed_min"] else "none"
    present = [FRAMES[i] for i in range(4)
               if framed_mass > 0 and shares[i] >= t["present_share"][i] and shares[i] * ff >= t["present_mass"]]
    return shares, ff, dominant, present


def predict(vec, clf, docs, ids, t, fold=None):
    out = []
    for i in ids:
        d = docs[i]
        texts = [p[1] for p in d["paras"]]
        probs = clf.predict_proba(vec.transform(texts)) if texts else np.zeros((0, 5))
        # columns in label order 0..4 (every label is in the training data)
        full = np.zeros((len(texts), 5))
        full[:, clf.classes_] = probs
        weights = [max(1, len(tx.split())) for tx in texts]
        shares, ff, dom, pres = aggregate(full, weights, t)
        out.append({
            "id": i, "fold": fold, "dominant": dom, "present": pres, "framed_fraction": ff,
            "shares": dict(zip(FRAMES, shares.tolist())),
            "paragraphs": [{"index": p[0], "gold": p[2], "predicted": LABELS[int(np.argmax(full[k]))],
                            "weight": weights[k], "probs": full[k].tolist()} for k, p in enumerate(d["paras"])],
        })
    return out


# ----------------------------------------------------------------------------------------------
# Metrics (independent of framelens's Rust code)


def nan_to_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def krippendorff_nominal(pairs):
    """Alpha for two coders, from the coincidence matrix built unit by unit."""
    o = np.zeros((5, 5))
    for a, b in pairs:
        o[a, b] += 1
        o[b, a] += 1
    n_c = o.sum(axis=1)
    n = n_c.sum()
    d_o = o.sum() - np.trace(o)
    d_e = n * n - (n_c ** 2).sum()
    if n < 2 or d_e <= 0:
        return None
    return float(1 - (n - 1) * d_o / d_e)


def para_metrics(y, yhat):
    n = len(y)
    out = {"n": n}
    if n == 0:
        out.update(accuracy=None, micro_f1_frames=None, macro_f1_frames=None, micro_f1_all=None,
                   macro_f1_all=None, krippendorff_alpha=None,
                   per_label=[{"label": l, "precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0} for l in LABELS],
                   confusion=[[0] * 5 for _ in range(5)])
        return out
    y, yhat = np.asarray(y), np.asarray(yhat)
    p, r, f, s = precision_recall_fscore_support(y, yhat, labels=list(range(5)), zero_division=np.nan)
    cm = confusion_matrix(y, yhat, labels=list(range(5)))
    _, _, f_micro, _ = precision_recall_fscore_support(y, yhat, labels=list(range(4)), average="micro", zero_division=np.nan)
    out["accuracy"] = float((y == yhat).mean())
    out["micro_f1_frames"] = nan_to_none(f_micro)
    out["macro_f1_frames"] = nan_to_none(np.nanmean(f[:4]) if not np.all(np.isnan(f[:4])) else float("nan"))
    out["micro_f1_all"] = out["accuracy"]
    out["macro_f1_all"] = nan_to_none(np.nanmean(f) if not np.all(np.isnan(f)) else float("nan"))
    out["krippendorff_alpha"] = krippendorff_nominal(zip(y.tolist(), yhat.tolist()))
    out["per_label"] = [{"label": LABELS[k], "precision": nan_to_none(p[k]), "recall": nan_to_none(r[k]),
                         "f1": nan_to_none(f[k]), "support": int(s[k]), "predicted": int(cm[:, k].sum())} for k in range(5)]
    out["confusion"] = cm.astype(int).tolist()
    return out


def calib(probs, y, bins=10):
    n = len(y)
    if n == 0:
        return {"n": 0, "brier": None, "log_loss": None, "ece": None,
                "bins": [{"lo": b / bins, "hi": (b + 1) / bins, "n": 0, "confidence": None, "accuracy": None} for b in range(bins)]}
    P = np.asarray(probs, dtype=float)
    Y = np.zeros_like(P)
    Y[np.arange(n), y] = 1
    brier = float(((P - Y) ** 2).sum(axis=1).mean())
    ll = float(-np.log(np.maximum(P[np.arange(n), y], 1e-15)).mean())
    top = P.argmax(axis=1)
    conf = P[np.arange(n), top]
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        m = idx == b
        k = int(m.sum())
        c = float(conf[m].mean()) if k else None
        a = float((top[m] == np.asarray(y)[m]).mean()) if k else None
        if k:
            ece += k / n * abs(a - c)
        table.append({"lo": b / bins, "hi": (b + 1) / bins, "n": k, "confidence": c, "accuracy": a})
    return {"n": n, "brier": brier, "log_loss": ll, "ece": ece, "bins": table}


def doc_metrics(preds, docs, t):
    labeled = [p for p in preds if "primary" in docs[p["id"]]]
    n = len(labeled)
    gold = [docs[p["id"]]["primary"] for p in labeled]
    pred = [p["dominant"] for p in labeled]
    dom_cm = confusion_matrix([LIDX[g] for g in gold], [LIDX[x] for x in pred], labels=list(range(5))) if n else np.zeros((5, 5), int)
    present = []
    tp_all = s_all = p_all = 0
    for fr in FRAMES:
        g = np.array([fr in docs[p["id"]]["present"] for p in labeled], dtype=bool)
        h = np.array([fr in p["present"] for p in labeled], dtype=bool)
        tp, s, pr = int((g & h).sum()), int(g.sum()), int(h.sum())
        tp_all, s_all, p_all = tp_all + tp, s_all + s, p_all + pr
        present.append({"frame": fr, "precision": tp / pr if pr else None, "recall": tp / s if s else None,
                        "f1": 2 * tp / (s + pr) if s + pr else None, "support": s, "predicted": pr})
    f1s = [x["f1"] for x in present if x["f1"] is not None]
    # shares of the coded paragraphs vs the model's, over the coded paragraphs, same weights
    errs, ffe = [], []
    for p in preds:
        coded = [q for q in p["paragraphs"] if q["gold"] is not None]
        if not coded:
            continue
        w = [q["weight"] for q in coded]
        m = aggregate([q["probs"] for q in coded], w, t)
        onehot = np.zeros((len(coded), 5))
        onehot[np.arange(len(coded)), [LIDX[q["gold"]] for q in coded]] = 1
        g = aggregate(onehot, w, t)
        ffe.append(abs(m[1] - g[1]))
        if any(q["gold"] != "none" for q in coded):
            errs.append(np.abs(m[0] - g[0]))
    errs = np.array(errs).reshape(-1, 4)
    return {
        "n": n,
        "dominant_accuracy": float(np.mean([a == b for a, b in zip(gold, pred)])) if n else None,
        "dominant_accuracy_interval": None,
        "dominant_confusion": dom_cm.astype(int).tolist(),
        "present": present,
        "present_micro_f1": 2 * tp_all / (s_all + p_all) if s_all + p_all else None,
        "present_macro_f1": float(np.mean(f1s)) if f1s else None,
        "shares": {"n": len(errs), "mae": float(errs.mean()) if len(errs) else None,
                   "mae_per_frame": [float(x) for x in errs.mean(axis=0)] if len(errs) else [None] * 4,
                   "n_framed_fraction": len(ffe), "framed_fraction_mae": float(np.mean(ffe)) if ffe else None},
    }


def interval(vals):
    vals = [v for v in vals if v is not None and not math.isnan(v)]
    if not vals:
        return None
    return {"lo": float(np.quantile(vals, 0.025)), "hi": float(np.quantile(vals, 0.975))}


def metrics(preds, docs, t, bootstrap, seed):
    coded = [(q, p["id"]) for p in preds for q in p["paragraphs"] if q["gold"] is not None]
    y = [LIDX[q["gold"]] for q, _ in coded]
    yhat = [LIDX[q["predicted"]] for q, _ in coded]
    para = para_metrics(y, yhat)
    cal = calib([q["probs"] for q, _ in coded], np.array(y, dtype=int))
    doc = doc_metrics(preds, docs, t)
    # bootstrap over documents (percentile), as framelens does
    units = []
    for p in preds:
        yy = [LIDX[q["gold"]] for q in p["paragraphs"] if q["gold"] is not None]
        hh = [LIDX[q["predicted"]] for q in p["paragraphs"] if q["gold"] is not None]
        dl = docs[p["id"]].get("primary")
        ok = None if dl is None else (dl == p["dominant"])
        if yy or ok is not None:
            units.append((yy, hh, ok))
    rng = np.random.default_rng(seed)
    mf, ma, acc, dom = [], [], [], []
    if units and bootstrap > 0:
        for _ in range(bootstrap):
            pick = rng.integers(0, len(units), len(units))
            yy = [v for k in pick for v in units[k][0]]
            hh = [v for k in pick for v in units[k][1]]
            oks = [units[k][2] for k in pick if units[k][2] is not None]
            if yy:
                _, _, f, _ = precision_recall_fscore_support(yy, hh, labels=list(range(5)), zero_division=np.nan)
                mf.append(np.nanmean(f[:4]) if not np.all(np.isnan(f[:4])) else None)
                ma.append(np.nanmean(f) if not np.all(np.isnan(f)) else None)
                acc.append(float(np.mean(np.array(yy) == np.array(hh))))
            if oks:
                dom.append(float(np.mean(oks)))
    para["intervals"] = {"macro_f1_frames": interval(mf), "macro_f1_all": interval(ma), "accuracy": interval(acc)}
    doc["dominant_accuracy_interval"] = interval(dom)
    return {"n_documents": len(preds), "paragraph": para, "calibration": cal, "document": doc}


def report(preds, docs, t, args, setup):
    out = {"tool": "sklearn-tfidf-logreg", "version": sklearn.__version__, "setup": setup}
    out.update(metrics(preds, docs, t, args.bootstrap, args.seed))
    strata = defaultdict(list)
    for p in preds:
        s = docs[p["id"]].get("sample")
        if s:
            strata[s].append(p)
    out["by_sample"] = {k: metrics(v, docs, t, args.bootstrap, args.seed) for k, v in sorted(strata.items())}
    by_fold = []
    folds = sorted({p["fold"] for p in preds if p["fold"] is not None})
    for f in folds:
        m = metrics([p for p in preds if p["fold"] == f], docs, t, 0, args.seed)
        by_fold.append({"fold": f, "n_documents": m["n_documents"], "n_paragraphs": m["paragraph"]["n"],
                        "accuracy": m["paragraph"]["accuracy"], "macro_f1_frames": m["paragraph"]["macro_f1_frames"],
                        "dominant_accuracy": m["document"]["dominant_accuracy"]})
    out["by_fold"] = by_fold
    return out


# ----------------------------------------------------------------------------------------------


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def write(out_dir, rep, preds):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(rep, f, indent=2)
        f.write("\n")
    if preds is not None:
        with open(os.path.join(out_dir, "predictions.jsonl"), "w", encoding="utf-8") as f:
            for p in preds:
                f.write(json.dumps(p) + "\n")
    m = rep
    log(f"{out_dir}: macro F1 (frames) {m['paragraph']['macro_f1_frames']}, accuracy {m['paragraph']['accuracy']}, "
        f"dominant accuracy {m['document']['dominant_accuracy']}")


def thresholds(args):
    if args.thresholds_from:
        with open(args.thresholds_from, encoding="utf-8") as f:
            t = json.load(f).get("setup", {}).get("thresholds")
        if t:
            return t
    return DEFAULT_THRESHOLDS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["cv", "eval", "score"])
    ap.add_argument("--labels", nargs="+", required=True)
    ap.add_argument("--articles")
    ap.add_argument("--extra-train", nargs="*", default=[])
    ap.add_argument("--train", nargs="*", default=[])
    ap.add_argument("--folds")
    ap.add_argument("--predictions")
    ap.add_argument("--out", required=True)
    ap.add_argument("--thresholds-from")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--c-grid", default="1,4,16", help="comma-separated C values tried by inner CV")
    args = ap.parse_args()
    t = thresholds(args)
    c_grid = [float(x) for x in args.c_grid.split(",")]
    docs = load(args.labels, args.articles)
    setup = {"command": args.mode, "labels": args.labels, "articles": args.articles,
             "extra_train": args.extra_train, "model": None, "model_hash": None,
             "train_params": {"vectorizer": "TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)",
                              "classifier": "LogisticRegression(lbfgs, multinomial)", "c_grid": c_grid},
             "folds": None, "thresholds": t,
             "eval_params": {"bootstrap": args.bootstrap, "seed": args.seed, "bins": 10}}
    t0 = time.time()
    if args.mode == "score":
        preds = [r for _, r in read_jsonl(args.predictions)]
        for p in preds:
            if p["id"] not in docs:
                die(f"{args.predictions}: document {p['id']} is not in the labels")
        setup["model"] = f"framelens predictions {args.predictions}"
        write(args.out, report(preds, docs, t, args, setup), None)
        return
    if args.mode == "cv":
        if not args.folds:
            die("cv needs --folds (the folds.csv framelens wrote)")
        folds, train_only = read_folds(args.folds)
        missing = set(docs) - set(folds)
        if missing:
            die(f"{len(missing)} labeled documents are not in {args.folds} (e.g. {sorted(missing)[0]})")
        extra = load(args.extra_train, args.articles) if args.extra_train else {}
        if set(extra) != train_only:
            die(f"--extra-train does not match the training-only documents of {args.folds}")
        both = dict(docs)
        both.update(extra)
        k = max(folds.values()) + 1
        setup["folds"] = {"k": k, "file": args.folds}
        preds = []
        for f in range(k):
            tr = [i for i in docs if folds[i] != f] + sorted(extra)
            te = sorted(i for i in docs if folds[i] == f)
            vec, clf, c = fit(both, tr, c_grid, args.seed)
            preds.extend(predict(vec, clf, docs, te, t, fold=f))
            log(f"fold {f + 1}/{k}: C={c:g}, {time.time() - t0:.0f} s")
        preds.sort(key=lambda p: p["id"])
    else:
        if not args.train:
            die("eval needs --train (the labeled samples to train on)")
        train = load(args.train, None)
        vec, clf, c = fit(train, sorted(train), c_grid, args.seed)
        setup["train_params"]["chosen_c"] = c
        preds = predict(vec, clf, docs, sorted(docs), t)
    write(args.out, report(preds, docs, t, args, setup), preds)


if __name__ == "__main__":
    main()
