#!/usr/bin/env python3
"""Build eval/RESULTS.md from the runs eval/run.sh wrote (eval/runs/<run>/{framelens,peer,check}).

Usage: results.py --runs eval/runs --out eval/RESULTS.md
"""

import argparse
import json
import os
import subprocess

RUNS = [
    ("a-corpus-cv", "(a) 5-fold CV of `corpus/`, grouped by article"),
    ("b-shared-default", "(b) `../shared/data/labels/` scored by framelens trained only on `corpus/` (default parameters; the shipped `models/default` also learned from these labels, so it is not scored here); the peer trained on `corpus/` only"),
    ("c-shared-cv", "(c) 5-fold CV of `../shared/data/labels/`, grouped by article"),
    ("c-shared-cv-corpus", "(c+) the same folds of `../shared/data/labels/`, with `corpus/` added to every training split"),
    ("c-shared-cv-corpus-embed", "(c+e) the same folds and training data as (c+), with the embedding blocks of issue 11 (`models/embeddings`, the weights in `eval/run.sh`)"),
]
LABELS = ["humanitarian", "economic", "security", "enforcement", "none"]


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def f3(x):
    return "–" if x is None else f"{x:.3f}"


def ci(x):
    return "" if not x else f" [{x['lo']:.3f}, {x['hi']:.3f}]"


def get(m, *path):
    for p in path:
        if m is None:
            return None
        m = m[p] if isinstance(p, int) else m.get(p)
    return m


def rows(fl, pe):
    """(metric, framelens, peer) rows of the side-by-side table."""
    out = []

    def add(name, *path, interval=None):
        a, b = get(fl, *path), get(pe, *path)
        ia = ci(get(fl, *interval)) if interval else ""
        ib = ci(get(pe, *interval)) if interval else ""
        out.append((name, f3(a) + ia, f3(b) + ib))

    add("paragraph macro F1, four frames", "paragraph", "macro_f1_frames", interval=("paragraph", "intervals", "macro_f1_frames"))
    add("paragraph micro F1, four frames", "paragraph", "micro_f1_frames")
    add("paragraph macro F1, five labels", "paragraph", "macro_f1_all", interval=("paragraph", "intervals", "macro_f1_all"))
    add("paragraph accuracy", "paragraph", "accuracy", interval=("paragraph", "intervals", "accuracy"))
    add("Krippendorff's alpha, model vs coders", "paragraph", "krippendorff_alpha")
    for i, l in enumerate(LABELS):
        add(f"F1 {l}", "paragraph", "per_label", i, "f1")
    add("Brier score (5 labels)", "calibration", "brier")
    add("expected calibration error", "calibration", "ece")
    add("log loss", "calibration", "log_loss")
    add("dominant-frame accuracy vs `primary`", "document", "dominant_accuracy", interval=("document", "dominant_accuracy_interval"))
    add("present frames, micro F1", "document", "present_micro_f1")
    add("present frames, macro F1", "document", "present_macro_f1")
    add("frame shares, MAE", "document", "shares", "mae")
    add("framed fraction, MAE", "document", "shares", "framed_fraction_mae")
    return out


def table(r):
    s = "| metric | framelens | scikit-learn peer |\n|---|---:|---:|\n"
    for name, a, b in r:
        s += f"| {name} | {a} | {b} |\n"
    return s


SKIP = ("setup", "tool", "version", "intervals", "dominant_accuracy_interval", "bins")


def bin_count_diff(a, b):
    """Largest difference in reliability-bin counts (anywhere in the two reports)."""
    if isinstance(a, dict) and isinstance(b, dict):
        d = 0
        for k in a:
            if k == "bins" and k in b:
                d = max([d] + [abs(x["n"] - y["n"]) for x, y in zip(a[k], b[k])])
            elif k in b and k not in ("setup",):
                d = max(d, bin_count_diff(a[k], b[k]))
        return d
    return 0


