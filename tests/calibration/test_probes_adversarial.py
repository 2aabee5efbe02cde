"""The adversarial probe generators (pure functions) and their application to a set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.calibration.inputs.calset import parse_calibration_set
from rubricate.calibration.probes import parse_probes
from rubricate.calibration.probes.adversarial import (
    INJECTION,
    PAD_FACTOR,
    PROBE_KINDS,
    build_probes,
    claims,
    filler,
    first_half,
    hedge_figures,
    perturb_figures,
    wrong_figure,
)
from rubricate.calibration.probes.generate import (
    adversarial_probes,
    criteria_texts,
    item_question,
)
from rubricate.errors import InputError
from rubricate.rubrics.lint import load_checked_rubric
from tests.calibration.calib_fixtures import write_rubric

GREAT = (
    "Alex held 33.33% and Dana 13.33% after the sale on July 1.\n\n"
    "1. Ownership: Alex is allocated $300,000 of ordinary income.\n"
    "2. The closing of the books splits the year in two."
)


@pytest.mark.parametrize(
    ("digits", "wrong"),
    [("300,000", "400,000"), ("33.33", "43.33"), ("9", "8"), ("0.05", "0.06"), ("0", "1"),
     ("2024", "3024"), ("0.00", "0.01")],
)  # fmt: skip
def test_a_wrong_figure_keeps_its_format(digits: str, wrong: str) -> None:
    assert wrong_figure(digits) == wrong and len(wrong_figure(digits)) == len(digits)


def test_every_figure_is_perturbed_but_list_numbers_are_not() -> None:
    out = perturb_figures(GREAT)
    assert out is not None
    assert "43.33%" in out and "23.33%" in out and "$400,000" in out and "July 2" in out
    for right in ("33.33%", "13.33%", "$300,000", "July 1"):
        assert right not in out
    assert "\n1. Ownership" in out and "\n2. The closing" in out  # list markers kept
    assert perturb_figures("no figures here, W2 and v1.2 are names") is None


def test_hedging_states_right_and_wrong_as_alternatives() -> None:
    out = hedge_figures(GREAT)
    assert out is not None
    assert "either 33.33% or 43.33%" in out and "either $300,000 or $400,000" in out
    assert hedge_figures("nothing to hedge") is None


def test_first_half_cuts_at_a_word() -> None:
    assert first_half("one two three four five six") == "one two three"
    assert first_half("alpha betagamma") == "alpha"
    assert first_half("single") is None and first_half("") is None


def test_filler_is_restatement_of_the_length_asked() -> None:
    text = filler("What is Alex's share?", "Alex held a third.", 500)
    assert 450 <= len(text) <= 500
    assert "To restate the question: What is Alex's share?" in text
    assert "To restate the answer: Alex held a third." in text
    assert filler(None, "x", 0) == ""


def test_text_probes_of_a_great_answer() -> None:
    criteria = ["Identifies Alex 33.33%", "Explains the closing of the books"]
    built = build_probes(GREAT, question="Who holds what?", criteria=criteria)
    assert list(built) == list(PROBE_KINDS)
    half = first_half(GREAT)
    assert half is not None and built["truncation"].text == half
    padding = built["padding"].text
    assert padding is not None and padding.startswith(half)
    assert PAD_FACTOR * len(GREAT) - 40 <= len(padding) <= PAD_FACTOR * len(GREAT)
    assert "To restate the question: Who holds what?" in padding
    parroting = built["parroting"].text
    assert parroting is not None and parroting.startswith(half)
    assert all(claim in parroting for claim in claims(criteria))
    assert built["injection"].text == f"{half}\n\n{INJECTION}"
    # the form probes never carry the second half of the great answer
    for kind in ("padding", "parroting", "injection"):
        assert "closing of the books splits" not in (built[kind].text or "")


def test_probes_not_built_say_why() -> None:
    built = build_probes("Just words without numbers.", question=None, criteria=[])
    assert built["figures"].text is None and built["figures"].reason == "the answer has no figures"
    assert built["parroting"].text is None and "no criterion text" in str(
        built["parroting"].reason
    )
    assert built["padding"].text is not None  # the question is optional
    empty = build_probes("  ", question="q", criteria=["c"])
    assert all(b.text is None and b.reason == "the great answer is empty" for b in empty.values())


def test_json_answers_keep_their_structure() -> None:
    great = json.dumps({"domains": ["trade", "law", "finance", "energy"], "year": 2024})
    built = build_probes(great, question="Classify.", criteria=["Names every domain"])
    figures = json.loads(built["figures"].text or "")
    assert figures == {"domains": ["trade", "law", "finance", "energy"], "year": 3024}
    assert json.loads(built["truncation"].text or "")["domains"] == ["trade", "law"]
    padding = json.loads(built["padding"].text or "")
    assert padding["domains"] == ["trade", "law"] and "To restate" in padding["explanation"]
    assert len(built["padding"].text or "") >= PAD_FACTOR * len(great) - 40
    assert json.loads(built["injection"].text or "")["note_to_grader"] == INJECTION
    assert json.loads(built["parroting"].text or "")["criteria_met"] == claims(
        ["Names every domain"]
    )
    array = build_probes(json.dumps(["a b", "c d"]), question=None, criteria=["x"])
    assert json.loads(array["truncation"].text or "") == ["a b"]
    assert array["padding"].text is None and "array" in str(array["padding"].reason)
    single = build_probes(json.dumps({"domains": ["trade"]}), question=None, criteria=[])
    assert single["truncation"].text is None and "no list of two" in str(
        single["truncation"].reason
    )


def test_the_generators_are_deterministic() -> None:
    first = build_probes(GREAT, question="q", criteria=["c"])
    assert first == build_probes(GREAT, question="q", criteria=["c"])


def test_the_question_comes_from_the_item_or_the_task() -> None:
    assert item_question({"question": "Q?"}, "task") == "Q?"
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "U?"}]
    assert item_question({"messages": messages}, "task") == "U?"
    assert item_question({}, "Read {{ item.doc }} and answer.") == "Read and answer."
    assert item_question({}, None) is None


def _set(text: str) -> str:
    return "\n".join(json.dumps(line) for line in [
        {"id": "one", "question": "Q?", "answers": [
            {"id": "g", "tier": "great", "text": "It is 12 units, as the table shows."},
            {"id": "f", "tier": "fair", "text": "About 12."}]},
        {"id": "two", "answers": [{"id": "f", "tier": "fair", "text": text}]},
        {"id": "three", "answers": [
            {"id": "g1", "tier": "great", "text": "Words only here."},
            {"id": "g2", "tier": "great", "text": "Other words here."}]},
    ]) + "\n"  # fmt: skip


def test_a_set_gets_probes_and_every_one_not_built_is_listed(tmp_path: Path) -> None:
    rubric = load_checked_rubric(write_rubric(tmp_path / "r.yaml", ["a", "b"])).rubric
    assert criteria_texts(rubric) == ["The answer satisfies requirement a.",
                                      "The answer satisfies requirement b."]  # fmt: skip
    calset = parse_calibration_set(_set("x y"), source="set.jsonl")
    probes = adversarial_probes(calset.entries(), rubric, "set.jsonl")
    ids = {(e.item_id, e.answer_id) for e in probes.entries}
    assert {("one", f"probe:{k}") for k in PROBE_KINDS} <= ids
    assert ("three", "probe:truncation:g1") in ids and ("three", "probe:padding:g2") in ids
    assert all(e.tier == "adversarial" and e.kind == e.answer_id.split(":g")[0]
               for e in probes.entries)  # fmt: skip
    missing = {(m["item_id"], m["probe"], m["source"]): m["reason"] for m in probes.not_generated}
    assert missing[("two", "figures", None)] == "the item has no great answer"
    assert {m for m in missing if m[0] == "two"} == {("two", k, None) for k in PROBE_KINDS}
    assert missing[("three", "figures", "g1")] == "the answer has no figures"
    record = probes.manifest()
    assert record["pad_factor"] == PAD_FACTOR and len(record["generated"]) == len(probes.entries)
    lines = [json.loads(line) for line in probes.jsonl().splitlines()]
    assert {(r["item_id"], r["answer_id"]) for r in lines} == ids


def test_a_written_answer_with_a_probe_id_is_refused(tmp_path: Path) -> None:
    rubric = load_checked_rubric(write_rubric(tmp_path / "r.yaml", ["a"])).rubric
    text = json.dumps({"id": "i", "answers": [
        {"id": "g", "tier": "great", "text": "Two words and 3 more."},
        {"id": "probe:padding", "tier": "adversarial", "text": "mine"}]})  # fmt: skip
    calset = parse_calibration_set(text, source="set.jsonl")
    with pytest.raises(InputError, match=r"^set.jsonl:1: item 'i': answer id 'probe:padding'"):
        adversarial_probes(calset.entries(), rubric, "set.jsonl")


def test_the_probe_option_takes_lists_and_repeats() -> None:
    assert parse_probes(["adversarial"]) == ("adversarial",)
    assert parse_probes(["adversarial,", " Adversarial"]) == ("adversarial",)
    assert parse_probes([]) == ()
    with pytest.raises(InputError, match=r"^--probe: unknown probe 'sneaky'; use adversarial"):
        parse_probes(["adversarial,sneaky"])
