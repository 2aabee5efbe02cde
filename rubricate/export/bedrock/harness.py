"""Invoke an unpacked Lambda package's handler as Lambda does, in this (separate) process.

Run as ``python -I -S harness.py PACKAGE_DIR REQUESTS.json RESPONSES.json`` (standard library
only; ``-S`` hides site-packages, so the handler sees what a Lambda Python has: no rubricate,
no third-party package). ``REQUESTS.json`` is a list of events; each is one invocation of
``lambda_function.lambda_handler(event, context)`` in the same warm process (as a reused
execution environment), with a fresh context object carrying the attributes of Lambda's Python
context: ``aws_request_id``, ``function_name``, ``function_version``, ``invoked_function_arn``,
``memory_limit_in_mb``, ``log_group_name``, ``log_stream_name``, ``identity``,
``client_context`` and ``get_remaining_time_in_millis()`` (Lambda Developer Guide, "Using the
Lambda context object to retrieve Python function information",
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html).

Each response is what the Lambda Invoke API returns: ``{"status_code": 200, "payload": ...}``
on success; when the handler raises, ``{"status_code": 200, "function_error": "Unhandled",
"payload": {"errorMessage", "errorType", "stackTrace"}}``, Lambda's error shape for Python
("AWS Lambda function errors in Python",
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html). The handler's prints go to
stderr (its log).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import time
import traceback
import uuid
from typing import Any

TIMEOUT_MS = 900_000
FUNCTION_NAME = "rubricate-reward"


class Context:
    """The attributes of Lambda's Python context object."""

    def __init__(self, timeout_ms: int = TIMEOUT_MS) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = FUNCTION_NAME
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION_NAME}"
        )
        self.memory_limit_in_mb = "1024"
        self.identity = None
        self.client_context = None
        self.log_group_name = f"/aws/lambda/{FUNCTION_NAME}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke(handler: Any, event: Any) -> dict[str, Any]:
    """One invocation, answered as the Invoke API answers it."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            payload = handler(json.loads(json.dumps(event)), Context())
        return {"status_code": 200, "payload": json.loads(json.dumps(payload))}
    except Exception as error:  # noqa: BLE001 - Lambda reports every exception the same way
        return {
            "status_code": 200,
            "function_error": "Unhandled",
            "payload": {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            },
        }


def main(argv: list[str]) -> int:
    package, requests, responses = argv
    sys.path.insert(0, package)
    module = importlib.import_module("lambda_function")
    with open(requests, encoding="utf-8") as handle:
        events = json.load(handle)
    out = [invoke(module.lambda_handler, event) for event in events]
    with open(responses, "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
