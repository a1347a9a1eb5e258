#!/usr/bin/env python3
"""The ablation table of issue 11 from eval/embeddings/cv/*/metrics.json (and the TF-IDF
baseline of the coding rounds, eval/coding/cv/r4): Markdown on stdout.

    python3 eval/embeddings/table.py > /tmp/ablation-table.md
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ROWS = [
    ("tfidf, word tokenizer (the default model before issue 11)", "eval/coding/cv/r4", "(none)"),
    ("tfidf over the table's WordPiece tokens", "eval/embeddings/cv/wp0", None),
    ("+ paragraph block 0.3", "eval/embeddings/cv/p-0.3", None),
    ("+ paragraph and neighbour blocks 0.3", "eval/embeddings/cv/pn-0.3", None),
    ("+ paragraph, neighbour and article blocks 0.1", "eval/embeddings/cv/pna-0.1", None),
    ("+ paragraph, neighbour and article blocks 0.3", "eval/embeddings/cv/pna-0.3", None),
    ("+ paragraph, neighbour and article blocks 1", "eval/embeddings/cv/pna", None),
    ("paragraph block 0.3, distilled table (not news-adapted)", "eval/embeddings/cv/p-0.3-distilled", None),
    ("word tokenizer, table keyed by its words: + paragraph block 0.1", "eval/embeddings/cv/w-0.1", None),
    ("word tokenizer, table keyed by its words: + paragraph block 0.3", "eval/embeddings/cv/w-0.3", None),
    ("word tokenizer, table keyed by its words: + paragraph block 1", "eval/embeddings/cv/w-1", None),
    ("word tokenizer, table keyed by its words: + paragraph, neighbour and article blocks 0.3",
     "eval/embeddings/cv/wpna-0.3", None),
]


def f1(m, label):
    for row in m["paragraph"]["per_label"]:
        if row.get("label") == label:
            return row["f1"]
    pl = m["paragraph"]["per_label"]
    if isinstance(pl, dict):
        return pl[label]["f1"]
    return float("nan")


def main():
    print("| features | macro F1, 4 frames | humanitarian | economic | security | enforcement "
          "| dominant accuracy | flags |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, path, flags in ROWS:
        p = os.path.join(ROOT, path, "metrics.json")
        if not os.path.exists(p):
            print(f"| {name} | not run | | | | | | |")
            continue
        m = json.load(open(p))
        if flags is None:
            fp = os.path.join(ROOT, path, "flags.txt")
            flags = open(fp).read().strip() if os.path.exists(fp) else ""
            flags = flags.replace("--embeddings ", "").replace("--embed-", "")
            flags = flags.replace("/tmp/emb-distilled", "<distilled table>")
        cells = [f"{f1(m, l):.3f}" for l in ("humanitarian", "economic", "security", "enforcement")]
        print(f"| {name} | {m['paragraph']['macro_f1_frames']:.3f} | " + " | ".join(cells)
              + f" | {m['document']['dominant_accuracy']:.3f} | `{flags}` |")


if __name__ == "__main__":
    main()
