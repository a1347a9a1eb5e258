#!/usr/bin/env bash
# End-to-end throughput, memory and training time of framelens against scikit-learn and
# fastText, on the same inputs in one run; writes eval/BENCH.md.
#
#   bash benches/throughput.sh
#
# What it does (see eval/BENCH.md for the figures of the last run):
#   1. builds framelens in release mode (and the criterion stage benches);
#   2. creates benches/.venv and pip-installs the peers (benches/peers/requirements.txt);
#   3. makes inputs of N copies of ../shared/data/allsides-immigration.jsonl (ids made unique)
#      and training sets of K labeled paragraphs (corpus/ + the shared paragraph labels);
#   4. times `framelens train` and the peers' training on each K;
#   5. times `framelens classify` (--jobs 1 and 2) and the peers on each N: whole-process wall
#      time, MB/s, documents/s, peak RSS;
#   6. records a perf profile of one classify run and the per-stage criterion benches;
#   7. renders eval/BENCH.md with ratios framelens/peer from this run.
#
# Settings (environment): BENCH_NS="1 5 20", BENCH_JOBS="1 2", BENCH_TRAIN_NS="2000 5000 10000",
# BENCH_REPEATS=3 (framelens runs per cell, median reported), BENCH_PEER_REPEATS=1,
# BENCH_PEERS=1 (0: framelens only), BENCH_PROFILE=1, BENCH_STAGES=1,
# BENCH_BASE_MODEL=DIR (also time classify with this model, as tool framelens-base: e.g. the
# previous default model, to compare a new model's speed in the same run),
# BENCH_NARRATIVES=FILE (default models/narratives/us-2012-2020.toml, 30 narratives; empty to
# skip: also time classify --jobs 2 with these narratives, as tool framelens-narratives),
# FRAMELENS_SHARED=../shared/data, BENCH_OUT=eval/BENCH.md, BENCH_KEEP=0 (1 keeps the work folder),
# BENCH_PYTHON=0 (1 also runs benches/python.sh and appends eval/BENCH-python.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${FRAMELENS_SHARED:-$ROOT/../shared/data}
NS=${BENCH_NS:-"1 5 20"}
JOBS=${BENCH_JOBS:-"1 2"}
TRAIN_NS=${BENCH_TRAIN_NS:-"2000 5000 10000"}
REPEATS=${BENCH_REPEATS:-3}
PEER_REPEATS=${BENCH_PEER_REPEATS:-1}
PEERS=${BENCH_PEERS:-1}
PROFILE=${BENCH_PROFILE:-1}
STAGES=${BENCH_STAGES:-1}
OUT_MD=${BENCH_OUT:-$ROOT/eval/BENCH.md}
NARRATIVES=${BENCH_NARRATIVES-$ROOT/models/narratives/us-2012-2020.toml}
SRC=$SHARED/allsides-immigration.jsonl
SHARED_LABELS=$SHARED/labels/allsides-paragraphs.jsonl

say() { printf '[bench] %s\n' "$*" >&2; }
[ -f "$SRC" ] || { say "missing $SRC (set FRAMELENS_SHARED to the shared data folder)"; exit 2; }
[ -f "$SHARED_LABELS" ] || { say "missing $SHARED_LABELS"; exit 2; }
command -v python3 >/dev/null || { say "python3 is required"; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/framelens-bench.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 1 ]; then say "work folder kept: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
RESULTS=$WORK/results.jsonl
LOGS=$WORK/logs
mkdir -p "$LOGS" "$WORK/out" "$WORK/base" "$WORK/narr" "$(dirname "$OUT_MD")"
UPTIME_BEFORE=$(uptime)
say "load before: $UPTIME_BEFORE"

say "building (release)"
cargo build --release --quiet
if [ "$STAGES" = 1 ]; then cargo bench --bench pipeline --no-run --quiet 2>/dev/null; fi
BIN=$ROOT/target/release/framelens
H="python3 $ROOT/benches/harness.py"
PEERS_PY=$ROOT/benches/peers/peers.py

