"""Regenerate rubricate/export/gemini/schema/tuning_job.schema.json from Vertex AI's discovery
document (not a test; run by hand when the REST resource changes).

Source: the ``aiplatform`` v1beta1 discovery document as shipped in google-api-python-client
(``googleapiclient/discovery_cache/documents/aiplatform.v1beta1.json``; 2.202.0 carries revision
20261106), the machine-readable form of https://cloud.google.com/vertex-ai/docs/reference/rest/
v1beta1/projects.locations.tuningJobs. Usage::

    python tests/export/gemini/transcribe_schema.py path/to/aiplatform.v1beta1.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PREFIX = "GoogleCloudAiplatformV1beta1"
# The fields rubricate writes, per schema; everything else is refused (additionalProperties).
KEEP = {
    "TuningJob": [
        "baseModel",
        "tunedModelDisplayName",
        "description",
        "labels",
        "serviceAccount",
        "reinforcementTuningSpec",
    ],
    "AutoraterConfig": ["autoraterModel", "samplingCount", "flipEnabled"],
    "Part": ["text"],
    "ReinforcementTuningExample": ["contents", "references", "systemInstruction"],
}
OUT = Path(__file__).parents[3] / "rubricate/export/gemini/schema/tuning_job.schema.json"


def convert(prop: dict, defs: dict, schemas: dict, todo: list) -> dict:
    out: dict = {}
    if "description" in prop:
        out["description"] = prop["description"]
    if "$ref" in prop:
        name = prop["$ref"].removeprefix(PREFIX)
        todo.append(name)
        out["$ref"] = f"#/$defs/{name}"
        return out
    kind = prop.get("type")
    fmt = prop.get("format")
    if kind == "string" and fmt in ("int64", "uint64"):
        out["type"] = "string"
        out["pattern"] = "^-?[0-9]+$"
    elif kind == "integer":
        out["type"] = "integer"
    elif kind == "number":
        out["type"] = "number"
    elif kind in ("string", "boolean"):
        out["type"] = kind
    elif kind == "array":
        out["type"] = "array"
        out["items"] = convert(prop["items"], defs, schemas, todo)
    elif kind == "object":
        out["type"] = "object"
        if "additionalProperties" in prop:
            out["additionalProperties"] = convert(prop["additionalProperties"], defs, schemas, todo)
    if "enum" in prop:
        out["enum"] = prop["enum"]
    return out


def main(path: str) -> None:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    schemas = doc["schemas"]
    defs: dict = {}
    todo = ["TuningJob", "ReinforcementTuningExample"]
    while todo:
        name = todo.pop()
        if name in defs:
            continue
        source = schemas[PREFIX + name]
        keep = KEEP.get(name, [k for k, v in source["properties"].items() if not v.get("readOnly")])
        defs[name] = {
            "description": source.get("description", ""),
            "type": "object",
            "properties": {k: convert(source["properties"][k], defs, schemas, todo) for k in keep},
            "additionalProperties": False,
        }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rubricate.dev/schemas/gemini/tuning_job.schema.json",
        "title": "Vertex AI tuningJobs.create request body (reinforcement tuning, v1beta1)",
        "$comment": (
            "Transcribed by tests/export/gemini/transcribe_schema.py from the aiplatform "
            f"{doc['version']} discovery document, revision {doc['revision']} "
            "(google-api-python-client 2.202.0, googleapiclient/discovery_cache/documents/"
            "aiplatform.v1beta1.json); REST reference: https://cloud.google.com/vertex-ai/docs/"
            "reference/rest/v1beta1/projects.locations.tuningJobs/create. Only the fields "
            "rubricate writes are kept (additionalProperties: false refuses the rest); "
            "int64 fields are JSON strings, as in the discovery document."
        ),
        "$ref": "#/$defs/TuningJob",
        "$defs": dict(sorted(defs.items())),
    }
    OUT.write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(OUT, len(defs), "definitions")


if __name__ == "__main__":
    main(sys.argv[1])
