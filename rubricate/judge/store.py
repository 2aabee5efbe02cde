"""The call store: every model call in SQLite, so reruns replay and killed runs resume.

One row per call, keyed by ``ModelRequest.key(repeat)``. A reply is committed before the
client hands it to its caller, so whatever a run used is on disk, and a run killed at any
moment (SIGKILL included) loses at most calls whose answers it never saw.

- WAL journal, ``synchronous=NORMAL``: a commit survives the process being killed (it is in
  the OS before ``COMMIT`` returns); after a power loss the last commits may roll back, but the
  file is never corrupt. ``busy_timeout`` lets several processes share one store.
- One connection per store object, guarded by a lock, so threads may share it.
- Stored: the answers of calls that got one, including refusals and truncated replies (those
  are answers the endpoint billed; they replay with their error). Calls that failed (HTTP
  errors, timeouts after every retry) are *not* stored as answers; their last error is kept in
  ``errors`` for ``rubricate cache stats`` and is cleared when the call later succeeds.
- Batch bookkeeping: submitted batch ids and the keys in each, so an interrupted batch run
  re-attaches instead of submitting again. A batch is recorded *before* ``batches.create`` under
  an intent id (``intent:<hex>``, also sent as the batch's metadata ``rubricate_intent``) and
  renamed to the provider's id once created; a run killed between the two finds the provider's
  batch by that metadata on resume instead of paying for a second one
  (:mod:`rubricate.judge.batch`).
- Claims: a process about to make a live call first claims its key (``claims``: key, owner
  ``host:pid``, time); another process asking for the same key waits for that answer instead
  of paying for it again, and takes the claim over only when its owner is gone (a killed
  process: its calls in flight are counted as *orphaned*, possibly paid with no answer kept).
- Requests are stored content-addressed and compressed (schema 2): ``blobs`` maps the SHA-256
  of a request's canonical JSON (:meth:`ModelRequest.sha256`) to its compressed bytes, and a
  call row names it in ``request_sha``; the repeats of a request (and any rerun) share one
  copy. A store of schema 1 (the request's JSON in ``calls.request``) is migrated in place on
  open by adding the column and the table: its old rows keep their JSON and still read
  (:meth:`CallStore.request_json`); no row is rewritten.
- Compression: Zstandard at level 1 (:data:`COMPRESS_LEVEL`; the standard library's
  ``compression.zstd`` from Python 3.14, its backport ``backports.zstd`` before). On this
  project's 2-core machine a 12.8 kB accordance judge prompt takes 44 us and 5.1 kB; zlib at
  level 1, which stores before 2026-12-07 used, took 173 us and 5.3 kB (measured on 300 of
  them). It runs in the writer thread once per distinct request: for ``grade`` and ``serve``,
  where every call is a new request, that was ~0.17 ms of CPU per call. A blob is read by its
  first bytes (a Zstandard frame's magic number, else zlib), so older stores still read.
- Group commit: :meth:`CallStore.apply` runs many writes (claims, answers, errors, releases)
  in one transaction; :mod:`rubricate.judge.store_writer` gathers the writes of concurrent
  calls and commits them together in a thread, off the event loop, and a call's answer is
  handed back only once its transaction has committed. Reads (:meth:`CallStore.get`) use a
  second connection, so they never wait for a write in progress (WAL readers do not block).
- Endpoint profiles: what the client learned an endpoint accepts for a model
  (:class:`~rubricate.judge.endpoint.Profile`, as JSON, per base URL and model), so a later
  run against the same endpoint starts from it instead of probing again; ``rubricate cache
  clear`` forgets them with the answers. A table added to any store on open (no migration).
- Never stored: API keys or headers. Error bodies pass through :func:`retry.redact`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricate.errors import InputError
from rubricate.judge.calls import CallError, ModelReply, ModelRequest, Usage

SCHEMA_VERSION = 2
"""1: the request's JSON in every call row; 2: requests content-addressed in ``blobs``."""
OPEN_WAIT_S = 30.0
"""How long opening waits for another process that holds the store (creating it, writing)."""
COMPRESS_LEVEL = 1
"""Zstandard level 1 (see the module docstring; level 3: 30 % more time, 3 % smaller)."""

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
"""The first four bytes of a Zstandard frame (RFC 8878, 3.1.1); a zlib stream starts 0x78."""


