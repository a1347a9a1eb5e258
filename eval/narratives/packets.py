#!/usr/bin/env python3
"""Blind coding packets for the narrative evaluation (eval/NARRATIVES.md), and their collection.

    # 1. packets: the union of the drawn paragraphs (sample.py output, both halves), deduplicated,
    #    in a seeded order, text only: no stratum, no rule hit, no target narrative is shown.
    python3 eval/narratives/packets.py make /tmp/narr/tune.jsonl /tmp/narr/held.jsonl \
        --out /tmp/narr/packets --size 75 [--double 90]
    # 2. stance packets: rule hits with the stance the cue rule gave, the narrative shown, the
    #    stance not shown; drawn from a classify run with [stance] enabled.
    python3 eval/narratives/packets.py stance /tmp/as-narr/documents.jsonl \
        ../shared/data/allsides-immigration.jsonl --rebutted 60 --asserted 40 --out /tmp/narr/stance
    # 3. collect the coded packets into eval/narratives/codes.jsonl (ids and judgements only).
    python3 eval/narratives/packets.py collect /tmp/narr/packets > eval/narratives/codes.jsonl

Coders read each paragraph (with its article title) and list which of the evaluated narratives
(the `description`s in models/narratives/us-2012-2020.toml, summarised in guide.md) it carries.
"""
import argparse
import hashlib
import json
import os
import random
import sys


def key_of(doc_id, para):
    return hashlib.sha256(f"{doc_id}\t{para}".encode()).hexdigest()[:10]


def titles(corpus):
    out = {}
    for line in open(corpus):
        a = json.loads(line)
        out[str(a["id"])] = a.get("title") or ""
    return out


def make(a):
    rows = {}
    for path in a.samples:
        for line in open(path):
            r = json.loads(line)
            k = key_of(r["id"], r["para"])
            rows.setdefault(k, {"key": k, "id": r["id"], "para": r["para"], "text": r["text"]})
    t = titles(a.corpus)
    items = sorted(rows.values(), key=lambda r: r["key"])
    random.Random(a.seed).shuffle(items)
    os.makedirs(a.out, exist_ok=True)
    answer = {}
    packets = [items[i:i + a.size] for i in range(0, len(items), a.size)]
    if a.double:
        # a second, independent coding of the first `double` items, in another order
        d = list(items[:a.double])
        random.Random(a.seed + 1).shuffle(d)
        packets.append(d)
    for n, p in enumerate(packets, 1):
        with open(os.path.join(a.out, f"packet-{n}.jsonl"), "w") as f:
            for r in p:
                f.write(json.dumps({"key": r["key"], "title": t.get(r["id"], ""),
                                    "text": r["text"]}, ensure_ascii=False) + "\n")
                answer[r["key"]] = {"id": r["id"], "para": r["para"]}
    with open(os.path.join(a.out, "keys.json"), "w") as f:
        json.dump(answer, f, indent=0, sort_keys=True)
    print(f"{len(items)} paragraphs in {len(packets)} packets ({a.double} double-coded)",
          file=sys.stderr)


def stance(a):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from sample import paragraphs
    reserved = {l.strip() for l in open(a.reserved) if l.strip()}
    t = titles(a.corpus)
    # the evidence quotes the sentence of the match; coders read the whole paragraph
    texts = {}
    for line in open(a.corpus):
        d = json.loads(line)
        texts[str(d["id"])] = paragraphs(d.get("text") or "")
    pools = {"rebutted": [], "asserted": []}
    for line in open(a.reports):
        r = json.loads(line)
        if r["id"] in reserved:
            continue
        for nid, hit in sorted((r.get("narratives") or {}).items()):
            for e in hit.get("evidence", []):
                s = e.get("stance")
                if s in pools:
                    pools[s].append((r["id"], e["index"], nid, texts[r["id"]][e["index"]]))
    rng = random.Random(a.seed)
    items = []
    for s, k in (("rebutted", a.rebutted), ("asserted", a.asserted)):
        for row in rng.sample(pools[s], min(k, len(pools[s]))):
            items.append({"key": key_of(row[0], row[1]) + "-" + row[2], "id": row[0],
                          "para": row[1], "narrative": row[2], "rule": s, "text": row[3],
                          "pool": len(pools[s])})
    rng.shuffle(items)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "packet-stance.jsonl"), "w") as f:
        for r in items:
            f.write(json.dumps({"key": r["key"], "narrative": r["narrative"],
                                "title": t.get(r["id"], ""), "text": r["text"]},
                               ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "keys.json"), "w") as f:
        json.dump({r["key"]: {k: r[k] for k in ("id", "para", "narrative", "rule", "pool")}
                   for r in items}, f, indent=0, sort_keys=True)
    print(f"{len(items)} stance items (pools: rebutted {len(pools['rebutted'])}, "
          f"asserted {len(pools['asserted'])})", file=sys.stderr)


def collect(a):
    keys = json.load(open(os.path.join(a.dir, "keys.json")))
    seen = {}
    for name in sorted(os.listdir(a.dir)):
        if not (name.startswith("coded-") and name.endswith(".jsonl")):
            continue
        packet = name[len("coded-"):-len(".jsonl")]
        for n, line in enumerate(open(os.path.join(a.dir, name)), 1):
            if not line.strip():
                continue
            c = json.loads(line)
            if c["key"] not in keys:
                sys.exit(f"{name}:{n}: unknown key {c['key']}")
            coding = seen.setdefault(c["key"], 0) + 1
            seen[c["key"]] = coding
            out = dict(keys[c["key"]])
            for f in ("narratives", "stance"):
                if f in c:
                    out[f] = sorted(c[f]) if isinstance(c[f], list) else c[f]
            out["coding"] = coding
            out["packet"] = packet
            print(json.dumps(out, sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("samples", nargs="+")
    m.add_argument("--corpus", default="../shared/data/allsides-immigration.jsonl")
    m.add_argument("--out", required=True)
    m.add_argument("--size", type=int, default=75)
    m.add_argument("--double", type=int, default=0)
    m.add_argument("--seed", type=int, default=14)
    s = sub.add_parser("stance")
    s.add_argument("reports")
    s.add_argument("corpus")
    s.add_argument("--reserved", default="../shared/data/reserved.txt")
    s.add_argument("--rebutted", type=int, default=60)
    s.add_argument("--asserted", type=int, default=40)
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=14)
    c = sub.add_parser("collect")
    c.add_argument("dir")
    a = ap.parse_args()
    {"make": make, "stance": stance, "collect": collect}[a.cmd](a)


if __name__ == "__main__":
    main()