def numeric_diffs(a, b, path=""):
    """Max |a - b| over numeric leaves present in both (setup, intervals and reliability bins
    skipped)."""
    worst, n, exact = 0.0, 0, 0
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k in SKIP or k not in b:
                continue
            w, c, e = numeric_diffs(a[k], b[k], path + "/" + k)
            worst, n, exact = max(worst, w), n + c, exact + e
    elif isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b):
            w, c, e = numeric_diffs(x, y, path)
            worst, n, exact = max(worst, w), n + c, exact + e
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        d = abs(a - b)
        return d, 1, int(d == 0)
    elif a is None or b is None:
        return (0.0, 1, 1) if a is None and b is None else (float("inf"), 1, 0)
    return worst, n, exact


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="eval/runs")
    ap.add_argument("--out", default="eval/RESULTS.md")
    args = ap.parse_args()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        commit = "?"
    s = "# Evaluation results: framelens and a scikit-learn peer, side by side\n\n"
    s += ("Regenerate with `eval/run.sh` (needs `../shared/data`; the peer makes its own venv with pip). "
          f"Generated from commit `{commit}` (plus any uncommitted work in the tree at the time). "
          "The peer (`eval/peers/sklearn_peer.py`) is TF-IDF word 1–2 grams + multinomial logistic "
          "regression, its C chosen by an inner 3-fold CV (grouped by article) on each training split only; "
          "it trains and scores on exactly the folds framelens wrote (`folds.csv`), and computes its "
          "metrics with its own code (scikit-learn/numpy). Intervals are 95% percentile bootstraps over "
          "documents (1000 replicates, seed 42). Paragraph metrics are over coded paragraphs; document "
          "metrics over the documents with document labels; `random` is the random sample of the shared "
          "labels (189 of 270 articles), the figure for typical coverage.\n\n")
    data = {name: {k: load(os.path.join(args.runs, name, k, "metrics.json")) for k in ("framelens", "peer", "check")} for name, _ in RUNS}

    s += "## Headline\n\n| run | macro F1, 4 frames: framelens | peer | accuracy: framelens | peer | dominant accuracy: framelens | peer | `random` dominant accuracy: framelens | peer |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    for name, title in RUNS:
        fl, pe = data[name]["framelens"], data[name]["peer"]
        s += (f"| {title.split(')')[0]}) | {f3(get(fl, 'paragraph', 'macro_f1_frames'))} | {f3(get(pe, 'paragraph', 'macro_f1_frames'))} "
              f"| {f3(get(fl, 'paragraph', 'accuracy'))} | {f3(get(pe, 'paragraph', 'accuracy'))} "
              f"| {f3(get(fl, 'document', 'dominant_accuracy'))} | {f3(get(pe, 'document', 'dominant_accuracy'))} "
              f"| {f3(get(fl, 'by_sample', 'random', 'document', 'dominant_accuracy'))} | {f3(get(pe, 'by_sample', 'random', 'document', 'dominant_accuracy'))} |\n")

    # targets of issue 4
    s += "\n## Targets (issue 4)\n\n"
    best = None
    for name in ("c-shared-cv", "c-shared-cv-corpus"):
        fl = data[name]["framelens"]
        if fl and (best is None or get(fl, "paragraph", "macro_f1_frames") > get(data[best]["framelens"], "paragraph", "macro_f1_frames")):
            best = name
    if best:
        fl, pe = data[best]["framelens"], data[best]["peer"]
        a, b = get(fl, "paragraph", "macro_f1_frames"), get(pe, "paragraph", "macro_f1_frames")
        s += f"- Grouped 5-fold CV of the shared labels (best framelens variant: `{best}`): framelens macro F1 {f3(a)}, peer on the same folds {f3(b)}: "
        s += ("**at least the peer's**" if b is not None and a >= b else "**below the peer's**") + "; "
        s += ("**reaches 0.60**" if a >= 0.60 else "**misses 0.60**") + ".\n"
    for name in ("b-shared-default", "c-shared-cv", "c-shared-cv-corpus"):
        fl = data[name]["framelens"]
        if fl:
            a = get(fl, "document", "dominant_accuracy")
            r = get(fl, "by_sample", "random", "document", "dominant_accuracy")
            s += f"- Dominant-frame accuracy on the shared document labels, `{name}`: {f3(a)} (random sample {f3(r)}): " + ("**≥ 0.70**" if a is not None and a >= 0.70 else "**below 0.70**") + ".\n"

    # targets of issue 11
    before, after = data["c-shared-cv-corpus"]["framelens"], data["c-shared-cv-corpus-embed"]["framelens"]
    if after:
        def sec(m):
            return next((x["f1"] for x in get(m, "paragraph", "per_label") or [] if x["label"] == "security"), None)
        a = get(after, "paragraph", "macro_f1_frames")
        sa = sec(after)
        d = get(after, "document", "dominant_accuracy")
        s += "\n## Targets (issue 11): (c+) before → after the embedding blocks\n\n"
        s += f"- Paragraph macro F1, four frames: {f3(get(before, 'paragraph', 'macro_f1_frames'))} → {f3(a)} (peer {f3(get(data['c-shared-cv-corpus']['peer'], 'paragraph', 'macro_f1_frames'))}): " + ("**≥ 0.70**" if a >= 0.70 else "**misses 0.70**") + ".\n"
        s += f"- Security F1: {f3(sec(before))} → {f3(sa)}: " + ("**≥ 0.60**" if sa is not None and sa >= 0.60 else "**misses 0.60**") + ".\n"
        s += f"- Dominant-frame accuracy: {f3(get(before, 'document', 'dominant_accuracy'))} → {f3(d)}: " + ("**≥ 0.85**" if d is not None and d >= 0.85 else "**misses 0.85**") + ".\n"
        abl = os.path.join(os.path.dirname(args.out), "ablation-embeddings.md")
        if os.path.exists(abl):
            s += "\n" + open(abl, encoding="utf-8").read().replace("# ", "### ", 1)

    for name, title in RUNS:
        fl, pe, chk = data[name]["framelens"], data[name]["peer"], data[name]["check"]
        s += f"\n## {title}\n\n"
        if fl is None:
            s += "Not run.\n"
            continue
        setup = fl.get("setup", {})
        if setup.get("model_hash"):
            s += f"framelens model `{setup.get('model')}`, hash `{setup['model_hash'][:12]}`. "
        if setup.get("folds"):
            f = setup["folds"]
            s += f"{f['k']} folds grouped by {f['group_by']} ({f['groups']} groups, seed {f['seed']}). "
        chosen = get(pe, "setup", "train_params", "chosen_c")
        if chosen:
            s += f"Peer C = {chosen:g}. "
        s += f"{fl['n_documents']} documents, {fl['paragraph']['n']} coded paragraphs, {fl['document']['n']} document labels.\n\n"
        s += table(rows(fl, pe))
        if fl.get("by_fold"):
            s += "\nPer fold, paragraph macro F1 (four frames): framelens " + ", ".join(f3(x["macro_f1_frames"]) for x in fl["by_fold"])
            if pe and pe.get("by_fold"):
                s += "; peer " + ", ".join(f3(x["macro_f1_frames"]) for x in pe["by_fold"])
            s += ".\n"
        if fl.get("by_sample"):
            for k in sorted(fl["by_sample"]):
                s += f"\nSample `{k}` ({fl['by_sample'][k]['n_documents']} documents):\n\n"
                s += table(rows(fl["by_sample"][k], get(pe, "by_sample", k)))
        if chk:
            w, n, e = numeric_diffs(fl, chk)
            k = bin_count_diff(fl, chk)
            s += (f"\nIndependent check: the peer's Python metrics recomputed from framelens's `predictions.jsonl` "
                  f"agree with framelens's `metrics.json` on {n} numeric fields ({e} exactly; largest difference {w:.1e}, "
                  "from the 4-decimal rounding of probabilities in `predictions.jsonl`); reliability-bin counts differ by at most "
                  f"{k} paragraph(s), rounded probabilities that cross a bin edge; bootstrap intervals differ only by resampling.\n")
        s += f"\nFull reports: [framelens](runs/{name}/framelens/report.md) ([confusion](runs/{name}/framelens/confusion.svg), [reliability](runs/{name}/framelens/reliability.svg)); peer `runs/{name}/peer/metrics.json`.\n"
    # other schemes keep their own section beside their run (eval/gvfc/run.sh writes it)
    extra = os.path.join(os.path.dirname(os.path.abspath(args.out)), "gvfc", "RESULTS.md")
    if os.path.isfile(extra):
        with open(extra, encoding="utf-8") as f:
            s += "\n" + f.read()
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(s)


if __name__ == "__main__":
    main()
