"""``lambda.zip``: the Lambda deployment package (handler, runtime, vendored modules, grader).

Layout (handler ``lambda_function.lambda_handler``, runtime ``python3.12`` or later)::

    lambda_function.py           the handler (.lambda_function)
    lambda_runtime.py            the standard-library grading runtime (.lambda_runtime)
    grader.json                  byte for byte the compiled grader
    rubricate/...                verbatim copies of the pure modules listed in VENDORED
                                 (package __init__ files are empty stubs)

The zip is deterministic (sorted entries, a fixed timestamp, fixed permissions), so the same
grader gives the same bytes and the same SHA-256 in the manifest.

Limits (AWS Lambda Developer Guide, "Lambda quotas",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; the API's
``AccountLimit.CodeSizeZipped`` / ``CodeSizeUnzipped``): a deployment package uploaded directly
is at most 50 MB zipped and 250 MB unzipped (layers included); :func:`size_problems` checks both.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from importlib import resources

ZIP_LIMIT = 50 * 1024 * 1024
"""Direct upload limit of a zipped deployment package (bytes)."""
UNZIPPED_LIMIT = 250 * 1024 * 1024
"""Limit of the unzipped deployment package (bytes)."""
HANDLER = "lambda_function.lambda_handler"
LAMBDA_RUNTIME = "python3.12"

VENDORED: tuple[str, ...] = (
    "errors.py",
    "judge/template.py",
    "judge/formula.py",
    "judge/formula_parser.py",
    "judge/sample.py",
    "judge/graders/judge_reply.py",
)
"""Paths under ``rubricate/`` copied verbatim into the package (standard library only)."""
STUB_PACKAGES = ("rubricate", "rubricate/judge", "rubricate/judge/graders")
STUB = '"""Vendored subset of rubricate for the Bedrock reward Lambda (see lambda_runtime)."""\n'
_EPOCH = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LambdaPackage:
    """The zip's bytes and sizes."""

    data: bytes
    unzipped_bytes: int
    files: tuple[str, ...]


def _source(package: str, name: str) -> bytes:
    return resources.files(package).joinpath(name).read_bytes()


def package_files(grader_text: str) -> dict[str, bytes]:
    """Name -> bytes of every file in the package."""
    files = {
        "lambda_function.py": _source("rubricate.export.bedrock", "lambda_function.py"),
        "lambda_runtime.py": _source("rubricate.export.bedrock", "lambda_runtime.py"),
        "grader.json": grader_text.encode("utf-8"),
    }
    for stub in STUB_PACKAGES:
        files[f"{stub}/__init__.py"] = STUB.encode("utf-8")
    for path in VENDORED:
        folder, _, name = f"rubricate/{path}".rpartition("/")
        files[f"{folder}/{name}"] = _source(folder.replace("/", "."), name)
    return files


def build_package(grader_text: str) -> LambdaPackage:
    """The deterministic zip of :func:`package_files`."""
    files = package_files(grader_text)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return LambdaPackage(
        buffer.getvalue(), sum(len(b) for b in files.values()), tuple(sorted(files))
    )


def size_problems(package: LambdaPackage) -> list[str]:
    """Why the package would be refused by Lambda (empty when it fits)."""
    problems = []
    if len(package.data) > ZIP_LIMIT:
        problems.append(
            f"lambda.zip is {len(package.data) / 2**20:.1f} MB; Lambda takes at most 50 MB "
            "zipped by direct upload (upload it to S3 and keep it under 250 MB unzipped)"
        )
    if package.unzipped_bytes > UNZIPPED_LIMIT:
        problems.append(
            f"lambda.zip unpacks to {package.unzipped_bytes / 2**20:.1f} MB; Lambda's limit is "
            "250 MB"
        )
    return problems
