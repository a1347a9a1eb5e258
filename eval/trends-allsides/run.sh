#!/usr/bin/env bash
# Regenerate eval/trends-allsides/: frame shares over time in the AllSides immigration articles
# (../shared/data/allsides-immigration.jsonl, 1,547 articles), by month and by the outlet's
# AllSides bias rating (meta.bias: left, center, right).
#
# 1. classify every article with the shipped default model (models/default) into a fresh
#    database (target/trends-allsides/framelens.db; the reports go beside it);
# 2. `framelens trends` by month, grouped by meta.bias, from January 2012 (the collection's
#    period: the two articles dated 2001 and 2010 are listed as outside the range, not dropped
#    silently), with 1,000 bootstrap resamples, seed 42.
#
# Writes trends.md, trends.csv, trends-overall.csv, excluded.csv, trends.html and the charts
# (shares_over_time, present_over_time, shares_by_group as .svg and .png) into this folder.
# Everything is deterministic: a rerun with the same model gives identical files.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=../shared/data/allsides-immigration.jsonl
if [ ! -f "$data" ]; then
    echo "run.sh: $data is not there (../shared beside the repository is needed)" >&2
    exit 2
fi
work=target/trends-allsides
rm -rf "$work"
mkdir -p "$work"
cargo build --release --quiet
framelens() { cargo run --release --quiet -- "$@"; }
# Exit code 1 means some documents failed (listed in the report); the rest is stored.
framelens classify "$data" --model models/default --out "$work/reports" --no-docs \
    --db "$work/framelens.db" || [ $? -eq 1 ]
framelens trends --db "$work/framelens.db" --by month --group meta.bias --from 2012-01-01 \
    --bootstrap 1000 --seed 42 --out eval/trends-allsides
