"""threads=1 (and a pool per call) are safe after fork: a forked worker never deadlocks."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal

import pyarrow as pa

DOCS = [{"id": str(i), "text": f"Agents detained {i} migrants.\nFarm wages rose."} for i in range(300)]


def _child(model, threads, q):
    out = model.classify(pa.Table.from_pylist(DOCS), threads=threads)
    q.put(out.column("framed_fraction").to_pylist())


def test_classify_in_forked_children(model):
    # the parent scores first, on a pool of two threads, then forks
    want = model.classify(pa.Table.from_pylist(DOCS), threads=2)
    want = want.column("framed_fraction").to_pylist()
    ctx = mp.get_context("fork")
    for threads in (1, 2):
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(model, threads, q))
        p.start()
        got = q.get(timeout=120)
        p.join(timeout=120)
        assert p.exitcode == 0
        assert got == want


def test_os_fork_while_another_thread_scores(model):
    import threading

    table = pa.Table.from_pylist(DOCS * 10)
    t = threading.Thread(target=lambda: model.classify(table, threads=2))
    t.start()
    pid = os.fork()
    if pid == 0:  # the child: score with threads=1, exit 0 when done
        try:
            out = model.classify(pa.Table.from_pylist(DOCS), threads=1)
            os._exit(0 if out.num_rows == len(DOCS) else 1)
        except BaseException:
            os._exit(2)
    t.join()
    signal.alarm(120)  # a deadlocked child would hang waitpid: fail instead
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.alarm(0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
