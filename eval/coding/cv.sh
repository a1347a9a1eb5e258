#!/usr/bin/env bash
# One point of the learning curve of the coding rounds (issue 12): grouped 5-fold CV of the
# shared labels (the folds of eval/RESULTS.md run c+: --group-by article --seed 42) with
# corpus/ and the given label files added to every training split.
#
#   eval/coding/cv.sh r2 corpus/allsides-coded/round-1.jsonl corpus/allsides-coded/round-2.jsonl
#
# Writes eval/coding/cv/NAME/{metrics.json,report.md}. Needs ../shared beside the repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
name=$1
shift
extra=(--extra-train corpus/)
for f in "$@"; do extra+=(--extra-train "$f"); done
cargo build --release --quiet
out=$(mktemp -d)
target/release/framelens cv --quiet --labels ../shared/data/labels/ \
    --articles ../shared/data/allsides-immigration.jsonl "${extra[@]}" \
    --seed 42 --bootstrap 0 --out "$out" > /dev/null
mkdir -p "eval/coding/cv/$name"
cp "$out/metrics.json" "$out/report.md" "eval/coding/cv/$name/"
rm -rf "$out"
