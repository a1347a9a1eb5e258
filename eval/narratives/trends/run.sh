#!/usr/bin/env bash
# Regenerate eval/narratives/trends/: three us-2012-2020 narratives over time in the AllSides
# immigration articles (../shared/data/allsides-immigration.jsonl, 1,547 articles), by month.
#
# 1. classify every article with the shipped default model and
#    models/narratives/us-2012-2020.toml into a fresh database
#    (target/narratives-allsides/framelens.db; the reports go beside it);
# 2. `framelens trends --narratives` by month from January 2012, for family-separation,
#    caravan and travel-ban, from the database, with 1,000 bootstrap resamples, seed 42.
#
# Writes narratives.md, narratives.csv, excluded.csv and the charts (narratives_over_time and
# narrative_<id>, .svg and .png) into this folder (narratives.html is left in the work folder).
# Deterministic: a rerun with the same model and narrative file gives identical files.
set -euo pipefail
cd "$(dirname "$0")/../../.."
data=../shared/data/allsides-immigration.jsonl
if [ ! -f "$data" ]; then
    echo "run.sh: $data is not there (../shared beside the repository is needed)" >&2
    exit 2
fi
work=target/narratives-allsides
rm -rf "$work"
mkdir -p "$work"
cargo build --release --quiet
framelens() { cargo run --release --quiet -- "$@"; }
# Exit code 1 means some documents failed (listed in the report); the rest is stored.
framelens classify "$data" --model models/default --out "$work/reports" --no-docs \
    --narratives models/narratives/us-2012-2020.toml --db "$work/framelens.db" || [ $? -eq 1 ]
framelens trends --db "$work/framelens.db" --by month --from 2012-01-01 --narratives \
    --narrative-ids family-separation,caravan,travel-ban --out "$work/trends" --quiet
out=eval/narratives/trends
cp "$work"/trends/{narratives.md,narratives.csv,excluded.csv} "$out"/
cp "$work"/trends/*.svg "$work"/trends/*.png "$out"/
