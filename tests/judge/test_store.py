"""The SQLite call store: round trips, errors, batches, concurrent writers, WAL."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from rubricate.errors import InputError
from rubricate.judge.calls import CallError, ModelReply, ModelRequest, Usage
from rubricate.judge.store import CallStore, request_from_json

REQUEST = ModelRequest(model="m", messages=({"role": "user", "content": "q"},), seed=1)


def test_round_trip_keeps_everything(tmp_path):
    usage = Usage(input_tokens=10, cached_input_tokens=4, output_tokens=3, reasoning_tokens=2)
    reply = ModelReply(text='{"a": 1}', usage=usage, latency_s=0.5, model="m-1", attempts=2)
    with CallStore(tmp_path / "deep" / "calls.sqlite") as store:
        assert store.get("k") is None
        store.put("k", REQUEST, reply)
        got = store.get("k")
        assert store.count() == 1 and store.has("k") and store.keys() == ["k"]
    assert got == reply.model_copy(update={"cached": True, "latency_s": 0.0, "attempts": 0})


def test_embeddings_are_exact(tmp_path):
    vectors = [[0.1, -2.5e-12, 1 / 3], [1.0, 0.0, -0.0]]
    request = ModelRequest(kind="embed", model="e", inputs=("a", "b"))
    with CallStore(tmp_path / "c.sqlite") as store:
        store.put("e", request, ModelReply(embeddings=vectors))
        assert store.get("e").embeddings == vectors


def test_billed_errors_replay_and_failures_are_kept_apart(tmp_path):
    refused = ModelReply(refusal="no", error=CallError(kind="refusal", message="refused: no"))
    with CallStore(tmp_path / "c.sqlite") as store:
        store.put("r", REQUEST, refused)
        store.put_error("f", REQUEST, CallError(kind="timeout", message="slow"), attempts=7)
        assert store.get("r").error == CallError(kind="refusal", message="refused: no")
        assert store.get("f") is None and store.count() == 1
        assert store.query("SELECT key, kind, attempts FROM errors") == [("f", "timeout", 7)]
        store.put("f", REQUEST, ModelReply(text="ok"))  # a later success clears the error
        assert store.query("SELECT COUNT(*) FROM errors") == [(0,)]


def test_clear(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        store.put("a", REQUEST, ModelReply(text="x"))
        store.put_error("b", REQUEST, CallError(kind="timeout", message="t"), 1)
        assert store.clear(errors_only=True) == {"errors": 1}
        assert store.count() == 1
        assert store.clear() == {"errors": 0, "calls": 1, "batches": 0, "endpoints": 0}
        assert store.count() == 0


def test_clear_keeps_unfinished_batches(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        store.add_batch("running", "/chat/completions", "file-1", [("k1", "{}", "plain")])
        store.add_batch("done", "/chat/completions", "file-2", [("k2", "{}", "plain")])
        store.finish_batch("done", "completed")
        assert store.clear()["batches"] == 1
        assert store.open_batches() == {"running": [("k1", "{}", "plain")]}


def test_batch_bookkeeping(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        store.add_batch("batch_1", "/chat/completions", "file-1", [("k1", "{}", "plain")])
        assert store.open_batches() == {"batch_1": [("k1", "{}", "plain")]}
        store.finish_batch("batch_1", "completed")
        assert store.open_batches() == {}


def test_request_json_round_trip():
    assert request_from_json(REQUEST.canonical_json()) == REQUEST


def test_wal_and_concurrent_writers(tmp_path):
    path = tmp_path / "c.sqlite"
    stores = [CallStore(path) for _ in range(3)]  # three connections, as three processes would

    def write(store: CallStore, offset: int) -> None:
        for i in range(50):
            store.put(f"{offset}-{i}", REQUEST, ModelReply(text=str(i)))

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (150,)
    conn.close()


def test_a_new_store_opened_while_another_process_creates_it_waits(tmp_path):
    # promptfoo runs one python process per assertion, two at once, on one fresh store: the
    # second's switch to WAL met the first's open transaction and SQLite answered "database is
    # locked" at once (its busy handler is not asked for a journal-mode change); the grade
    # then failed as "not a rubricate call store" and promptfoo scored it 0 (issue 20)
    path = tmp_path / "c.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the other process, creating the schema
    other.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
    done = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    done.start()
    try:
        store = CallStore(path)
    finally:
        done.join()
        other.close()
    store.put("k", REQUEST, ModelReply(text="x"))
    assert store.get("k") is not None
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_a_store_locked_for_too_long_says_so(tmp_path, monkeypatch):
    import rubricate.judge.store as store_module

    monkeypatch.setattr(store_module, "OPEN_WAIT_S", 0.2)
    path = tmp_path / "c.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("CREATE TABLE t (a)")
    with pytest.raises(InputError, match=r"c\.sqlite: the call store is locked by another "
                       r"process \(database is locked\)"):  # fmt: skip
        CallStore(path)
    other.execute("ROLLBACK")
    other.close()


def test_a_failed_write_is_a_clear_error(tmp_path):
    class Broken:
        def execute(self, sql, *args):
            raise sqlite3.OperationalError("disk I/O error")

    store = CallStore(tmp_path / "c.sqlite")
    real, store._conn = store._conn, Broken()
    with pytest.raises(InputError, match=r"cannot write to the call store \(disk I/O error\)"):
        store.put("k", REQUEST, ModelReply(text="x"))
    store._conn = real
    store.close()
