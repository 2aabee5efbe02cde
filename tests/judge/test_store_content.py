"""The call store's schema 2: requests content-addressed and compressed, schema-1 stores
migrated in place, group commits (:meth:`CallStore.apply`, :class:`StoreWriter`)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3

import pytest

from rubricate.errors import InputError
from rubricate.judge import store_writer
from rubricate.judge.calls import CallError, ModelReply, ModelRequest
from rubricate.judge.store import SCHEMA_VERSION, CallStore, Op
from rubricate.judge.store_writer import StoreWriter

PROMPT = "You grade one answer against one criterion. " * 400  # ~18 kB, like a judge prompt
REQUEST = ModelRequest(model="m", messages=({"role": "user", "content": PROMPT},), seed=1)

SCHEMA_1 = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE calls (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL,
    text TEXT, refusal TEXT, embeddings BLOB, dims INTEGER,
    input_tokens INTEGER NOT NULL DEFAULT 0, cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0, reply_model TEXT, attempts INTEGER NOT NULL DEFAULT 1,
    error_kind TEXT, error_message TEXT, mode TEXT, batch_id TEXT, created_at REAL NOT NULL
);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def test_the_key_is_the_documented_hash_and_a_copy_is_hashed_anew():
    text = json.dumps(REQUEST.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    assert REQUEST.canonical_json() == text
    assert REQUEST.sha256() == hashlib.sha256(text.encode()).hexdigest()
    for repeat in (0, 3):
        expected = hashlib.sha256(f"{text}#repeat={repeat}".encode()).hexdigest()
        assert REQUEST.key(repeat) == expected
    other = REQUEST.model_copy(update={"seed": 2})
    assert other.key(0) != REQUEST.key(0) and '"seed":2' in other.canonical_json()
    assert other == ModelRequest(model="m", messages=REQUEST.messages, seed=2)


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
"""The first four bytes of a Zstandard frame (RFC 8878, section 3.1.1)."""


def test_requests_are_stored_as_zstandard_frames(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        store.put(REQUEST.key(0), REQUEST, ModelReply(text="0"))
        ((data,),) = store.query("SELECT data FROM blobs")
        assert data[:4] == ZSTD_MAGIC
        assert store.request_json(REQUEST.key(0)) == REQUEST.canonical_json()


def test_a_zlib_blob_of_an_older_store_still_reads(tmp_path):
    import zlib

    with CallStore(tmp_path / "c.sqlite") as store:
        store.put(REQUEST.key(0), REQUEST, ModelReply(text="0"))
    conn = sqlite3.connect(tmp_path / "c.sqlite")  # as rubricate wrote it before 2026-12-07
    raw = REQUEST.canonical_json().encode("utf-8")
    conn.execute("UPDATE blobs SET data = ?", (zlib.compress(raw, 1),))
    conn.commit()
    conn.close()
    with CallStore(tmp_path / "c.sqlite") as store:
        assert store.request_json(REQUEST.key(0)) == REQUEST.canonical_json()


def test_repeats_share_one_compressed_copy_of_their_request(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        for repeat in range(5):
            store.put(REQUEST.key(repeat), REQUEST, ModelReply(text=str(repeat)))
        assert store.count() == 5 and store.blob_count() == 1
        (size,) = store.query("SELECT length(data) FROM blobs")[0]
        assert size < len(REQUEST.canonical_json()) / 5
        assert store.request_json(REQUEST.key(4)) == REQUEST.canonical_json()
        assert store.request_json("missing") is None
    with CallStore(tmp_path / "c.sqlite") as reopened:  # another process: stored once too
        reopened.put(REQUEST.key(9), REQUEST, ModelReply(text="9"))
        assert reopened.blob_count() == 1 and reopened.get(REQUEST.key(9)).text == "9"


def test_a_schema_1_store_is_migrated_and_its_rows_still_read(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_1)
    conn.execute(
        "INSERT INTO calls (key, kind, model, request, text, created_at) VALUES (?,?,?,?,?,?)",
        ("old", "generate", "m", REQUEST.canonical_json(), "kept", 1.0),
    )
    conn.commit()
    conn.close()
    with CallStore(path) as store:
        assert store.get("old").text == "kept" and store.get("old").cached
        assert store.request_json("old") == REQUEST.canonical_json()
        store.put("new", REQUEST, ModelReply(text="fresh"))
        assert store.get("new").text == "fresh" and store.request_json("new") == (
            REQUEST.canonical_json()
        )
        assert store.query("SELECT value FROM meta WHERE name = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
    with CallStore(path) as again:  # opening a migrated store again changes nothing
        assert again.count() == 2


def test_one_transaction_claims_answers_and_ends_claims(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        first = store.apply([Op("claim", "k", owner="a:1"), Op("claim", "j", owner="a:1")])
        assert first == [(None, None), (None, None)]
        assert store.apply([Op("claim", "k", owner="b:2")]) == [("a:1", None)]
        store.apply([Op("put", "k", REQUEST, ModelReply(text="x"), owner="a:1"),
                     Op("error", "j", REQUEST, owner="a:1",
                        error=CallError(kind="timeout", message="slow"), attempts=2)])  # fmt: skip
        assert store.query("SELECT COUNT(*) FROM claims") == [(0,)]
        (holder, stored) = store.apply([Op("claim", "k", owner="b:2")])[0]
        assert holder is None and stored is not None and stored.text == "x"
        assert store.query("SELECT key, attempts FROM errors") == [("j", 2)]


def _plain(result: object) -> object:
    """A claim's ``(holder, stored reply)`` with the reply as its text; other results as is."""
    if isinstance(result, tuple):
        holder, stored = result
        return holder, stored.text if stored is not None else None
    return result


