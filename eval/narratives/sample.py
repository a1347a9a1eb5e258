#!/usr/bin/env python3
"""Draw the hand-coding sample for the us-2012-2020 narratives (eval/NARRATIVES.md).

Usage (from the repo root, after classifying the AllSides file with the narratives):
    framelens classify ../shared/data/allsides-immigration.jsonl -o /tmp/as \
        --narratives models/narratives/us-2012-2020.toml --no-docs
    python3 eval/narratives/sample.py /tmp/as/documents.jsonl \
        ../shared/data/allsides-immigration.jsonl --half tune --hits 12 --near 10 \
        [--round 2] > /tmp/tune.jsonl

For each evaluated narrative and the chosen half of the articles (by SHA-256 of the article
id: even first byte = tune, odd = held), it draws at random (seeded) from two strata of
paragraphs: `hit` (the rule matches) and `near` (no match, but the paragraph matches a broad
keyword pattern of the topic, below). Articles in ../shared/data/reserved.txt are never drawn.
The output (to stdout, never committed) carries the paragraph text for reading; the codes
committed in codes.jsonl carry only id, paragraph index, narrative and the judgement.
"""
import argparse
import hashlib
import json
import random
import re
import sys

EVALUATED = {
    "caravan": r"caravan|convoy|large groups?|thousands of (central american|migrants)|march\w* (north|toward)|hondur",
    "family-separation": r"separat|zero.tolerance|reunif|reunit|cages?\b|taken from|ripped|torn from|detained (children|kids|families)",
    "travel-ban": r"\bban(s|ned|ning)?\b|muslim|barred|barring|suspend|executive order",
    "sanctuary-cities": r"sanctuar|detainer|cooperat\w* with (federal|ice|immigration)|local (police|law enforcement)|287",
    "daca-dreamers": r"daca|dream|childhood|young (immigrants|people)|brought (here|to)|deferred action",
    "border-wall": r"\bwalls?\b|fenc|barrier",
    "ms13-gangs": r"ms.?13|gang|cartel|salvatrucha",
    "catch-and-release": r"catch|releas|notice to appear|court date|recognizance|ankle",
    "chain-migration": r"chain|family.based|relatives|sponsor|extended famil|lottery|siblings",
    "visa-overstays": r"overstay|visas?\b|out of status|expired|entry.exit",
}

# Round 2: the other twenty narratives of us-2012-2020.toml, drawn under the rules as first
# written (none of them had been revised) and coded in separate blind packets.
ROUND2 = {
    "birthright-citizenship": r"birthright|anchor bab|14th amendment|fourteenth amendment|born (here|in (the )?(u\.?s|united states|america))|birth tourism|citizen children",
    "amnesty": r"amnest|legaliz|legalis|legal status",
    "path-to-citizenship": r"path(way)? to|comprehensive|gang of (eight|8)|overhaul|reform bill|legal status",
    "immigrant-crime": r"murder|kill|rape|homicide|steinle|tibbetts|crime|criminal",
    "refugee-terrorism": r"refugee|terror|vett|syria|isis",
    "jobs-wages": r"\bjobs?\b|wages?\b|workers?\b|labou?r|employ",
    "unaccompanied-minors": r"unaccompanied|minors|children|kids|teen|juvenile",
    "border-crisis": r"crisis|invasion|invad|emergency|overrun|surge|open border|porous|flood",
    "ice-raids": r"raid|sweep|workplace|courthouse|arrest",
    "abolish-ice": r"abolish|defund|dismantl|get rid of|\bice\b",
    "merit-based": r"merit|skill|points?\b|raise act|educat|english",
    "public-charge": r"public charge|welfare|food stamps|medicaid|benefits|public assistance|burden",
    "detention-conditions": r"detention|detained|custody|facilit|conditions|camps?\b|cages|shelter",
    "noncitizen-voting": r"\bvot|ballot|election fraud",
    "remain-in-mexico": r"remain in mexico|wait in mexico|\bmpp\b|protection protocols|third country|metering|guatemala|return\w* to mexico",
    "census-question": r"census|citizenship question",
    "pandemic-border": r"coronavirus|covid|pandemic|title 42|virus|public health",
    "executive-amnesty": r"dapa|executive (action|order|amnesty)|deferred action|parents of|unilateral",
    "asylum-fraud": r"asylum|credible fear|fraud|loophole|flores",
    "deportation-numbers": r"deport|removals|record|deporter",
}
ROUNDS = {1: EVALUATED, 2: ROUND2}


def half_of(doc_id):
    return "tune" if hashlib.sha256(doc_id.encode()).digest()[0] % 2 == 0 else "held"


def paragraphs(text):
    return [l.strip() for l in text.splitlines() if l.strip()]


def load(reports_path, corpus_path, reserved_path):
    reserved = {l.strip() for l in open(reserved_path) if l.strip()}
    texts = {}
    for line in open(corpus_path):
        a = json.loads(line)
        texts[str(a["id"])] = a["text"]
    rows = []  # (id, index, text, set of narratives)
    for line in open(reports_path):
        r = json.loads(line)
        if r["id"] in reserved or r["id"] not in texts:
            continue
        paras = paragraphs(texts[r["id"]])
        if len(paras) != len(r["paragraphs"]):
            continue  # text repaired before classification (HTML stripped): skip
        for p, t in zip(r["paragraphs"], paras):
            rows.append((r["id"], p["index"], t, set(p.get("narratives", []))))
    return rows


def strata(rows, narrative, half, broad_pattern):
    broad = re.compile(broad_pattern, re.I)
    hit, near = [], []
    for row in rows:
        if half_of(row[0]) != half:
            continue
        if narrative in row[3]:
            hit.append(row)
        elif broad.search(row[2]):
            near.append(row)
    return hit, near


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reports")
    ap.add_argument("corpus")
    ap.add_argument("--reserved", default="../shared/data/reserved.txt")
    ap.add_argument("--half", choices=["tune", "held"], required=True)
    ap.add_argument("--hits", type=int, default=8)
    ap.add_argument("--near", type=int, default=7)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--round", type=int, choices=sorted(ROUNDS), default=1)
    a = ap.parse_args()
    rows = load(a.reports, a.corpus, a.reserved)
    # round 1 keeps its original seed string, so that its committed sample reproduces (with
    # the rules it was drawn under)
    rng = random.Random(f"{a.seed}-{a.half}" if a.round == 1 else f"{a.seed}-{a.half}-r{a.round}")
    for n, broad in ROUNDS[a.round].items():
        hit, near = strata(rows, n, a.half, broad)
        for name, pool, k in (("hit", hit, a.hits), ("near", near, a.near)):
            for row in rng.sample(pool, min(k, len(pool))):
                print(json.dumps({"id": row[0], "para": row[1], "narrative": n,
                                  "stratum": name, "size": len(pool), "round": a.round,
                                  "text": row[2]}, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
