"""Classify a JSON-lines corpus on Spark (local mode here) and write a report folder
that ``framelens trends --reports OUT`` reads: ``OUT/documents/`` (Parquet part files, or JSON
lines with ``--format json``) beside ``OUT/run.json`` and ``OUT/codebook.toml``.

    python examples/spark_classify.py ../corpus/articles.jsonl /tmp/spark-reports
    framelens trends --reports /tmp/spark-reports --by month --group source --out /tmp/trends

Usage: spark_classify.py INPUT.jsonl OUT_DIR [--master local[2]] [--model DIR] [--format parquet|json]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from pyspark.sql import SparkSession

import framelens
from framelens.spark import classify_batches, output_schema


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    ap.add_argument("--format", default="parquet", choices=["parquet", "json"])
    args = ap.parse_args()

    # local mode: the Python workers use this interpreter (the one framelens is installed in)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    spark = (
        SparkSession.builder.master(args.master)
        .appName("framelens")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    df = spark.read.json(args.input)
    keep = [c for c in ("date", "source") if c in df.columns]
    title = "title" if "title" in df.columns else None
    out = df.mapInArrow(
        classify_batches(args.model, title=title, keep=keep),
        output_schema(df.schema, args.model, title=title, keep=keep),
    )
    out.write.mode("overwrite").format(args.format).save(os.path.join(args.out, "documents"))
    # run.json + codebook.toml: the folder is then a report folder for `framelens trends`
    framelens.Model.load(args.model).run_info(args.out, started=started)
    spark.stop()


if __name__ == "__main__":
    main()
