#!/usr/bin/env python3
"""The rounds table and learning curve of the AllSides coding rounds (issue 12).

Reads corpus/allsides-coded/ (labels, selection/, checks/) and the grouped-CV runs under
eval/coding/cv/<name>/metrics.json, and prints Markdown: paragraphs coded per strategy and
round, agreement of the blind re-coding with the shared labels, double-coding kappa, and the
grouped-CV macro-F1 of the model after each round beside the random-only curve. With --svg it
also writes the learning-curve chart.

    python3 eval/coding/rounds.py > eval/coding/ROUNDS.md   (run from the repository root)
    python3 eval/coding/rounds.py --svg eval/coding/learning-curve.svg
"""
import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from packets import LABELS, kappa_report, read_jsonl  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CODED = ROOT / "corpus" / "allsides-coded"
CV = ROOT / "eval" / "coding" / "cv"
SHARED_LABELS = ROOT / ".." / "shared" / "data" / "labels" / "allsides-paragraphs.jsonl"


# The model that scored the pool for each round: the shipped default for round 1, then a model
# retrained (default parameters, seed 42) on corpus/, the shared sample and rounds 1..R-1.
SELECTED_BY = {1: "default 08cbd70ccf0a", 2: "rounds ≤ 1: d402dc781f5e", 3: "rounds ≤ 2: 266ad370885d", 4: "rounds ≤ 3: 91dfc972349c"}


def rounds():
    return sorted(int(p.stem.split("-")[1]) for p in CODED.glob("round-*.jsonl"))


def labels(path):
    return {(x["id"], int(x["para"])): x["frame"] for x in read_jsonl(path)}


def cv_metrics(name):
    p = CV / name / "metrics.json"
    if not p.is_file():
        return None
    m = json.loads(p.read_text())
    return {
        "macro_f1": m["paragraph"]["macro_f1_frames"],
        "security_f1": next(x["f1"] for x in m["paragraph"]["per_label"] if x["label"] == "security"),
        "dominant_accuracy": m["document"]["dominant_accuracy"],
    }


def fmt(x, d=3):
    return "NA" if x is None else f"{x:.{d}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--svg")
    a = ap.parse_args()
    gold = labels(SHARED_LABELS) if SHARED_LABELS.is_file() else None
    out = []
    out.append("## Rounds\n")
    out.append("| round | model that selected | strategies (paragraphs) | coded | security coded | blind re-coded shared paragraphs | accuracy | Cohen's κ | macro-F1 (frames) | grouped-CV macro-F1 after the round | security F1 | dominant accuracy |")
    out.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = cv_metrics("r0")
    if base:
        out.append(f"| 0 | — | — (the shared sample + corpus/) | 0 | 0 | {blind_cell(gold, 0)} | {fmt(base['macro_f1'])} | {fmt(base['security_f1'])} | {fmt(base['dominant_accuracy'])} |")
    elif gold:
        out.append(f"| 0 | — | calibration only | 0 | 0 | {blind_cell(gold, 0)} | | | |")
    total = 0
    curve = [(0, base["macro_f1"] if base else None)]
    for r in rounds():
        lab = labels(CODED / f"round-{r}.jsonl")
        sel = [x for x in read_jsonl(CODED / "selection" / f"round-{r}.jsonl")]
        strat = Counter(x["strategy"] for x in sel)
        model = SELECTED_BY.get(r, "")
        total += len(lab)
        sec = sum(1 for v in lab.values() if v == "security")
        m = cv_metrics(f"r{r}")
        curve.append((total, m["macro_f1"] if m else None))
        out.append(
            f"| {r} | {model} | {', '.join(f'{k} {v}' for k, v in sorted(strat.items()))} | {len(lab)} | {sec} | "
            f"{blind_cell(gold, r)} | {fmt(m and m['macro_f1'])} | {fmt(m and m['security_f1'])} | {fmt(m and m['dominant_accuracy'])} |"
        )
        rejected = CODED / "checks" / f"blind-round-{r}-first-coding-rejected.jsonl"
        if rejected.is_file():
            out.append(
                f"| {r} (first coding, rejected: κ < 0.80, recoded by other coders) | | | | | "
                f"{blind_cell(gold, r, rejected)} | | | |"
            )
    out.append("")
    # random-only curve
    rnd = sorted(CV.glob("random-*/metrics.json"))
    rcurve = []
    for p in rnd:
        n = int(p.parent.name.split("-")[1])
        rcurve.append((n, cv_metrics(p.parent.name)["macro_f1"]))
    r1 = cv_metrics("r1")
    if r1 and not any(n == 1500 for n, _ in rcurve):
        rcurve.append((1500, r1["macro_f1"]))  # round 1 was drawn at random only
    rcurve.sort()
    out.append("## Learning curve (grouped 5-fold CV on the shared labels, folds of eval/RESULTS.md run c+)\n")
    out.append("| new coded paragraphs in training | active rounds: macro-F1 | random-only: macro-F1 |")
    out.append("|---:|---:|---:|")
    xs = sorted({n for n, _ in curve} | {n for n, _ in rcurve})
    for x in xs:
        ac = next((f for n, f in curve if n == x), None)
        rc = next((f for n, f in rcurve if n == x), None)
        if x == 0 and rc is None:
            rc = ac
        out.append(f"| {x} | {fmt(ac)} | {fmt(rc)} |")
    out.append("")
    # double coding
    out.append("## Double coding\n")
    out.append("| file | paragraphs | accuracy | Cohen's κ | macro-F1 (frames) |")
    out.append("|---|---:|---:|---:|---:|")
    first = {}
    for r in rounds():
        first.update(labels(CODED / f"round-{r}.jsonl"))
    doubles = sorted((CODED / "checks").glob("double-*.jsonl"))
    doubles += sorted((CODED / "checks").glob("round-*-first-coding-rejected.jsonl"))
    for p in doubles:
        second = labels(p)
        pairs = [(first[k], v) for k, v in second.items() if k in first]
        if pairs:
            k = kappa_report(pairs)
            out.append(f"| {p.name} | {k['n']} | {fmt(k['accuracy'])} | {fmt(k['kappa'])} | {fmt(k['macro_f1_frames'])} |")
    print("\n".join(out))
    if a.svg:
        write_svg(a.svg, [(n, f) for n, f in curve if f is not None], rcurve)