@functools.cache
def _zstd() -> Any:
    """The Zstandard module: ``compression.zstd`` (Python 3.14+) or its backport."""
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef,unused-ignore]
    return zstd


def compress(data: bytes) -> bytes:
    """``data`` as one Zstandard frame, at :data:`COMPRESS_LEVEL`."""
    return bytes(_zstd().compress(data, level=COMPRESS_LEVEL))


def decompress(blob: bytes) -> bytes:
    """A stored blob's bytes: a Zstandard frame, or zlib (stores written before 2026-12-07)."""
    if blob[:4] == _ZSTD_MAGIC:
        return bytes(_zstd().decompress(blob))
    return zlib.decompress(blob)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    text TEXT,
    refusal TEXT,
    embeddings BLOB,
    dims INTEGER,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0,
    reply_model TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    error_kind TEXT,
    error_message TEXT,
    mode TEXT,
    batch_id TEXT,
    created_at REAL NOT NULL,
    request_sha TEXT
);
CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS errors (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    status_code INTEGER,
    body TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    input_file_id TEXT,
    status TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS batch_keys (
    batch_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (batch_id, key)
);
CREATE INDEX IF NOT EXISTS batch_keys_by_key ON batch_keys (key);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    claimed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    profile TEXT NOT NULL,
    saved_at REAL NOT NULL,
    PRIMARY KEY (base_url, model)
);
"""

INTENT_PREFIX = "intent:"
"""Batch ids recorded before ``batches.create`` answered (see the module docstring)."""

_REPLY_COLUMNS = (
    "text, refusal, embeddings, dims, input_tokens, cached_input_tokens, output_tokens, "
    "reasoning_tokens, reply_model, error_kind, error_message"
)


_CALL_ROW = "INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

_IN_CHUNK = 500
"""Keys per ``IN (...)`` look-up (SQLite before 3.32 allows 999 parameters)."""


def _in_chunks(keys: list[str]) -> Iterator[tuple[list[str], str]]:
    """``keys`` in chunks of :data:`_IN_CHUNK`, each with its ``?,?,...`` placeholders."""
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


_committed_in_process = 0


def committed_in_process() -> int:
    """Answers committed to any call store by this process (what an interrupt keeps)."""
    return _committed_in_process


def _pack(vectors: list[list[float]] | None) -> tuple[bytes | None, int | None]:
    if not vectors:
        return None, None
    dims = len(vectors[0])
    flat = array("d")
    for vector in vectors:
        flat.extend(vector)
    return flat.tobytes(), dims


def _unpack(blob: bytes | None, dims: int | None) -> list[list[float]] | None:
    if blob is None or not dims:
        return None
    flat = array("d")
    flat.frombytes(blob)
    values = flat.tolist()
    return [values[i : i + dims] for i in range(0, len(values), dims)]


@dataclass(frozen=True)
class Op:
    """One write of a group commit (:meth:`CallStore.apply`).

    ``kind``: ``claim`` (result ``(holder, stored)``: the stored answer if there is one, else
    the key is claimed for ``owner`` unless another owner holds it, named in ``holder``),
    ``put`` (store ``reply`` to ``request``), ``error`` (keep a failed call's last error) or
    ``release``. ``put``, ``error`` and ``release`` drop ``owner``'s claim on the key in the
    same transaction when ``owner`` is given. ``endpoint`` keeps ``profile`` (JSON) as what
    the endpoint at base URL ``key`` accepts for ``model``.
    """

    kind: str
    key: str
    request: ModelRequest | None = None
    reply: ModelReply | None = None
    mode: str | None = None
    owner: str | None = None
    error: CallError | None = None
    attempts: int = 0
    model: str | None = None
    profile: str | None = None


def _reply_of(row: tuple[Any, ...]) -> ModelReply:
    (text, refusal, blob, dims, inp, cached, out, reasoning, model, ekind, emsg) = row
    error = CallError(kind=ekind, message=emsg or ekind) if ekind else None
    return ModelReply(
        text=text,
        refusal=refusal,
        embeddings=_unpack(blob, dims),
        usage=Usage(
            input_tokens=inp,
            cached_input_tokens=cached,
            output_tokens=out,
            reasoning_tokens=reasoning,
        ),
        cached=True,
        model=model,
        error=error,
    )


def _call_row(
    key: str,
    request: ModelRequest,
    reply: ModelReply,
    mode: str | None,
    batch_id: str | None,
    request_json: str | None,
) -> tuple[Any, ...]:
    blob, dims = _pack(reply.embeddings)
    error = reply.error
    return (
        key,
        request.kind,
        request.model,
        request_json if request_json is not None else "",
        reply.text,
        reply.refusal,
        blob,
        dims,
        reply.usage.input_tokens,
        reply.usage.cached_input_tokens,
        reply.usage.output_tokens,
        reply.usage.reasoning_tokens,
        reply.latency_s,
        reply.model,
        reply.attempts,
        error.kind if error else None,
        error.message if error else None,
        mode,
        batch_id,
        time.time(),
        None if request_json is not None else request.sha256(),
    )


def _error_row(key: str, request: ModelRequest, error: CallError, attempts: int) -> tuple[Any, ...]:
    return (key, request.model, error.kind, error.message, error.status_code, error.body,
            attempts, time.time())  # fmt: skip


def _when_unlocked(path: Path, step: Any) -> None:
    """Run ``step``, again while SQLite says the database is locked or busy (another process
    holds it), for up to :data:`OPEN_WAIT_S`; then one line saying so."""
    deadline = time.monotonic() + OPEN_WAIT_S
    pause = 0.005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as error:
            text = str(error)
            if "locked" not in text and "busy" not in text:
                raise
            if time.monotonic() + pause > deadline:
                raise InputError(
                    f"{path}: the call store is locked by another process ({text}); wait for "
                    "it to finish, or pass another --store PATH"
                ) from None
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class CallStore:
    """A SQLite call store at ``path`` (created, with its folder, when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(self.path), timeout=30.0, check_same_thread=False, isolation_level=None
            )
        except (OSError, sqlite3.Error) as error:
            raise InputError(
                f"{self.path}: cannot open the call store ({error}); pass --store PATH"
            ) from None
        try:
            _when_unlocked(self.path, self._open_writer)
            self._reader = sqlite3.connect(
                str(self.path), timeout=30.0, check_same_thread=False, isolation_level=None
            )
            self._reader.execute("PRAGMA busy_timeout = 30000")
        except sqlite3.DatabaseError as error:
            self._conn.close()
            raise InputError(
                f"{self.path}: not a rubricate call store ({error}); pass another --store PATH"
            ) from None
        self._read_lock = threading.Lock()
        self._blobs_known: set[str] = set()
        """Request hashes this object stored or saw stored (not compressed again)."""

    def _open_writer(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(OPEN_WAIT_S * 1000)}")
        # SQLite does not ask the busy handler before a journal-mode change: a store another
        # process is creating answers "database is locked" at once (_when_unlocked retries)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()
        conn.execute("PRAGMA busy_timeout = 30000")

    def _migrate(self) -> None:
        """Create the tables, or bring a schema-1 store to schema 2 (see the module docstring)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            old = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'calls'"
            ).fetchone()
            if old is not None:
                columns = {row[1] for row in conn.execute("PRAGMA table_info(calls)")}
                if "request_sha" not in columns:
                    conn.execute("ALTER TABLE calls ADD COLUMN request_sha TEXT")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with self._read_lock:
            self._reader.close()

    def __enter__(self) -> CallStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CallStore({str(self.path)!r})"

    # ------------------------------------------------------------------ calls
    def get(self, key: str) -> ModelReply | None:
        """The stored reply for ``key`` (``cached=True``), or None."""
        with self._read_lock:
            row = self._reader.execute(
                f"SELECT {_REPLY_COLUMNS} FROM calls WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        return _reply_of(row)

    def request_json(self, key: str) -> str | None:
        """The canonical JSON of the request stored under ``key`` (either schema), or None."""
        with self._read_lock:
            row = self._reader.execute(
                "SELECT c.request, b.data FROM calls c LEFT JOIN blobs b ON b.sha = c.request_sha "
                "WHERE c.key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        text, blob = row
        return decompress(blob).decode("utf-8") if blob is not None else text

    def endpoint_profiles(self, base_url: str) -> dict[str, tuple[str, float]]:
        """What earlier runs learned of the endpoint at ``base_url``: per model, the profile's
        JSON and when it was saved (seconds since the epoch)."""
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT model, profile, saved_at FROM endpoints WHERE base_url = ?", (base_url,)
            ).fetchall()
        return {str(model): (str(profile), float(saved)) for model, profile, saved in rows}

    def blob_count(self) -> int:
        """Distinct requests stored content-addressed."""
        with self._read_lock:
            return int(self._reader.execute("SELECT COUNT(*) FROM blobs").fetchone()[0])

    # ------------------------------------------------------------- group commit
    def apply(self, ops: Sequence[Op]) -> list[Any]:
        """Run ``ops`` in one transaction (see :class:`Op`); one result per op.

        Called from one writer thread (:mod:`rubricate.judge.store_writer`). Either every op
        is committed, or none is and :class:`~rubricate.errors.InputError` is raised.
        """
        blobs = self._new_blobs(ops)
        results: list[Any] = []
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    if blobs:
                        self._conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", blobs)
                    results = self._apply_all(ops)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise InputError(
                    f"{self.path}: cannot write to the call store ({error}); "
                    "check the disk, or pass another --store PATH"
                ) from None
        self._blobs_known.update(sha for sha, _ in blobs)
        global _committed_in_process
        _committed_in_process += sum(1 for op in ops if op.kind == "put")
        return results

    def _new_blobs(self, ops: Sequence[Op]) -> list[tuple[str, bytes]]:
        found: dict[str, bytes] = {}
        for op in ops:
            if op.kind == "put" and op.request is not None:
                sha = op.request.sha256()
                if sha not in self._blobs_known and sha not in found:
                    raw = op.request.canonical_json().encode("utf-8")
                    found[sha] = compress(raw)
        return list(found.items())

    def _apply_all(self, ops: Sequence[Op]) -> list[Any]:
        """Every op's result, as if they ran one by one in order.

        When no key appears twice in the group (the usual case: one client never has two
        writes of one key waiting at once), ops of different keys commute, so the claims run
        as one look-up of every key and one insert, and the answers as one insert and one
        delete of their claims: ~3x less work in the writer thread than an op at a time."""
        keys = [op.key for op in ops]
        if len(ops) < 2 or len(set(keys)) < len(keys):
            return [self._apply_one(op) for op in ops]
        results: list[Any] = [None] * len(ops)
        claims = [i for i, op in enumerate(ops) if op.kind == "claim"]
        puts = [i for i, op in enumerate(ops) if op.kind == "put"]
        for i, result in zip(claims, self._claim_all([ops[i] for i in claims]), strict=True):
            results[i] = result
        self._put_all([ops[i] for i in puts])
        done = set(claims) | set(puts)
        for i, op in enumerate(ops):
            if i not in done:
                results[i] = self._apply_one(op)
        return results

    def _claim_all(self, ops: Sequence[Op]) -> list[Any]:
        """``claim`` ops of distinct keys: each result is ``(holder, stored)``, the stored
        answer if there is one, else the key is claimed for the op's owner unless another
        owner holds it, named in ``holder``."""
        conn = self._conn
        stored: dict[str, Any] = {}
        held: dict[str, str] = {}
        for chunk, marks in _in_chunks([op.key for op in ops]):
            for row in conn.execute(
                f"SELECT key, {_REPLY_COLUMNS} FROM calls WHERE key IN ({marks})", chunk
            ):
                stored[row[0]] = row[1:]
            found = conn.execute(f"SELECT key, owner FROM claims WHERE key IN ({marks})", chunk)
            held.update(found)
        now = time.time()
        conn.executemany(
            "INSERT INTO claims VALUES (?,?,?)",
            [(op.key, op.owner, now) for op in ops if op.key not in stored and op.key not in held],
        )
        results: list[Any] = []
        for op in ops:
            if op.key in stored:
                results.append((None, _reply_of(stored[op.key])))
            elif op.key not in held:
                results.append((None, None))
            else:
                holder = held[op.key]
                results.append((None if holder == op.owner else str(holder), None))
        return results

    def _put_all(self, ops: Sequence[Op]) -> None:
        """``put`` ops of distinct keys: store each answer, forget any earlier error of its
        key, and end the op's owner's claim on it."""
        conn = self._conn
        rows = []
        for op in ops:
            assert op.request is not None and op.reply is not None
            rows.append(_call_row(op.key, op.request, op.reply, op.mode, None, None))
        conn.executemany(_CALL_ROW, rows)
        for chunk, marks in _in_chunks([op.key for op in ops]):
            conn.execute(f"DELETE FROM errors WHERE key IN ({marks})", chunk)
        conn.executemany(
            "DELETE FROM claims WHERE key = ? AND owner = ?",
            [(op.key, op.owner) for op in ops if op.owner is not None],
        )

    def _apply_one(self, op: Op) -> Any:
        conn = self._conn
        if op.kind == "claim":
            return self._claim_all([op])[0]
        if op.kind == "put":
            self._put_all([op])
            return None
        if op.kind == "endpoint":
            conn.execute(
                "INSERT OR REPLACE INTO endpoints VALUES (?,?,?,?)",
                (op.key, op.model, op.profile, time.time()),
            )
            return None
        if op.kind == "error":
            assert op.request is not None and op.error is not None
            conn.execute(
                "INSERT OR REPLACE INTO errors VALUES (?,?,?,?,?,?,?,?)",
                _error_row(op.key, op.request, op.error, op.attempts),
            )
        if op.owner is not None:  # error and release end the claim
            conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (op.key, op.owner))
        return None

    def put(
        self,
        key: str,
        request: ModelRequest,
        reply: ModelReply,
        *,
        mode: str | None = None,
        batch_id: str | None = None,
        request_json: str | None = None,
    ) -> None:
        """Commit the answer to ``key`` (and forget any earlier error for it).

        ``request_json``: the request's canonical JSON when the caller has it as text only
        (a batch re-attached from the store); it is stored as it is (schema-1 style)."""
        blobs = [] if request_json is not None else self._new_blobs([Op("put", key, request)])
        row = _call_row(key, request, reply, mode, batch_id, request_json)
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    if blobs:
                        self._conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", blobs)
                    self._conn.execute(_CALL_ROW, row)
                    self._conn.execute("DELETE FROM errors WHERE key = ?", (key,))
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise InputError(
                    f"{self.path}: cannot write to the call store ({error}); "
                    "check the disk, or pass another --store PATH"
                ) from None
        self._blobs_known.update(sha for sha, _ in blobs)
        global _committed_in_process
        _committed_in_process += 1

    def put_error(self, key: str, request: ModelRequest, error: CallError, attempts: int) -> None:
        """Record the last error of a call that has no answer."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO errors VALUES (?,?,?,?,?,?,?,?)",
                _error_row(key, request, error, attempts),
            )

    def has(self, key: str) -> bool:
        with self._read_lock:
            row = self._reader.execute("SELECT 1 FROM calls WHERE key = ?", (key,)).fetchone()
        return row is not None

    def count(self) -> int:
        """Stored answers."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def keys(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT key FROM calls ORDER BY key")]

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (used by ``cache stats``)."""
        with self._lock:
            return list(self._conn.execute(sql, tuple(params)))

    def clear(self, *, errors_only: bool = False) -> dict[str, int]:
        """Delete stored errors, and answers and finished batches unless ``errors_only``.

        Returns the counts removed. Batches still running at the provider are kept, so a rerun
        re-attaches to them instead of submitting (and paying) again.
        """
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            removed = {"errors": self._conn.execute("DELETE FROM errors").rowcount}
            if not errors_only:
                removed["calls"] = self._conn.execute("DELETE FROM calls").rowcount
                self._conn.execute("DELETE FROM blobs")  # the requests of those calls
                self._blobs_known.clear()
                # Unfinished batches are kept: a rerun re-attaches instead of paying again.
                self._conn.execute(
                    "DELETE FROM batch_keys WHERE batch_id IN "
                    "(SELECT batch_id FROM batches WHERE finished_at IS NOT NULL)"
                )
                removed["batches"] = self._conn.execute(
                    "DELETE FROM batches WHERE finished_at IS NOT NULL"
                ).rowcount
                # what was learned of endpoints goes with the answers: a fresh start
                removed["endpoints"] = self._conn.execute("DELETE FROM endpoints").rowcount
            self._conn.execute("COMMIT")
            self._conn.execute("VACUUM")
        return removed

    # ---------------------------------------------------------------- batches
    def add_batch(
        self,
        batch_id: str,
        endpoint: str,
        input_file_id: str | None,
        entries: list[tuple[str, str, str]],
    ) -> None:
        """Record a batch and its ``(key, request_json, mode)`` entries: submitted, or about to
        be (an ``intent:`` id, status ``submitting``)."""
        status = "submitting" if batch_id.startswith(INTENT_PREFIX) else "submitted"
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR REPLACE INTO batches VALUES (?,?,?,?,?,?,NULL)",
                (batch_id, endpoint, input_file_id, status, len(entries), time.time()),
            )
            self._conn.executemany(
                "INSERT OR REPLACE INTO batch_keys VALUES (?,?,?,?)",
                [(batch_id, key, req, mode) for key, req, mode in entries],
            )
            self._conn.execute("COMMIT")

    def rename_batch(self, old_id: str, new_id: str, input_file_id: str | None = None) -> None:
        """Give an intended batch (``intent:...``) the provider's id, once it exists."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "UPDATE batches SET batch_id = ?, status = 'submitted', "
                "input_file_id = COALESCE(?, input_file_id) WHERE batch_id = ?",
                (new_id, input_file_id, old_id),
            )
            self._conn.execute(
                "UPDATE batch_keys SET batch_id = ? WHERE batch_id = ?", (new_id, old_id)
            )
            self._conn.execute("COMMIT")

    def drop_batch(self, batch_id: str) -> None:
        """Forget a batch that never reached the provider (its keys may be submitted again)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM batch_keys WHERE batch_id = ?", (batch_id,))
            self._conn.execute("DELETE FROM batches WHERE batch_id = ?", (batch_id,))
            self._conn.execute("COMMIT")

    # ----------------------------------------------------------------- claims
    def claim(self, key: str, owner: str) -> str | None:
        """Claim ``key`` for ``owner``: None when it is now ``owner``'s (or already was),
        else the other owner holding it."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT owner FROM claims WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    self._conn.execute(
                        "INSERT INTO claims VALUES (?,?,?)", (key, owner, time.time())
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return None if row is None or row[0] == owner else str(row[0])

    def take_over(self, key: str, owner: str, previous: str) -> bool:
        """Move ``key``'s claim from the gone ``previous`` owner to ``owner`` (False: someone
        else changed it first)."""
        with self._lock:
            done = self._conn.execute(
                "UPDATE claims SET owner = ?, claimed_at = ? WHERE key = ? AND owner = ?",
                (owner, time.time(), key, previous),
            ).rowcount
        return bool(done)

    def release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim on ``key`` (its answer or error is stored)."""
        with self._lock:
            self._conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, owner))

    def open_batches(self) -> dict[str, list[tuple[str, str, str]]]:
        """Unfinished batches: id -> ``(key, request_json, mode)`` entries."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT b.batch_id, k.key, k.request, k.mode FROM batches b "
                "JOIN batch_keys k ON k.batch_id = b.batch_id WHERE b.finished_at IS NULL"
            ).fetchall()
        found: dict[str, list[tuple[str, str, str]]] = {}
        for batch_id, key, request, mode in rows:
            found.setdefault(batch_id, []).append((key, request, mode))
        return found

    def finish_batch(self, batch_id: str, status: str) -> None:
        """Mark a batch done (its results are stored, or it ended without them)."""
        with self._lock:
            self._conn.execute(
                "UPDATE batches SET status = ?, finished_at = ? WHERE batch_id = ?",
                (status, time.time(), batch_id),
            )


def request_from_json(text: str) -> ModelRequest:
    """Rebuild a request from its canonical JSON (as stored)."""
    return ModelRequest.model_validate(json.loads(text))
