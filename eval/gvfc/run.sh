#!/usr/bin/env bash
# Regenerate the GVFC run (issue 13): framelens with the GVFC codebook (eval/gvfc/codebook.toml),
# stratified 5-fold CV of the 1,000 coded headlines (each a one-paragraph document, grouped by
# headline), default training parameters; the alpha values tried in CV; and the scikit-learn
# peer on the same folds. Needs ../shared/data/gvfc/headlines.jsonl beside the repository, and
# python3 with venv + pip for the peer (eval/peers/.venv is created on first use).
#
#   eval/gvfc/run.sh
#
# Writes eval/gvfc/framelens/ (metrics.json, report.md, folds.csv, confusion.svg,
# reliability.svg), eval/gvfc/peer/metrics.json and eval/gvfc/summary.tsv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DATA=../shared/data/gvfc/headlines.jsonl
CB=eval/gvfc/codebook.toml
OUT=eval/gvfc
if [[ ! -f "$DATA" ]]; then
    echo "eval/gvfc/run.sh: $DATA is missing" >&2
    exit 2
fi
cargo build --release --quiet
BIN="$(mktemp -d)/framelens"
cp target/release/framelens "$BIN"
cv() { "$BIN" cv --codebook "$CB" --labels "$DATA" --folds 5 --stratify --seed 42 --quiet "$@"; }
field() { awk -F'\t' -v k="$1" '$1==k{print $2}'; }
printf 'run\taccuracy\tmacro_f1\n' > "$OUT/summary.tsv"
cv --bootstrap 1000 --out "$OUT/framelens" > "$OUT/framelens.tsv"
rm -f "$OUT/framelens/predictions.jsonl"
printf 'framelens (default parameters, alpha 0.1)\t%s\t%s\n' \
    "$(field accuracy < "$OUT/framelens.tsv")" "$(field macro_f1_all < "$OUT/framelens.tsv")" >> "$OUT/summary.tsv"
rm -f "$OUT/framelens.tsv"
for a in 0.01 0.03 0.3; do
    d="$(mktemp -d)"
    cv --bootstrap 0 --alpha "$a" --out "$d" > "$d/h.tsv"
    printf 'framelens alpha %s\t%s\t%s\n' "$a" "$(field accuracy < "$d/h.tsv")" "$(field macro_f1_all < "$d/h.tsv")" >> "$OUT/summary.tsv"
    rm -rf "$d"
done
d="$(mktemp -d)"
cat > "$d/p.json" <<'JSON'
{"tokenizer":{"vocab_size":30000,"min_frequency":2},"features":{"bigrams":true,"min_df":2,"max_features":20000,"context_weight":0.5,"layout_weight":0.3,"doc_weight":0.3},"alpha":0.1,"max_iterations":40,"prior_correction":1.0,"seed":42}
JSON
cv --bootstrap 0 --params "$d/p.json" --out "$d" > "$d/h.tsv"
printf 'framelens prior correction 1.0\t%s\t%s\n' "$(field accuracy < "$d/h.tsv")" "$(field macro_f1_all < "$d/h.tsv")" >> "$OUT/summary.tsv"
rm -rf "$d"
eval/peers/peer.sh --help > /dev/null 2>&1 || true   # creates eval/peers/.venv on first use
eval/peers/.venv/bin/python eval/gvfc/sklearn_gvfc.py --codebook "$CB" --labels "$DATA" \
    --folds "$OUT/framelens/folds.csv" --out "$OUT/peer" --c-grid 10 > "$OUT/peer.tsv"
printf 'scikit-learn peer, C 10 (same folds)\t%s\t%s\n' \
    "$(field accuracy < "$OUT/peer.tsv")" "$(field macro_f1 < "$OUT/peer.tsv")" >> "$OUT/summary.tsv"
rm -f "$OUT/peer.tsv"
cat "$OUT/summary.tsv"
