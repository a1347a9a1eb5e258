#!/usr/bin/env bash
# Throughput of the Python package (issue 15): the wheel on Arrow batches beside the CLI, Spark
# local[2] (framelens via mapInArrow, and the scikit-learn peer as a pandas UDF) and Ray Data;
# writes the markdown fragment eval/BENCH-python.md (benches/throughput.sh includes it when run
# with BENCH_PYTHON=1).
#
#   bash benches/python.sh
#
# Settings (environment): BENCH_PY_COPIES=5 (copies of the AllSides file), BENCH_PY_REPEATS=3
# (median of), BENCH_PY_OUT=eval/BENCH-python.md, FRAMELENS_SHARED=../shared/data,
# FRAMELENS_VENV=python/.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${FRAMELENS_SHARED:-$ROOT/../shared/data}
SRC=$SHARED/allsides-immigration.jsonl
LABELS=$SHARED/labels/allsides-paragraphs.jsonl
OUT=${BENCH_PY_OUT:-$ROOT/eval/BENCH-python.md}
VENV=${FRAMELENS_VENV:-$ROOT/python/.venv}
say() { printf '[bench-python] %s\n' "$*" >&2; }
[ -f "$SRC" ] || { say "missing $SRC (set FRAMELENS_SHARED to the shared data folder)"; exit 2; }
command -v python3 >/dev/null || { say "python3 is required"; exit 2; }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
say "installing the test requirements and the scikit-learn peer into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$ROOT/python/requirements-test.txt" -r "$ROOT/benches/peers/requirements.txt"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
say "building the CLI and the wheel (release)"
cargo build --release --quiet --bin framelens
(cd python && VIRTUAL_ENV=$VENV PATH="$VENV/bin:$PATH" maturin develop --release --quiet >&2)
export PYSPARK_PYTHON=$VENV/bin/python RAY_USAGE_STATS_ENABLED=0
"$VENV/bin/python" "$ROOT/benches/python_bench.py" all --src "$SRC" \
  --copies "${BENCH_PY_COPIES:-5}" --repeats "${BENCH_PY_REPEATS:-3}" \
  --cli "$CARGO_TARGET_DIR/release/framelens" --shared-labels "$LABELS" --out "$OUT" >/dev/null
say "wrote $OUT"
