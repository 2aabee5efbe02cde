"""Files and Batch API routes of the loopback server.

``POST /v1/files`` (multipart upload), ``GET /v1/files/{id}``, ``GET /v1/files/{id}/content``,
``POST /v1/batches``, ``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel``.

A created batch is processed in a background thread: after ``batch_delay`` seconds and once
the batch gate is open (:meth:`FakeOpenAI.hold_batches`), each input line runs through
:meth:`FakeOpenAI.answer` (the same handlers as live calls, so faults and the score policy
apply); 200 answers go to the output file, others to the error file, as the API does. With
``batch_expire_after = n`` only the first ``n`` lines are answered and the batch ends
``expired``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from rubricate.testing.messages import FakeResponse
from rubricate.testing.replies import error_body

if TYPE_CHECKING:
    from rubricate.testing.messages import FakeRequest
    from rubricate.testing.server import FakeOpenAI

_TERMINAL = ("completed", "failed", "expired", "cancelled")


def install(fake: FakeOpenAI) -> None:
    """Register the files and batches routes on ``fake``."""
    fake.add_route("POST", "/v1/files", _upload)
    fake.add_route("GET", "/v1/files/{file_id}", _file_object)
    fake.add_route("GET", "/v1/files/{file_id}/content", _file_content)
    fake.add_route("POST", "/v1/batches", _create_batch)
    fake.add_route("GET", "/v1/batches", _list_batches)
    fake.add_route("GET", "/v1/batches/{batch_id}", _get_batch)
    fake.add_route("POST", "/v1/batches/{batch_id}/cancel", _cancel_batch)


def _response(status: int = 200, body: Any = None) -> FakeResponse:
    return FakeResponse(status, body)


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a ``multipart/form-data`` body: name -> (filename, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)  # bytes, or None for a multipart part
            data = payload if isinstance(payload, bytes) else b""
            fields[str(name)] = (part.get_filename(), data)
    return fields


def _store_file(fake: FakeOpenAI, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
    file_id = f"file-{uuid.uuid4().hex[:24]}"
    obj = {
        "id": file_id,
        "object": "file",
        "bytes": len(data),
        "created_at": int(time.time()),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    with fake._lock:
        fake.files[file_id] = {"object": obj, "data": data}
    return obj


def _upload(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    fields = parse_multipart(request.headers.get("content-type", ""), request.raw)
    if "file" not in fields:
        return _response(400, error_body("missing form field 'file'"))
    filename, data = fields["file"]
    purpose = fields.get("purpose", (None, b""))[1].decode("utf-8")
    return _response(200, _store_file(fake, filename or "upload.jsonl", purpose, data))


def _file_object(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    found = fake.files.get(request.params["file_id"])
    if found is None:
        return _response(404, error_body("No such file", "not_found"))
    return _response(200, found["object"])


def _file_content(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    found = fake.files.get(request.params["file_id"])
    if found is None:
        return _response(404, error_body("No such file", "not_found"))
    return FakeResponse(200, found["data"], {"content-type": "application/octet-stream"})


def _create_batch(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    body = request.body or {}
    file_id = body.get("input_file_id")
    if file_id not in fake.files:
        return _response(400, error_body(f"input file {file_id!r} not found"))
    batch_id = f"batch_{uuid.uuid4().hex[:24]}"
    lines = fake.files[file_id]["data"].decode("utf-8").splitlines()
    batch = {
        "id": batch_id,
        "object": "batch",
        "endpoint": body.get("endpoint"),
        "errors": None,
        "input_file_id": file_id,
        "completion_window": body.get("completion_window", "24h"),
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": int(time.time()),
        "in_progress_at": None,
        "completed_at": None,
        "request_counts": {
            "total": len([x for x in lines if x.strip()]),
            "completed": 0,
            "failed": 0,
        },
        "metadata": body.get("metadata"),
    }
    with fake._lock:
        fake.batches[batch_id] = batch
    threading.Thread(target=_process, args=(fake, batch_id, lines), daemon=True).start()
    return _response(200, dict(batch))


def _list_batches(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    """``GET /v1/batches?limit=&after=``: newest first, a cursor page as the API answers."""
    limit = max(1, min(100, int(request.query.get("limit") or 20)))
    with fake._lock:
        ordered = list(reversed([json.loads(json.dumps(b)) for b in fake.batches.values()]))
    after = request.query.get("after")
    if after:
        ids = [b["id"] for b in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    page = ordered[:limit]
    return _response(200, {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(ordered) > limit,
    })  # fmt: skip


def _get_batch(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    with fake._lock:
        found = fake.batches.get(request.params["batch_id"])
        snapshot = json.loads(json.dumps(found)) if found else None
    if snapshot is None:
        return _response(404, error_body("No such batch", "not_found"))
    return _response(200, snapshot)


def _cancel_batch(fake: FakeOpenAI, request: FakeRequest) -> FakeResponse:
    with fake._lock:
        found = fake.batches.get(request.params["batch_id"])
        if found is None:
            return _response(404, error_body("No such batch", "not_found"))
        if found["status"] not in _TERMINAL:
            found["status"] = "cancelling"
        snapshot = json.loads(json.dumps(found))
    return _response(200, snapshot)


def _process(fake: FakeOpenAI, batch_id: str, lines: list[str]) -> None:
    from rubricate.testing.messages import FakeRequest, normalise_path

    batch = fake.batches[batch_id]
    with fake._lock:
        batch["status"] = "in_progress"
        batch["in_progress_at"] = int(time.time())
    if fake.batch_delay:
        fake._stopping.wait(fake.batch_delay)
    while not fake._batch_gate.wait(0.05):
        if fake._stopping.is_set():
            return
    outputs: list[str] = []
    errors: list[str] = []
    expired = False
    for index, line in enumerate(x for x in lines if x.strip()):
        if batch["status"] == "cancelling":
            break
        if fake.batch_expire_after is not None and index >= fake.batch_expire_after:
            expired = True
            break
        item = json.loads(line)
        raw = json.dumps(item.get("body")).encode("utf-8")
        sub = FakeRequest(
            "POST",
            normalise_path(item.get("url", "")),
            {"x-rubricate-call": item.get("custom_id", "")},
            item.get("body"),
            raw,
            started=time.monotonic(),
            batch_id=batch_id,
        )
        answer = fake.answer(sub.path, sub)
        sub.status = answer.status
        sub.finished = time.monotonic()
        result = {
            "id": f"batch_req_{uuid.uuid4().hex[:24]}",
            "custom_id": item.get("custom_id"),
            "response": {
                "status_code": answer.status,
                "request_id": "req_batch",
                "body": answer.body,
            },
            "error": None,
        }
        with fake._lock:
            fake.requests.append(sub)
            if answer.status == 200:
                fake.answered[sub.identity] += 1
                batch["request_counts"]["completed"] += 1
            else:
                batch["request_counts"]["failed"] += 1
        (outputs if answer.status == 200 else errors).append(json.dumps(result))
    output = _store_file(fake, f"{batch_id}_output.jsonl", "batch_output", _jsonl(outputs))
    error = _store_file(fake, f"{batch_id}_errors.jsonl", "batch_output", _jsonl(errors))
    with fake._lock:
        batch["output_file_id"] = output["id"] if outputs else None
        batch["error_file_id"] = error["id"] if errors else None
        if batch["status"] == "cancelling":
            batch["status"] = "cancelled"
        else:
            batch["status"] = "expired" if expired else "completed"
        batch["completed_at"] = int(time.time())


def _jsonl(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
