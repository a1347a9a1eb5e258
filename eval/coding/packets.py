#!/usr/bin/env python3
"""Coding packets for the hand-coded AllSides sample (issue 12), standard library only.

A *packet* is what one coder reads: numbered items, each a paragraph with its article's title
and the paragraphs before and after it, and nothing a model said about it (coders stay blind to
predictions and to any existing label). The coder answers with one `N<TAB>frame` line per item.
`collect` maps the answers back to `{"id", "para", "frame"}` labels; `agreement` compares two
codings of the same paragraphs (accuracy, Cohen's kappa, per-frame F1).

    packets.py blind --labels ../shared/data/labels/allsides-paragraphs.jsonl --n 400 \
        --packets 4 --seed 1 --out work/r0            # blind re-coding of shared labels
    packets.py suggested --to-code to-code/to-code.jsonl --packets 5 --blind-n 60 \
        --blind-skip work/r0/blind.jsonl --seed 1 --out work/r1    # new items + 60 blind checks
    packets.py collect --packet work/r1/p1.json --answers work/r1/p1.answers.tsv > r1-p1.jsonl
    packets.py collect --blind --packet ... --answers ...   # the blind checks only
    packets.py agreement --gold A.jsonl --coded B.jsonl [--json]

Article text is read from ../shared/data/allsides-immigration.jsonl and never written into the
repository: packets and answers live in a scratch folder; only `{"id","para","frame"}` is kept.
"""
import argparse
import json
import random
import sys
from pathlib import Path

ARTICLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "allsides-immigration.jsonl"
LABELS = ["humanitarian", "economic", "security", "enforcement", "none"]
CONTEXT_CHARS = 300


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: {e}")


def articles(path=ARTICLES):
    """id -> (title, [paragraphs]) with paragraphs = non-blank trimmed lines."""
    out = {}
    for d in read_jsonl(path):
        paras = [p.strip() for p in (d.get("text") or "").split("\n") if p.strip()]
        out[str(d["id"])] = (d.get("title") or "", paras)
    return out


def clip(s):
    return s if len(s) <= CONTEXT_CHARS else s[:CONTEXT_CHARS] + " …"