def test_a_group_of_distinct_keys_gives_what_one_op_at_a_time_gives(tmp_path):
    """Claims and answers of distinct keys run as set operations (CallStore._apply_all); the
    results and the rows left are those of running the ops one by one, in order."""

    def setup(store: CallStore) -> None:
        store.put("stored", REQUEST, ModelReply(text="kept"))
        store.apply([Op("claim", "theirs", owner="b:2"), Op("claim", "mine", owner="a:1"),
                     Op("claim", "paid", owner="a:1")])  # fmt: skip

    group = [
        Op("claim", "new", owner="a:1"),
        Op("put", "paid", REQUEST, ModelReply(text="answer"), mode="chat", owner="a:1"),
        Op("claim", "stored", owner="a:1"),
        Op("claim", "theirs", owner="a:1"),
        Op("error", "failed", REQUEST, owner=None, error=CallError(kind="timeout", message="x")),
        Op("claim", "mine", owner="a:1"),
        Op("put", "other", REQUEST, ModelReply(text="b"), mode="chat", owner=None),
        Op("release", "gone", owner="a:1"),
    ]
    outcomes = []
    for name, one_by_one in (("grouped", False), ("sequential", True)):
        with CallStore(tmp_path / f"{name}.sqlite") as store:
            setup(store)
            if one_by_one:
                results = [store.apply([op])[0] for op in group]
            else:
                results = store.apply(group)
            rows = [store.query(f"SELECT * FROM {table} ORDER BY 1")
                    for table in ("claims", "errors")]  # fmt: skip
            answers = {k: store.get(k).text for k in store.keys()}  # type: ignore[union-attr]
        plain = [_plain(result) for result in results]
        claims = [(key, owner) for key, owner, _ in rows[0]]
        errors = [(row[0], row[2]) for row in rows[1]]
        outcomes.append((plain, claims, errors, answers))
    assert outcomes[0] == outcomes[1]
    plain, claims, _, answers = outcomes[0]
    assert plain[0] == (None, None) and plain[2] == (None, "kept") and plain[3] == ("b:2", None)
    assert plain[5] == (None, None)  # already ours
    assert claims == [("mine", "a:1"), ("new", "a:1"), ("theirs", "b:2")]
    assert answers == {"stored": "kept", "paid": "answer", "other": "b"}