PY=$ROOT/benches/.venv/bin/python
if [ "$PEERS" = 1 ]; then
  if [ ! -x "$PY" ]; then
    say "creating benches/.venv"
    python3 -m venv "$ROOT/benches/.venv"
  fi
  say "installing the peers into benches/.venv"
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/benches/peers/requirements.txt"
fi

# ---------------------------------------------------------------- inputs
for n in $NS; do
  python3 "$PEERS_PY" make-input --src "$SRC" --copies "$n" --out "$WORK/n$n.jsonl"
done
for k in $TRAIN_NS; do
  python3 "$PEERS_PY" make-labels --corpus "$ROOT/corpus" --shared-labels "$SHARED_LABELS" \
    --n "$k" --out "$WORK/labels-$k.jsonl" 2>"$LOGS/labels-$k.txt"
done
docs_of() { grep -c . "$1"; }

# ---------------------------------------------------------------- train
say "train"
for k in $TRAIN_NS; do
  L=$WORK/labels-$k.jsonl
  for r in $(seq "$REPEATS"); do
    sync
    $H measure --results "$RESULTS" --group train --tool framelens --n "$k" --rep "$r" \
      --log "$LOGS/train-fl-$k-$r" -- "$BIN" --quiet train --labels "$L" --out "$WORK/model-fl-$k-$r"
  done
  if [ "$PEERS" = 1 ]; then
    for r in $(seq "$PEER_REPEATS"); do
      $H measure --results "$RESULTS" --group train --tool sklearn --n "$k" --rep "$r" \
        --log "$LOGS/train-sk-$k-$r" -- "$PY" "$PEERS_PY" train-sklearn --labels "$L" --model "$WORK/sk-$k.pkl"
      $H measure --results "$RESULTS" --group train --tool fasttext --n "$k" --rep "$r" \
        --log "$LOGS/train-ft-$k-$r" -- "$PY" "$PEERS_PY" train-fasttext --labels "$L" --model "$WORK/ft-$k.bin"
    done
  fi
done
KMAX=$(printf '%s\n' $TRAIN_NS | sort -n | tail -1)

# ---------------------------------------------------------------- classify
say "classify"
for n in $NS; do
  IN=$WORK/n$n.jsonl
  D=$(docs_of "$IN")
  for r in $(seq "$REPEATS"); do
    for j in $JOBS; do
      sync
      $H measure --results "$RESULTS" --group classify --tool framelens --n "$n" --jobs "$j" --rep "$r" \
        --input "$IN" --docs "$D" --log "$LOGS/fl-$n-$j-$r" -- \
        "$BIN" classify "$IN" --out "$WORK/out/fl-$n-j$j-r$r" --jobs "$j" --quiet
      if [ -n "$NARRATIVES" ] && [ "$j" = 2 ]; then
        sync
        $H measure --results "$RESULTS" --group classify --tool framelens-narratives --n "$n" --jobs "$j" --rep "$r" \
          --input "$IN" --docs "$D" --log "$LOGS/narr-$n-$j-$r" -- \
          "$BIN" classify "$IN" --narratives "$NARRATIVES" --out "$WORK/narr/n-$n-j$j-r$r" --jobs "$j" --quiet
      fi
      if [ -n "${BENCH_BASE_MODEL:-}" ]; then
        sync
        $H measure --results "$RESULTS" --group classify --tool framelens-base --n "$n" --jobs "$j" --rep "$r" \
          --input "$IN" --docs "$D" --log "$LOGS/base-$n-$j-$r" -- \
          "$BIN" classify "$IN" --model "$BENCH_BASE_MODEL" --out "$WORK/base/b-$n-j$j-r$r" --jobs "$j" --quiet
      fi
    done
  done
  if [ "$PEERS" = 1 ]; then
    for r in $(seq "$PEER_REPEATS"); do
      for t in sklearn-loop sklearn-batch fasttext; do
        case $t in fasttext) M=$WORK/ft-$KMAX.bin ;; *) M=$WORK/sk-$KMAX.pkl ;; esac
        sync
        $H measure --results "$RESULTS" --group classify --tool "$t" --n "$n" --rep "$r" \
          --input "$IN" --docs "$D" --log "$LOGS/$t-$n-$r" -- \
          "$PY" "$PEERS_PY" "classify-$t" --model "$M" --input "$IN" --out "$WORK/out/$t-$n-$r.jsonl"
      done
    done
  fi