def write_packets(items, n_packets, out, arts, blind=frozenset()):
    """items: list of (id, para). Writes pK.json (the key) and pK.txt (what the coder reads).
    Items in `blind` (already coded elsewhere) are marked in the key only."""
    out.mkdir(parents=True, exist_ok=True)
    size = -(-len(items) // n_packets)
    for k in range(n_packets):
        part = items[k * size:(k + 1) * size]
        if not part:
            continue
        key = [{"n": i + 1, "id": d, "para": p, "blind": (d, p) in blind} for i, (d, p) in enumerate(part)]
        (out / f"p{k + 1}.json").write_text(json.dumps(key, indent=0) + "\n", encoding="utf-8")
        lines = []
        for e in key:
            title, paras = arts[e["id"]]
            p = e["para"]
            lines.append(f"### {e['n']}")
            lines.append(f"TITLE: {clip(title)}")
            if p > 0:
                lines.append(f"BEFORE: {clip(paras[p - 1])}")
            lines.append(f"PARAGRAPH: {paras[p]}")
            if p + 1 < len(paras):
                lines.append(f"AFTER: {clip(paras[p + 1])}")
            lines.append("")
        (out / f"p{k + 1}.txt").write_text("\n".join(lines), encoding="utf-8")
        print(f"{out / f'p{k + 1}.txt'}: {len(key)} items", file=sys.stderr)


def draw_blind(labels, n, seed, skip_files, reserved_file):
    """n already-coded paragraphs drawn at random, none of those in skip_files."""
    reserved = set(Path(reserved_file).read_text().split()) if reserved_file else set()
    pool = {(str(x["id"]), int(x["para"])) for x in read_jsonl(labels) if str(x["id"]) not in reserved}
    for s in skip_files or []:
        pool -= {(str(x["id"]), int(x["para"])) for x in read_jsonl(s)}
    pool = sorted(pool)
    random.Random(seed).shuffle(pool)
    return pool[:n]


def cmd_blind(a):
    items = draw_blind(a.labels, a.n, a.seed, a.skip, a.reserved)
    write_packets(items, a.packets, Path(a.out), articles(), blind=frozenset(items))


def cmd_suggested(a):
    items = [(str(x["id"]), int(x["para"])) for x in read_jsonl(a.to_code)]
    blind = []
    if a.blind_n:
        blind = draw_blind(a.blind_labels, a.blind_n, a.seed, a.blind_skip, a.reserved)
        items += blind
    random.Random(a.seed).shuffle(items)
    write_packets(items, a.packets, Path(a.out), articles(), blind=frozenset(blind))


def cmd_collect(a):
    key = {e["n"]: e for e in json.loads(Path(a.packet).read_text())}
    got = {}
    for n, line in enumerate(Path(a.answers).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", "\t").split()
        if len(parts) < 2:
            sys.exit(f"{a.answers}:{n}: expected 'N<TAB>frame', got {line!r}")
        try:
            i = int(parts[0])
        except ValueError:
            sys.exit(f"{a.answers}:{n}: item number {parts[0]!r} is not a number")
        frame = parts[1].lower()
        if frame not in LABELS:
            sys.exit(f"{a.answers}:{n}: unknown frame {frame!r} (one of {', '.join(LABELS)})")
        if i not in key:
            sys.exit(f"{a.answers}:{n}: item {i} is not in {a.packet}")
        if i in got and got[i] != frame:
            sys.exit(f"{a.answers}:{n}: item {i} coded twice ({got[i]}, {frame})")
        got[i] = frame
    missing = sorted(set(key) - set(got))
    if missing:
        sys.exit(f"{a.answers}: {len(missing)} items not coded, first {missing[:10]}")
    want_blind = a.blind
    for i in sorted(got):
        e = key[i]
        if bool(e.get("blind")) == want_blind:
            print(json.dumps({"id": e["id"], "para": e["para"], "frame": got[i]}, ensure_ascii=False))


def kappa_report(pairs):
    """pairs: list of (gold, coded). Accuracy, Cohen's kappa, per-label P/R/F1, macro-F1 of frames."""
    n = len(pairs)
    agree = sum(g == c for g, c in pairs)
    po = agree / n
    pe = sum(
        (sum(g == l for g, _ in pairs) / n) * (sum(c == l for _, c in pairs) / n) for l in LABELS
    )
    kappa = (po - pe) / (1 - pe) if pe < 1 else 1.0
    per = {}
    for l in LABELS:
        tp = sum(g == l and c == l for g, c in pairs)
        sg = sum(g == l for g, _ in pairs)
        sc = sum(c == l for _, c in pairs)
        p = tp / sc if sc else None
        r = tp / sg if sg else None
        f = 2 * tp / (sg + sc) if sg + sc else None
        per[l] = {"support": sg, "precision": p, "recall": r, "f1": f}
    frames = [per[l]["f1"] for l in LABELS[:4] if per[l]["f1"] is not None]
    return {
        "n": n,
        "accuracy": po,
        "kappa": kappa,
        "macro_f1_frames": sum(frames) / len(frames) if frames else None,
        "per_label": per,
    }


def cmd_agreement(a):
    gold = {(str(x["id"]), int(x["para"])): x["frame"] for x in read_jsonl(a.gold)}
    pairs = []
    for x in read_jsonl(a.coded):
        k = (str(x["id"]), int(x["para"]))
        if k in gold:
            pairs.append((gold[k], x["frame"]))
    if not pairs:
        sys.exit("no paragraph is in both files")
    r = kappa_report(pairs)
    if a.json:
        print(json.dumps(r, indent=1))
        return
    print(f"n {r['n']}  accuracy {r['accuracy']:.3f}  kappa {r['kappa']:.3f}  macro-F1 (frames) {r['macro_f1_frames']:.3f}")
    for l in LABELS:
        m = r["per_label"][l]
        f = "NA" if m["f1"] is None else f"{m['f1']:.3f}"
        print(f"  {l:<13} support {m['support']:>4}  F1 {f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("blind", help="packets of already-coded paragraphs, labels hidden")
    b.add_argument("--labels", required=True)
    b.add_argument("--reserved", default=str(ARTICLES.parent / "reserved.txt"))
    b.add_argument("--skip", action="append", help="labels whose paragraphs are not drawn again")
    b.add_argument("--n", type=int, required=True)
    b.add_argument("--packets", type=int, default=1)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--out", required=True)
    b.set_defaults(f=cmd_blind)
    s = sub.add_parser("suggested", help="packets from a `framelens suggest` to-code.jsonl")
    s.add_argument("--to-code", required=True)
    s.add_argument("--packets", type=int, default=1)
    s.add_argument("--seed", type=int, default=1, help="shuffle (mixes strategies and blind items)")
    s.add_argument("--blind-n", type=int, default=0, help="already-coded paragraphs mixed in, blind")
    s.add_argument("--blind-labels", default=str(ARTICLES.parent / "labels" / "allsides-paragraphs.jsonl"))
    s.add_argument("--blind-skip", action="append", help="labels whose paragraphs are not drawn again")
    s.add_argument("--reserved", default=str(ARTICLES.parent / "reserved.txt"))
    s.add_argument("--out", required=True)
    s.set_defaults(f=cmd_suggested)
    c = sub.add_parser("collect", help="answers -> {id, para, frame} JSONL on stdout")
    c.add_argument("--packet", required=True)
    c.add_argument("--answers", required=True)
    c.add_argument("--blind", action="store_true", help="print the blind (already coded) items instead of the new ones")
    c.set_defaults(f=cmd_collect)
    g = sub.add_parser("agreement", help="accuracy, kappa and per-frame F1 of two codings")
    g.add_argument("--gold", required=True)
    g.add_argument("--coded", required=True)
    g.add_argument("--json", action="store_true")
    g.set_defaults(f=cmd_agreement)
    a = ap.parse_args()
    a.f(a)


if __name__ == "__main__":
    main()
