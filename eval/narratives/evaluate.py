#!/usr/bin/env python3
"""Precision and recall of narrative rules against the hand-coded sample (eval/NARRATIVES.md).

    framelens classify ../shared/data/allsides-immigration.jsonl -o /tmp/as \
        --narratives models/narratives/us-2012-2020.toml --no-docs
    python3 eval/narratives/evaluate.py /tmp/as/documents.jsonl [--half held] [--errors]

Inputs (committed, ids only): sample.jsonl (the drawn paragraphs: narrative, stratum `hit` or
`near` under the rules at drawing time, stratum size, half), codes.jsonl (the blind codes; the
first coding of a paragraph is the gold label, a second coding measures agreement) and
stance-codes.jsonl. The rules evaluated are the ones in the given classify output.

Per narrative, each drawn paragraph stands for size/drawn paragraphs of its stratum, so the
weighted counts estimate the population of hit ∪ near paragraphs of that half (paragraphs
outside both strata, which lack every topical keyword, are assumed not to carry it). 95%
intervals: stratified bootstrap, 2,000 draws, seeded.
"""
import argparse
import json
import os
import random
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def load_jsonl(p):
    return [json.loads(l) for l in open(p) if l.strip()]


def rule_hits(reports):
    hits = {}
    for r in load_jsonl(reports):
        for p in r["paragraphs"]:
            hits[(r["id"], p["index"])] = set(p.get("narratives", []))
    return hits


def estimate(rows):
    """rows: (stratum, weight, predicted, gold) -> (P, R, F1)."""
    tp = sum(w for _, w, p, g in rows if p and g)
    fp = sum(w for _, w, p, g in rows if p and not g)
    fn = sum(w for _, w, p, g in rows if g and not p)
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec + rec and tp else 0.0
    return prec, rec, f1


def bootstrap(rows, rng, n=2000):
    by = defaultdict(list)
    for r in rows:
        by[r[0]].append(r)
    out = []
    for _ in range(n):
        b = [rng.choice(v) for v in by.values() for _ in v]
        out.append(estimate(b))
    def ci(i):
        xs = sorted(x[i] for x in out if x[i] == x[i])
        if not xs:
            return (float("nan"), float("nan"))
        return xs[int(0.025 * len(xs))], xs[int(0.975 * len(xs)) - 1]
    return ci(0), ci(1)


def kappa(pairs):
    n = len(pairs)
    if not n:
        return float("nan")
    po = sum(a == b for a, b in pairs) / n
    pa = sum(a for a, _ in pairs) / n
    pb = sum(b for _, b in pairs) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reports")
    ap.add_argument("--half", choices=["tune", "held", "both"], default="held")
    ap.add_argument("--errors", action="store_true", help="list misses and false hits (ids)")
    a = ap.parse_args()
    hits = rule_hits(a.reports)
    sample = load_jsonl(os.path.join(HERE, "sample.jsonl"))
    codes = load_jsonl(os.path.join(HERE, "codes.jsonl"))
    gold, second = {}, {}
    for c in codes:
        k = (c["id"], c["para"])
        (gold if c["coding"] == 1 else second)[k] = set(c["narratives"])
    drawn = defaultdict(lambda: defaultdict(int))
    for s in sample:
        drawn[(s["narrative"], s["half"])][s["stratum"]] += 1
    rng = random.Random(14)
    narratives = sorted({s["narrative"] for s in sample})
    print(f"| narrative | coded | carried | rule hits | precision (95% CI) | recall (95% CI) | F1 |")
    print("|---|---:|---:|---:|---|---|---:|")
    tot = []
    for n in narratives:
        rows = []
        for s in sample:
            if s["narrative"] != n or (a.half != "both" and s["half"] != a.half):
                continue
            k = (s["id"], s["para"])
            if k not in hits:
                sys.exit(f"paragraph {k} is not in {a.reports}")
            w = s["size"] / drawn[(n, s["half"])][s["stratum"]]
            pred, g = n in hits[k], n in gold[k]
            rows.append((s["half"] + s["stratum"], w, pred, g))
            tot.append((n + s["half"] + s["stratum"], w, pred, g))
            if a.errors and pred != g:
                print(f"  {'MISS' if g else 'FALSE'} {n} {k[0]} {k[1]}", file=sys.stderr)
        p, r, f = estimate(rows)
        (pl, ph), (rl, rh) = bootstrap(rows, rng)
        print(f"| {n} | {len(rows)} | {sum(g for *_, g in rows)} | {sum(p for _, _, p, _ in rows)} "
              f"| {p:.2f} ({pl:.2f}–{ph:.2f}) | {r:.2f} ({rl:.2f}–{rh:.2f}) | {f:.2f} |")
    ps = [estimate([x for x in tot if x[0].startswith(n)]) for n in narratives]
    mp = sum(x[0] for x in ps) / len(ps)
    mr = sum(x[1] for x in ps) / len(ps)
    mf = sum(x[2] for x in ps) / len(ps)
    print(f"| **macro mean** | {len(tot)} | | | {mp:.2f} | {mr:.2f} | {mf:.2f} |")

    # agreement between two blind codings
    keys = sorted(set(gold) & set(second))
    print(f"\nInter-coder agreement on {len(keys)} paragraphs coded twice: "
          f"identical sets {sum(gold[k] == second[k] for k in keys) / max(1, len(keys)):.3f}; "
          "Cohen's κ per narrative (present/absent):")
    ks = []
    for n in narratives:
        kv = kappa([(n in gold[k], n in second[k]) for k in keys])
        ks.append(kv)
        print(f"- {n}: {kv:.2f} ({sum(n in gold[k] for k in keys)} / {sum(n in second[k] for k in keys)})")
    allp = [(n in gold[k], n in second[k]) for k in keys for n in narratives]
    print(f"- pooled over narratives: κ {kappa(allp):.2f}")

    st = load_jsonl(os.path.join(HERE, "stance-codes.jsonl"))
    print("\nStance (cue rule vs blind code):\n")
    print("| rule says | items | coded asserted | coded rebutted | coded absent | precision |")
    print("|---|---:|---:|---:|---:|---:|")
    for rule in ("rebutted", "asserted"):
        xs = [s for s in st if s["rule"] == rule]
        c = {v: sum(s["stance"] == v for s in xs) for v in ("asserted", "rebutted", "absent")}
        print(f"| {rule} | {len(xs)} (of {xs[0]['pool'] if xs else 0}) | {c['asserted']} | "
              f"{c['rebutted']} | {c['absent']} | {c[rule] / max(1, len(xs)):.2f} |")


if __name__ == "__main__":
    main()
