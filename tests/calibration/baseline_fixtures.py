"""Helpers for baseline tests: small item files and generation replies scripted per sample."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from rubricate.calibration.baseline.prepare import PreparedBaseline, generation_request
from rubricate.testing import FakeOpenAI, Generated
from rubricate.testing.messages import FakeRequest

ROOT = Path(__file__).resolve().parents[2]
EUROVOC = ROOT / "examples" / "eurovoc"


def eurovoc_items(path: Path, ids: Sequence[str]) -> Path:
    """Write the EUROVOC training items with these ids (in this order) to ``path``."""
    rows = {}
    for line in (EUROVOC / "train.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        rows[item["id"]] = line
    path.write_text("".join(rows[i] + "\n" for i in ids), encoding="utf-8")
    return path


def domains(*labels: str) -> str:
    """A EUROVOC answer naming ``labels``."""
    return json.dumps({"domains": list(labels)})


def sample_keys(prepared: PreparedBaseline, model: str) -> dict[tuple[str, int], str]:
    """The call key of every (item, sample) of ``model``: what the server sees."""
    keys = {}
    for item in prepared.items:
        request = generation_request(item.row, model, prepared.generation)
        for index in range(prepared.request.samples):
            keys[(item.item_id, index)] = request.key(index)
    return keys


def script_samples(
    fake: FakeOpenAI,
    prepared: PreparedBaseline,
    texts: Mapping[str, Mapping[str, Sequence[str | None]]],
    reasoning: Mapping[str, int] | None = None,
) -> dict[str, dict[tuple[str, int], str]]:
    """Make ``fake`` answer sample ``i`` of ``model`` on item ``x`` with ``texts[model][x][i]``.

    A None text is left to the server's other scripting (faults); ``reasoning`` gives the
    reasoning tokens each model's replies report. Returns the call keys per model.
    """
    replies: dict[str, Generated] = {}
    keys = {}
    for model, per_item in texts.items():
        keys[model] = sample_keys(prepared, model)
        for item_id, samples in per_item.items():
            for index, text in enumerate(samples):
                if text is not None and (item_id, index) in keys[model]:
                    tokens = (reasoning or {}).get(model, 0)
                    replies[keys[model][(item_id, index)]] = Generated(text, tokens)

    def generate(request: FakeRequest) -> Generated | None:
        return replies.get(request.identity)

    fake.generate = generate
    return keys