done

# outputs must not depend on --jobs or on the repetition
IDENT="documents.jsonl, summary.csv, summary.md and report.html are byte-identical across --jobs and repetitions for every N"
for n in $NS; do
  ref=""
  for d in "$WORK"/out/fl-"$n"-j*-r*; do
    if [ -z "$ref" ]; then ref=$d; continue; fi
    for f in documents.jsonl summary.csv summary.md; do
      cmp -s "$ref/$f" "$d/$f" || IDENT="DIFFERENT: $ref/$f vs $d/$f"
    done
    cmp -s "$ref/report.html" "$d/report.html" || IDENT="DIFFERENT: $ref/report.html vs $d/report.html"
    if [ -d "$ref/docs" ]; then diff -rq "$ref/docs" "$d/docs" >/dev/null || IDENT="DIFFERENT: $ref/docs vs $d/docs"; fi
  done
done
say "$IDENT"

# ---------------------------------------------------------------- profile and stages
PROFILE_TXT=$WORK/profile.txt
PROFILE_NOTE=""
NPROF=$(printf '%s\n' $NS | sort -n | sed -n 2p); NPROF=${NPROF:-$(printf '%s\n' $NS | head -1)}
if [ "$PROFILE" = 1 ]; then
  if command -v perf >/dev/null && perf record -q -o "$WORK/perf-probe.data" true 2>/dev/null; then
    say "profiling classify N=$NPROF --jobs 2 with perf"
    perf record -q -F 999 -g -o "$WORK/perf.data" "$BIN" classify "$WORK/n$NPROF.jsonl" \
      --out "$WORK/out/profile" --jobs 2 --quiet 2>/dev/null
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --percent-limit 0.8 --stdio -g none 2>/dev/null \
      | grep -E '^ +[0-9]' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | head -40 >"$PROFILE_TXT" || true
    PROFILE_NOTE="\`perf record -F 999 -g\` of \`framelens classify\` on N=$NPROF with --jobs 2; self time per symbol (all threads, kernel included), symbols above 0.8%:"
  else
    say "perf is not usable here: no profile"
  fi
fi
STAGES_JSON=$WORK/stages.json
if [ "$STAGES" = 1 ]; then
  say "criterion stage benches"
  CRITERION_HOME=$WORK/criterion cargo bench --bench pipeline --quiet >"$LOGS/criterion.txt" 2>&1
  $H stages --criterion "$WORK/criterion" --out "$STAGES_JSON"
fi

UPTIME_AFTER=$(uptime)
say "load after: $UPTIME_AFTER"

