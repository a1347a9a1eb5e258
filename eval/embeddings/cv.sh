#!/usr/bin/env bash
# One row of the embedding ablation (issue 11): grouped 5-fold CV of the shared labels on the
# folds of eval/RESULTS.md run c+ (--group-by article --seed 42), with corpus/ and the 6,000
# coded AllSides paragraphs (corpus/allsides-coded/round-*.jsonl) added to every training split, and the
# given training flags.
#
#   eval/embeddings/cv.sh pna --embeddings models/embeddings --embed-para-weight 1 \
#       --embed-context-weight 1 --embed-doc-weight 1
#
# Writes eval/embeddings/cv/NAME/{metrics.json,report.md,flags.txt}. Needs ../shared beside
# the repository. FRAMELENS=path overrides the binary (default: target/release/framelens).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
name=$1
shift
bin=${FRAMELENS:-target/release/framelens}
out=$(mktemp -d)
"$bin" cv --quiet --labels ../shared/data/labels/ \
    --articles ../shared/data/allsides-immigration.jsonl \
    --extra-train corpus/ \
    $(for r in 1 2 3 4; do echo --extra-train corpus/allsides-coded/round-$r.jsonl; done) \
    --seed 42 --bootstrap 0 --out "$out" "$@" > /dev/null
mkdir -p "eval/embeddings/cv/$name"
cp "$out/metrics.json" "$out/report.md" "eval/embeddings/cv/$name/"
printf '%s\n' "$*" > "eval/embeddings/cv/$name/flags.txt"
rm -rf "$out"
