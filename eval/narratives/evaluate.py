#!/usr/bin/env python3
"""Precision and recall of narrative rules against the hand-coded sample (eval/NARRATIVES.md).

    framelens classify ../shared/data/allsides-immigration.jsonl -o /tmp/as \
        --narratives models/narratives/us-2012-2020.toml --no-docs
    python3 eval/narratives/evaluate.py /tmp/as/documents.jsonl [--half held] [--errors]

Inputs (committed, ids only): sample.jsonl (the drawn paragraphs: narrative, stratum `hit` or
`near` under the rules at drawing time, stratum size, half, coding round), codes.jsonl and
codes-2.jsonl (the blind codes of rounds 1 and 2, ten and twenty narratives; the first coding
of a paragraph in its round is the gold label, a second coding measures agreement) and
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
import re
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


def outside(a, hits, narratives, round_of):
    """Hits of the evaluated rules on paragraphs that were in neither stratum when the sample
    was drawn (not a hit of the rules then, no broad keyword): the estimate says nothing
    about them, so they are counted beside it."""
    sys.path.insert(0, HERE)
    from sample import ROUNDS, half_of, paragraphs
    texts = {}
    for line in open(a.corpus):
        d = json.loads(line)
        texts[str(d["id"])] = paragraphs(d["text"])
    then = rule_hits(a.drawn_with)
    print(f"\nHits outside the drawn strata ({a.half} half): rule hits now | of them in neither "
          "stratum when drawn")
    for n in narratives:
        broad = re.compile(ROUNDS[round_of[n]][n], re.I)
        now = out = 0
        for k, h in hits.items():
            if n not in h or (a.half != "both" and half_of(k[0]) != a.half):
                continue
            now += 1
            paras = texts.get(k[0], [])
            text = paras[k[1]] if k[1] < len(paras) else ""
            if n not in then.get(k, ()) and not broad.search(text):
                out += 1
        print(f"- {n}: {now} | {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reports")
    ap.add_argument("--half", choices=["tune", "held", "both"], default="held")
    ap.add_argument("--errors", action="store_true", help="list misses and false hits (ids)")
    ap.add_argument("--round", type=int, choices=[1, 2], help="only the narratives of this round")
    ap.add_argument("--drawn-with", metavar="DOCS",
                    help="documents.jsonl of the rules the sample was drawn under: count the "
                    "hits of the given rules outside the drawn strata (not estimated)")
    ap.add_argument("--corpus", default="../shared/data/allsides-immigration.jsonl")
    a = ap.parse_args()
    hits = rule_hits(a.reports)
    sample = [s for s in load_jsonl(os.path.join(HERE, "sample.jsonl"))
              if a.round is None or s.get("round", 1) == a.round]
    # gold and second codings are keyed by (round, id, para): a paragraph drawn in both rounds
    # was coded once per round, each time for that round's narratives only
    gold, second = {}, {}
    for rnd, name in ((1, "codes.jsonl"), (2, "codes-2.jsonl")):
        path = os.path.join(HERE, name)
        if not os.path.exists(path):
            continue
        for c in load_jsonl(path):
            k = (rnd, c["id"], c["para"])
            (gold if c["coding"] == 1 else second)[k] = set(c["narratives"])
    drawn = defaultdict(lambda: defaultdict(int))
    for s in sample:
        drawn[(s["narrative"], s["half"])][s["stratum"]] += 1
    rng = random.Random(14)
    narratives = sorted({s["narrative"] for s in sample})
    round_of = {s["narrative"]: s.get("round", 1) for s in sample}
    print(f"| narrative | coded | carried | rule hits | precision (95% CI) | recall (95% CI) | F1 |")
    print("|---|---:|---:|---:|---|---|---:|")
    n_rows, per = 0, {}
    for n in narratives:
        rows = []
        for s in sample:
            if s["narrative"] != n or (a.half != "both" and s["half"] != a.half):
                continue
            k = (s["id"], s["para"])
            if k not in hits:
                sys.exit(f"paragraph {k} is not in {a.reports}")
            gk = (s.get("round", 1),) + k
            if gk not in gold:
                sys.exit(f"paragraph {k} (round {gk[0]}) has no code")
            w = s["size"] / drawn[(n, s["half"])][s["stratum"]]
            pred, g = n in hits[k], n in gold[gk]
            rows.append((s["half"] + s["stratum"], w, pred, g))
            if a.errors and pred != g:
                print(f"  {'MISS' if g else 'FALSE'} {n} {k[0]} {k[1]}", file=sys.stderr)
        if not rows:
            continue
        n_rows += len(rows)
        per[n] = estimate(rows)
        p, r, f = per[n]
        (pl, ph), (rl, rh) = bootstrap(rows, rng)
        print(f"| {n} | {len(rows)} | {sum(g for *_, g in rows)} | {sum(p for _, _, p, _ in rows)} "
              f"| {p:.2f} ({pl:.2f}–{ph:.2f}) | {r:.2f} ({rl:.2f}–{rh:.2f}) | {f:.2f} |")
    # a narrative without a hit or without a carrier in its sample has an undefined precision
    # or recall (nan); the macro means are over the narratives where each is defined
    ps = list(per.values())
    def mean(i):
        xs = [x[i] for x in ps if x[i] == x[i]]
        return sum(xs) / len(xs) if xs else float("nan"), len(xs)
    (mp, np_), (mr, nr), (mf, _) = mean(0), mean(1), mean(2)
    print(f"| **macro mean** | {n_rows} | | | {mp:.2f} (of {np_}) | {mr:.2f} (of {nr}) | {mf:.2f} |")

    if a.drawn_with:
        outside(a, hits, narratives, round_of)

    # agreement between two blind codings, per round over that round's narratives
    for rnd in sorted({round_of[n] for n in narratives}):
        names = [n for n in narratives if round_of[n] == rnd]
        keys = sorted(k for k in set(gold) & set(second) if k[0] == rnd)
        print(f"\nRound {rnd}: inter-coder agreement on {len(keys)} paragraphs coded twice: "
              f"identical sets {sum(gold[k] == second[k] for k in keys) / max(1, len(keys)):.3f}; "
              "Cohen's κ per narrative (present/absent):")
        for n in names:
            first, other = sum(n in gold[k] for k in keys), sum(n in second[k] for k in keys)
            if first == other == 0:
                print(f"- {n}: n/a (in neither coding)")
                continue
            kv = kappa([(n in gold[k], n in second[k]) for k in keys])
            print(f"- {n}: {kv:.2f} ({first} / {other})")
        allp = [(n in gold[k], n in second[k]) for k in keys for n in names]
        print(f"- pooled over the round's narratives: κ {kappa(allp):.2f}")

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