# ---------------------------------------------------------------- report
export WORK ROOT BIN PY REPEATS PEER_REPEATS UPTIME_BEFORE UPTIME_AFTER IDENT PROFILE_NOTE NS TRAIN_NS
python3 - "$WORK/meta.json" <<'EOF'
import json, os, platform, subprocess, sys, time
def sh(*c):
    try:
        return subprocess.run(c, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"
root = os.environ["ROOT"]
py = os.environ["PY"]
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
mem = sh("sh", "-c", "free -h | awk '/Mem:/ {print $2}'")
peer_versions = sh(py, "-c", "import sklearn, numpy, scipy, importlib.metadata as m; print(f'scikit-learn {sklearn.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, fasttext-numpy2-wheel {m.version(\"fasttext-numpy2-wheel\")}')") if os.path.exists(py) else "not installed"
dirty = sh("git", "-C", root, "status", "--porcelain", "--untracked-files=no")
labels_info = []
for k in os.environ["TRAIN_NS"].split():
    try:
        labels_info.append(f"{k}: " + open(os.path.join(os.environ["WORK"], "logs", f"labels-{k}.txt")).read().strip())
    except OSError:
        pass
meta = {
    "command": "bash benches/throughput.sh",
    "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    "nproc": os.cpu_count(),
    "cpu": cpu,
    "mem": mem,
    "uptime_before": os.environ["UPTIME_BEFORE"].strip(),
    "uptime_after": os.environ["UPTIME_AFTER"].strip(),
    "framelens_version": sh(os.environ["BIN"], "--version"),
    "commit": sh("git", "-C", root, "rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty and dirty != "unknown" else ""),
    "rustc": sh("rustc", "--version"),
    "python": platform.python_version(),
    "peer_versions": peer_versions,
    "fs": sh("sh", "-c", f"stat -f -c %T {os.environ['WORK']}") + " (" + sh("sh", "-c", f"df -P {os.environ['WORK']} | awk 'NR==2 {{print $1}}'") + ")",
    "repeats": int(os.environ["REPEATS"]),
    "peer_repeats": int(os.environ["PEER_REPEATS"]),
    "identical": os.environ["IDENT"],
    "profile_note": os.environ.get("PROFILE_NOTE", ""),
    "subst": {"$WORK": os.environ["WORK"], "$BIN": os.environ["BIN"], "$PY": py, "benches/peers/peers.py": os.path.join(root, "benches/peers/peers.py")},
    "setup": [
        "cargo build --release",
        "python3 -m venv benches/.venv && $PY -m pip install -r benches/peers/requirements.txt",
    ] + [f"python3 benches/peers/peers.py make-input --src ../shared/data/allsides-immigration.jsonl --copies {n} --out $WORK/n{n}.jsonl" for n in os.environ["NS"].split()]
      + [f"python3 benches/peers/peers.py make-labels --corpus corpus --shared-labels ../shared/data/labels/allsides-paragraphs.jsonl --n {k} --out $WORK/labels-{k}.jsonl" for k in os.environ["TRAIN_NS"].split()],
    "notes": [
        "Peers: scikit-learn `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=20000)` + `LogisticRegression()` (lbfgs, multinomial, default C and max_iter); fastText `train_supervised(wordNgrams=2, epoch=25, lr=0.5, dim=50, bucket=200000, thread=cores)` on lowercased text with punctuation split off. Both are trained on the largest training set of this run and loaded by each classify run (load time included, as framelens loads `models/default`).",
        "The peers do less than framelens: they write one JSON line per document (shares, framed fraction, dominant frame, paragraph scores; sorted by id through sorted runs, as framelens does) but no evidence, terms, docs/*.md, summary.csv/md or run.json, and no fsync. Their length weights are whitespace word counts. So the ratios flatter the peers.",
        "`sklearn-loop` transforms and scores one article at a time; `sklearn-batch` vectorises and scores all paragraphs of 2,000 articles per call. Both are single Python processes: scikit-learn has no parallel transform; numpy's BLAS may use both cores in `predict_proba`.",
        "framelens `--jobs N` sets the worker threads that classify; in both settings a reader thread parses the next chunk and a writer thread (with one Markdown writer per core) writes the previous one, so `--jobs 1` already keeps more than one core busy; the final merge runs on the main thread.",
        "Training sets: " + "; ".join(labels_info) + ". Only 9,244 distinct labeled paragraphs exist, so the 10,000 set reuses some documents under new ids (timing needs the row count, not new text).",
        "Each framelens run writes into a new folder (nothing is deleted between runs): on a file system without a journal, ext4 scans recently deleted inodes when it allocates new ones, so deleting the previous run's 30,000 files right before a run would slow file creation in that run.",
    ],
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
$H report --results "$RESULTS" --meta "$WORK/meta.json" --stages "$STAGES_JSON" --profile "$PROFILE_TXT" --out "$OUT_MD"
say "wrote $OUT_MD"
if [ "${BENCH_PYTHON:-0}" = 1 ]; then
  say "Python package, Spark and Ray: benches/python.sh"
  bash "$ROOT/benches/python.sh"
  { printf '\n'; cat "$ROOT/eval/BENCH-python.md"; } >>"$OUT_MD"
fi
