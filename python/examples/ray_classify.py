"""Classify a JSON-lines corpus with Ray Data (a local cluster here) and write a report folder
that ``framelens trends --reports OUT`` reads: ``OUT/documents/`` (Parquet part files, or JSON
lines with ``--format json``) beside ``OUT/run.json`` and ``OUT/codebook.toml``.

    python examples/ray_classify.py ../corpus/articles.jsonl /tmp/ray-reports
    framelens trends --reports /tmp/ray-reports --by month --group source --out /tmp/trends

Usage: ray_classify.py INPUT.jsonl OUT_DIR [--model DIR] [--concurrency 2] [--format parquet|json]
"""

from __future__ import annotations

import argparse
import os
import time

import pyarrow as pa
import pyarrow.json as pajson
import ray

import framelens
from framelens.ray import Classifier


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--format", default="parquet", choices=["parquet", "json"])
    args = ap.parse_args()

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # one logical CPU more than the actors take, for the read tasks
    ray.init(num_cpus=args.concurrency + 1, include_dashboard=False, log_to_driver=False)
    # dates as written (pyarrow would otherwise turn "2022-06-14" into a timestamp)
    dates_as_text = pajson.ParseOptions(explicit_schema=pa.schema([("date", pa.string())]))
    ds = ray.data.read_json(args.input, parse_options=dates_as_text)
    cols = ds.schema().names
    keep = [c for c in ("date", "source") if c in cols]
    title = "title" if "title" in cols else None
    out = ds.map_batches(
        Classifier,
        fn_constructor_kwargs={"model": args.model, "title": title, "keep": keep},
        batch_format="pyarrow",
        concurrency=args.concurrency,
    )
    if args.format == "parquet":
        out.write_parquet(os.path.join(args.out, "documents"))
    else:
        out.write_json(os.path.join(args.out, "documents"))
    framelens.Model.load(args.model).run_info(args.out, started=started)
    ray.shutdown()


if __name__ == "__main__":
    main()
