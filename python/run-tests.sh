#!/usr/bin/env bash
# The Python package's tests (issue 15): a venv in python/.venv with the pinned test
# requirements, the wheel built in release mode against the repository's target/ (so the
# dependencies compiled by `cargo test --release` are reused), the CLI the equality tests
# compare with, then pytest. Skips (exit 0, with the reason) only when python3 or its venv
# module is missing.
#
#   bash python/run-tests.sh [pytest args]
#
# Environment: FRAMELENS_VENV (default python/.venv), CARGO_TARGET_DIR (default target/).
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd .. && pwd)
say() { printf '[python] %s\n' "$*" >&2; }
T0=$(date +%s)

if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP python tests: python3 is not installed"
  exit 0
fi
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  echo "SKIP python tests: python3 has no venv/ensurepip module (apt-get install python3-venv)"
  exit 0
fi

VENV=${FRAMELENS_VENV:-$HERE/.venv}
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  python3 -m venv "$VENV"
fi
say "installing the test requirements"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
say "building the CLI (release)"
(cd "$ROOT" && cargo build --release --quiet --bin framelens)
say "building the wheel (release) into $VENV"
VIRTUAL_ENV=$VENV PATH="$VENV/bin:$PATH" maturin develop --release 1>&2
T1=$(date +%s)
say "set-up took $((T1 - T0)) s; running pytest"
# ray and Spark would otherwise use the machine-wide Python for their workers
export PYSPARK_PYTHON=$VENV/bin/python RAY_USAGE_STATS_ENABLED=0
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
say "python tests took $(($(date +%s) - T0)) s in all"