def blind_cell(gold, r, p=None):
    p = p or CODED / "checks" / f"blind-round-{r}.jsonl"
    if gold is None or not p.is_file():
        return "| | |"
    coded = labels(p)
    pairs = [(gold[k], v) for k, v in coded.items() if k in gold]
    k = kappa_report(pairs)
    return f"{k['n']} | {fmt(k['accuracy'])} | {fmt(k['kappa'])} | {fmt(k['macro_f1_frames'])}"


def write_svg(path, active, random_):
    W, H, L, B, T, R = 640, 380, 60, 50, 30, 150
    pts = active + random_
    xmax = max(n for n, _ in pts) or 1
    ys = [f for _, f in pts]
    ylo, yhi = min(ys) - 0.01, max(ys) + 0.01
    sx = lambda n: L + (W - L - R) * n / xmax
    sy = lambda f: T + (H - T - B) * (1 - (f - ylo) / (yhi - ylo))
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L}" y="18" font-size="14">Grouped-CV paragraph macro-F1 vs new coded paragraphs</text>',
         f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
         f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>']
    for i in range(5):
        f = ylo + (yhi - ylo) * i / 4
        s.append(f'<text x="{L - 6}" y="{sy(f) + 4:.1f}" text-anchor="end">{f:.3f}</text>')
        s.append(f'<line x1="{L}" y1="{sy(f):.1f}" x2="{W - R}" y2="{sy(f):.1f}" stroke="#ddd"/>')
    for i in range(5):
        n = xmax * i / 4
        s.append(f'<text x="{sx(n):.1f}" y="{H - B + 18}" text-anchor="middle">{n:.0f}</text>')
    s.append(f'<text x="{(L + W - R) / 2}" y="{H - 10}" text-anchor="middle">new coded AllSides paragraphs in training</text>')
    for pts_, colour, name, dy in [(active, "#1f77b4", "active rounds", 0), (random_, "#d62728", "random only", 20)]:
        if not pts_:
            continue
        d = " ".join(f"{sx(n):.1f},{sy(f):.1f}" for n, f in pts_)
        s.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for n, f in pts_:
            s.append(f'<circle cx="{sx(n):.1f}" cy="{sy(f):.1f}" r="3.5" fill="{colour}"/>')
        s.append(f'<rect x="{W - R + 12}" y="{T + dy}" width="14" height="4" fill="{colour}"/>')
        s.append(f'<text x="{W - R + 32}" y="{T + dy + 6}">{name}</text>')
    s.append("</svg>")
    Path(path).write_text("\n".join(s) + "\n")


if __name__ == "__main__":
    main()