def test_the_writer_groups_commits_and_each_answer_is_on_disk_when_put_returns(tmp_path):
    path = tmp_path / "c.sqlite"
    store = CallStore(path)
    requests = [ModelRequest(model="m", messages=({"role": "user", "content": f"q{i}"},))
                for i in range(40)]  # fmt: skip
    seen_on_disk: list[bool] = []

    async def one(writer: StoreWriter, request: ModelRequest) -> None:
        key = request.key(0)
        assert await writer.claim(key, "me:1") == (None, None)
        await writer.put(key, request, ModelReply(text="ok"), mode="chat", owner="me:1")
        reader = sqlite3.connect(path)
        try:  # another connection, as a process killed right now would leave it
            seen_on_disk.append(
                reader.execute("SELECT 1 FROM calls WHERE key = ?", (key,)).fetchone() is not None
            )
        finally:
            reader.close()

    async def main() -> StoreWriter:
        writer = StoreWriter(store)
        await asyncio.gather(*(one(writer, r) for r in requests))
        await writer.aclose()
        return writer

    writer = asyncio.run(main())
    assert seen_on_disk == [True] * 40
    assert writer.writes == 80 and writer.commits < writer.writes
    assert store.count() == 40 and store.query("SELECT COUNT(*) FROM claims") == [(0,)]
    store.close()


def test_a_write_to_an_idle_writer_commits_at_once_and_a_busy_one_collects_a_group(
    tmp_path, monkeypatch
):
    """Writes arriving while the last group committed under GROUP_S ago wait GROUP_S to go
    together (fewer commits and wake-ups at 64 calls in flight); a write after a quiet spell
    (a reward server between requests) is not held back at all."""
    monkeypatch.setattr(store_writer, "GROUP_S", 0.2)  # a loaded machine's stalls are shorter
    store = CallStore(tmp_path / "c.sqlite")
    delays: list[float] = []

    async def queued_delay(writer: StoreWriter, key: str) -> float:
        loop = asyncio.get_running_loop()
        waiting = asyncio.ensure_future(
            writer.put(key, REQUEST, ModelReply(text=key), mode="chat", owner=None)
        )
        await asyncio.sleep(0)  # queued, its group's timer set
        assert writer._timer is not None
        delay = writer._timer.when() - loop.time()
        await waiting
        return delay

    async def main() -> None:
        writer = StoreWriter(store)
        delays.append(await queued_delay(writer, "first"))
        delays.append(await queued_delay(writer, "right after"))
        await asyncio.sleep(store_writer.GROUP_S * 3)  # quiet
        delays.append(await queued_delay(writer, "after a quiet spell"))
        await writer.aclose()

    asyncio.run(main())
    first, busy, idle = delays
    assert first <= 0 and idle <= 0
    assert busy > store_writer.GROUP_S / 2
    keys = ("first", "right after", "after a quiet spell")
    assert [store.get(k).text for k in keys] == list(keys)
    store.close()


def test_a_write_whose_caller_was_cancelled_is_still_committed(tmp_path):
    """An answer that was paid for is kept even when the grade waiting for it is cancelled
    (the run stopping at the first fatal error) before its group commits."""
    store = CallStore(tmp_path / "c.sqlite")

    async def main() -> None:
        writer = StoreWriter(store)
        await writer.put("first", REQUEST, ModelReply(text="ok"), mode="chat", owner=None)
        waiting = asyncio.ensure_future(
            writer.put("paid", REQUEST, ModelReply(text="kept"), mode="chat", owner=None)
        )
        await asyncio.sleep(0)  # queued, its group not yet committed
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await writer.aclose()

    asyncio.run(main())
    stored = store.get("paid")
    assert stored is not None and stored.text == "kept"
    store.close()


def test_clear_drops_the_stored_requests_too(tmp_path):
    with CallStore(tmp_path / "c.sqlite") as store:
        store.put(REQUEST.key(0), REQUEST, ModelReply(text="x"))
        store.clear()
        assert store.blob_count() == 0
        store.put(REQUEST.key(0), REQUEST, ModelReply(text="y"))  # stored again, not assumed
        assert store.blob_count() == 1 and store.request_json(REQUEST.key(0))


def test_a_failed_group_commit_is_a_clear_error_for_every_caller(tmp_path):
    class Broken:
        def execute(self, sql, *args):
            raise sqlite3.OperationalError("disk I/O error")

        executemany = execute

    store = CallStore(tmp_path / "c.sqlite")
    real, store._conn = store._conn, Broken()

    async def main() -> None:
        writer = StoreWriter(store)
        with pytest.raises(InputError, match=r"cannot write to the call store"):
            await writer.put("k", REQUEST, ModelReply(text="x"), mode="chat", owner=None)
        await writer.aclose()

    asyncio.run(main())
    store._conn = real
    store.close()
