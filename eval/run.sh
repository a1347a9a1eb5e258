#!/usr/bin/env bash
# Regenerate eval/RESULTS.md: framelens and the scikit-learn peer side by side.
#
#   eval/run.sh            # everything (about an hour on 2 cores)
#   eval/run.sh results    # only rebuild RESULTS.md from the runs in eval/runs/
#   eval/run.sh embed      # only run c-shared-cv-corpus-embed (issue 11; ~15 min), then RESULTS.md
#
# Needs ../shared/data (the hand-coded AllSides sample) beside the repository, cargo, and
# python3 with venv + pip (the peer creates eval/peers/.venv on first use).
#
# Runs (each writes framelens/, peer/ and check/ under eval/runs/<name>/):
#   a-corpus-cv           5-fold CV of corpus/ grouped by article
#   b-shared-default      ../shared/data/labels/ scored by a model trained on corpus/ only (with the
#                         default parameters; the shipped models/default also learned from these
#                         labels, so it cannot be scored on them); the peer trains on corpus/ only
#   c-shared-cv           5-fold CV of ../shared/data/labels/ grouped by article
#   c-shared-cv-corpus    the same folds, with corpus/ added to every training split
#   c-shared-cv-corpus-embed  the same folds and training data, with the embedding blocks (issue 11);
#                         the folds are those of c-shared-cv-corpus (checked), so its peer figures
#                         are copied from that run and only the independent check is rerun
# check/ holds framelens's predictions re-scored by the peer's independent Python metrics.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SHARED=../shared/data
RUNS=eval/runs
PEER=eval/peers/peer.sh
SEED=42

results() {
    "$PEER" results --runs "$RUNS" --out eval/RESULTS.md
}
if [[ "${1:-}" == "results" ]]; then
    results
    exit 0
fi
# The embedding features measured in run c-shared-cv-corpus-embed (issue 11).
EMBED=(--embeddings models/embeddings --embed-pooling mean --embed-para-weight 0.3 --embed-context-weight 0 --embed-doc-weight 0 --embed-keys words)
if [[ ! -d "$SHARED/labels" ]]; then
    echo "eval/run.sh: $SHARED/labels is missing; it is needed for runs b and c" >&2
    exit 2
fi
cargo build --release --quiet
# a private copy, so that a rebuild during the run cannot change the binary half-way
BIN="$(mktemp -d)/framelens"
cp target/release/framelens "$BIN"
ARTS="$SHARED/allsides-immigration.jsonl"
mkdir -p "$RUNS"

fl() { # name, framelens args...
    local name=$1; shift
    rm -rf "${RUNS:?}/$name"
    mkdir -p "$RUNS/$name"
    echo "== $name: framelens $*" >&2
    "$BIN" "$@" --seed "$SEED" --out "$RUNS/$name/framelens" > "$RUNS/$name/framelens.txt"
    touch "$RUNS/$name/.framelens-done"
}
peer() { # name, peer args...
    local name=$1; shift
    while [[ ! -e "$RUNS/$name/.framelens-done" ]]; do sleep 5; done
    echo "== $name: peer $*" >&2
    "$PEER" "$@" --seed "$SEED" --thresholds-from "$RUNS/$name/framelens/metrics.json" \
        --out "$RUNS/$name/peer" 2> "$RUNS/$name/peer.log"
}
check() { # name, label args...
    local name=$1; shift
    "$PEER" score "$@" --seed "$SEED" --predictions "$RUNS/$name/framelens/predictions.jsonl" \
        --thresholds-from "$RUNS/$name/framelens/metrics.json" --out "$RUNS/$name/check" 2>> "$RUNS/$name/peer.log"
}

embed_run() {
    fl c-shared-cv-corpus-embed cv --labels "$SHARED/labels/" --articles "$ARTS" --extra-train corpus/ \
        --folds 5 --group-by article "${EMBED[@]}"
    cmp "$RUNS/c-shared-cv-corpus/framelens/folds.csv" "$RUNS/c-shared-cv-corpus-embed/framelens/folds.csv"
    rm -rf "$RUNS/c-shared-cv-corpus-embed/peer"
    cp -r "$RUNS/c-shared-cv-corpus/peer" "$RUNS/c-shared-cv-corpus-embed/peer"
    check c-shared-cv-corpus-embed --labels "$SHARED/labels/" --articles "$ARTS"
}
if [[ "${1:-}" == "embed" ]]; then
    "$PEER" --help > /dev/null
    embed_run
    results
    exit 0
fi

rm -f "$RUNS"/*/.framelens-done
# Warm up the peer's venv before anything runs in parallel.
"$PEER" --help > /dev/null

# The peers run in the background, one at a time, each as soon as its folds exist.
(
    peer b-shared-default eval --train corpus/ --labels "$SHARED/labels/" --articles "$ARTS"
    check b-shared-default --labels "$SHARED/labels/" --articles "$ARTS"
    peer a-corpus-cv cv --labels corpus/ --folds "$RUNS/a-corpus-cv/framelens/folds.csv"
    check a-corpus-cv --labels corpus/
    peer c-shared-cv cv --labels "$SHARED/labels/" --articles "$ARTS" \
        --folds "$RUNS/c-shared-cv/framelens/folds.csv"
    check c-shared-cv --labels "$SHARED/labels/" --articles "$ARTS"
    peer c-shared-cv-corpus cv --labels "$SHARED/labels/" --articles "$ARTS" --extra-train corpus/ \
        --folds "$RUNS/c-shared-cv-corpus/framelens/folds.csv"
    check c-shared-cv-corpus --labels "$SHARED/labels/" --articles "$ARTS"
) &
PEERS=$!
trap 'kill $PEERS 2>/dev/null || true' EXIT

MODEL_B="$(mktemp -d)/corpus-only"
"$BIN" train --labels corpus/ --seed "$SEED" --quiet --out "$MODEL_B"
fl b-shared-default eval --model "$MODEL_B" --labels "$SHARED/labels/" --articles "$ARTS"
fl a-corpus-cv cv --labels corpus/ --folds 5 --group-by article
fl c-shared-cv cv --labels "$SHARED/labels/" --articles "$ARTS" --folds 5 --group-by article
fl c-shared-cv-corpus cv --labels "$SHARED/labels/" --articles "$ARTS" --extra-train corpus/ \
    --folds 5 --group-by article
wait "$PEERS"
trap - EXIT
embed_run
results
echo "eval/RESULTS.md written" >&2
