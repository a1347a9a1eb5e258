#!/usr/bin/env python3
"""The scikit-learn peer on a codebook of any size: TF-IDF (word 1-2 grams) + logistic
regression, trained and scored on exactly the folds framelens wrote (`folds.csv`).

A measuring tool only. Labels come from the codebook's [[labels]] (tomllib), so the peer
needs no change for another scheme. Each row of the label file is a one-paragraph document
{"id", "text", "frame"}. C is chosen on each training split only, by an inner stratified
3-fold CV on macro F1, from --c-grid.

  sklearn_gvfc.py --codebook C.toml --labels L.jsonl --folds folds.csv --out DIR
"""

import argparse
import csv
import json
import os
import sys
import tomllib

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold


def make(c):
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=True)
    return vec, LogisticRegression(C=c, max_iter=3000)


def macro_f1(y, yhat, k):
    _, _, f, _ = precision_recall_fscore_support(y, yhat, labels=list(range(k)), zero_division=np.nan)
    f = f[~np.isnan(f)]
    return float(f.mean()) if len(f) else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--codebook", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--folds", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--c-grid", default="1,3,10,30")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    with open(a.codebook, "rb") as f:
        names = [l["name"] for l in tomllib.load(f)["labels"]]
    idx = {n.lower(): i for i, n in enumerate(names)}
    k = len(names)
    texts, y, ids = [], [], []
    with open(a.labels, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            lab = str(r["frame"]).strip().lower()
            if lab not in idx:
                sys.exit(f"{a.labels}:{n}: unknown label {lab!r}")
            texts.append(r["text"].strip())
            y.append(idx[lab])
            ids.append(str(r["id"]))
    y = np.array(y)
    fold_of = {}
    with open(a.folds, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["fold"] != "train":
                fold_of[row["id"]] = int(row["fold"])
    folds = np.array([fold_of[i] for i in ids])
    grid = [float(c) for c in a.c_grid.split(",")]
    pred = np.zeros(len(y), dtype=int)
    by_fold = []
    for fo in sorted(set(folds.tolist())):
        tr, te = np.where(folds != fo)[0], np.where(folds == fo)[0]
        best, best_s = grid[0], -1.0
        for c in grid:
            s = []
            inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=a.seed)
            for itr, ite in inner.split(tr, y[tr]):
                vec, clf = make(c)
                clf.fit(vec.fit_transform([texts[tr[j]] for j in itr]), y[tr[itr]])
                s.append(macro_f1(y[tr[ite]], clf.predict(vec.transform([texts[tr[j]] for j in ite])), k))
            if np.mean(s) > best_s:
                best, best_s = c, float(np.mean(s))
        vec, clf = make(best)
        clf.fit(vec.fit_transform([texts[j] for j in tr]), y[tr])
        pred[te] = clf.predict(vec.transform([texts[j] for j in te]))
        by_fold.append({"fold": fo, "C": best, "n": int(len(te)),
                        "accuracy": float((pred[te] == y[te]).mean()),
                        "macro_f1": macro_f1(y[te], pred[te], k)})
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=np.nan)
    out = {
        "tool": "scikit-learn", "version": sklearn.__version__,
        "model": "TfidfVectorizer(1-2 grams, sublinear_tf, min_df=2) + LogisticRegression, C by inner stratified 3-fold CV",
        "labels": names, "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "macro_f1": macro_f1(y, pred, k),
        "per_label": [{"label": names[j], "precision": None if np.isnan(p[j]) else float(p[j]),
                       "recall": None if np.isnan(r[j]) else float(r[j]),
                       "f1": None if np.isnan(f[j]) else float(f[j]), "support": int(s[j])} for j in range(k)],
        "confusion": confusion_matrix(y, pred, labels=list(range(k))).tolist(),
        "by_fold": by_fold,
    }
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"accuracy\t{out['accuracy']:.4f}\nmacro_f1\t{out['macro_f1']:.4f}")


if __name__ == "__main__":
    main()
