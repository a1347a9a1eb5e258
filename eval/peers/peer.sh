#!/usr/bin/env bash
# Run the scikit-learn peer (eval/peers/sklearn_peer.py) in its own virtual environment,
# creating it with pip on first use. A measuring tool only: framelens never needs Python.
#   eval/peers/peer.sh cv|eval|score [options]   (see sklearn_peer.py --help)
#   eval/peers/peer.sh results --runs eval/runs --out eval/RESULTS.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "peer: creating $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt" >&2
    echo "$want" > "$stamp"
fi
if [[ "${1:-}" == "results" ]]; then
    shift
    exec "$venv/bin/python" "$here/results.py" "$@"
fi
exec "$venv/bin/python" "$here/sklearn_peer.py" "$@"
