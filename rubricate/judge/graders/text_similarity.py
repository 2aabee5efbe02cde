"""``text_similarity``: a similarity score in [0, 1] between the rendered input and reference.

The platform documents the metrics and little else (graders guide: "fuzzy_match: fuzzy string
match, using rapidfuzz", "bleu", "gleu" (Google BLEU), "meteor", "rouge-*", "cosine: cosine
similarity using embedded input and reference, using text-embedding-3-large; only for evals").
Tokenisation, smoothing and casing are not documented, so each metric here is the reference
library's standard sentence-level score with its defaults, and ``rubricate grade --remote``
shows local and platform values side by side where they differ.

=============  =========================================================================
metric         computed as (``input`` is the hypothesis, ``reference`` the reference)
=============  =========================================================================
fuzzy_match    ``rapidfuzz.fuzz.WRatio(input, reference, processor=rapidfuzz.utils.
               default_process) / 100``: the scorer the graders guide's own rapidfuzz
               example uses (lower-cased, non-alphanumerics stripped; best of plain,
               partial and token-sorted ratios). 0 when either side is empty.
bleu           ``sacrebleu.sentence_bleu(input, [reference]).score / 100``: sacreBLEU's
               defaults (13a tokenisation, case-sensitive, exponential smoothing,
               effective n-gram order).
gleu           ``nltk.translate.gleu_score.sentence_gleu([ref_tokens], hyp_tokens)``
               (n-grams 1..4), tokens from sacreBLEU's 13a tokenizer.
meteor         ``nltk.translate.meteor_score.single_meteor_score(ref_tokens, hyp_tokens)``
               with NLTK's defaults (alpha 0.9, beta 3, gamma 0.5; lower-casing; exact,
               Porter-stem and WordNet-synonym matching), tokens from the 13a tokenizer.
               WordNet is found offline (:mod:`rubricate.judge.graders.wordnet`); without
               it the record is an error that says how to install it, never a score
               computed without synonyms.
rouge_1..5     ``rouge_score.rouge_scorer.RougeScorer(["rougeN"]).score(reference,
               input)["rougeN"].fmeasure``: Google's rouge-score (in the platform's
               python image) with its defaults (no stemming; its tokenizer lower-cases and
               keeps only ``[a-z0-9]`` runs, so text with no ASCII letters or digits
               scores 0).
rouge_l        the same with ``rougeL`` (longest common subsequence, not ``rougeLsum``).
cosine         embeddings of input and reference from the model client
               (``ModelRequest(kind="embed", model="text-embedding-3-large")``), then
               ``a·b / (|a| |b|)``; may be negative. Embeddings are deterministic, so every
               repeat reuses the call of repeat 0. No client, a failed call or a zero vector
               -> ``model_grader_server_error`` record.
=============  =========================================================================

The only post-processing: values are clamped to [0, 1] against floating-point round-off
(sacreBLEU scores identical text 100.00000000000004, which would be a reward of
1.0000000000000004); so values equal the libraries' to within 1e-15.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from rubricate.judge.calls import ModelReply, ModelRequest
from rubricate.judge.graders.base import (
    GradeContext,
    add_call,
    fail,
    input_and_reference,
    new_record,
    not_configured,
)
from rubricate.judge.graders.wordnet import WordNetMissing, load_wordnet
from rubricate.judge.records import GradeRecord, ModelCallRecord

COSINE_MODEL = "text-embedding-3-large"
"""The embedding model the platform uses for ``cosine``."""

ROUGE_TYPES = {f"rouge_{n}": f"rouge{n}" for n in range(1, 6)} | {"rouge_l": "rougeL"}
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", *ROUGE_TYPES, "cosine")


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()


def tokens(text: str) -> list[str]:
    """sacreBLEU's 13a (mteval) tokenisation, split on whitespace."""
    return _tokenizer()(text).split()


@lru_cache(maxsize=8)
def _rouge(rouge_type: str) -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([rouge_type])


def fuzzy_match(input_text: str, reference: str) -> float:
    from rapidfuzz import fuzz, utils

    return fuzz.WRatio(input_text, reference, processor=utils.default_process) / 100.0


def bleu(input_text: str, reference: str) -> float:
    import sacrebleu

    return sacrebleu.sentence_bleu(input_text, [reference]).score / 100.0


def gleu(input_text: str, reference: str) -> float:
    from nltk.translate.gleu_score import sentence_gleu

    return float(sentence_gleu([tokens(reference)], tokens(input_text)))


def meteor(input_text: str, reference: str) -> float:
    """NLTK METEOR with WordNet synonyms.

    Raises:
        WordNetMissing: no WordNet corpus is available offline.
    """
    from nltk.translate.meteor_score import single_meteor_score

    wordnet = load_wordnet()
    return float(single_meteor_score(tokens(reference), tokens(input_text), wordnet=wordnet))


def rouge(rouge_type: str, input_text: str, reference: str) -> float:
    """F-measure of ``rouge_type`` (``rouge1``..``rouge5``, ``rougeL``)."""
    return float(_rouge(rouge_type).score(reference, input_text)[rouge_type].fmeasure)


def similarity(metric: str, input_text: str, reference: str) -> float:
    """The score of every metric but ``cosine`` (which needs a model client).

    Raises:
        ValueError: unknown metric (or ``cosine``).
        WordNetMissing: ``meteor`` without a WordNet corpus.
    """
    if metric == "fuzzy_match":
        value = fuzzy_match(input_text, reference)
    elif metric == "bleu":
        value = bleu(input_text, reference)
    elif metric == "gleu":
        value = gleu(input_text, reference)
    elif metric == "meteor":
        value = meteor(input_text, reference)
    elif metric in ROUGE_TYPES:
        value = rouge(ROUGE_TYPES[metric], input_text, reference)
    else:
        raise ValueError(f"unknown text_similarity metric {metric!r}")
    return min(1.0, max(0.0, value))


def cosine_of(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors.

    Raises:
        ValueError: different lengths or a zero vector.
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"embeddings of different sizes ({len(a)} and {len(b)})")
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    if norm == 0:
        raise ValueError("an embedding is the zero vector")
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / norm


async def _cosine(
    record: GradeRecord, input_text: str, reference: str, ctx: GradeContext, path: str
) -> GradeRecord:
    if ctx.client is None:
        return not_configured(record)
    request = ModelRequest(kind="embed", model=COSINE_MODEL, inputs=(input_text, reference))
    reply: ModelReply = await ctx.client.call(request, repeat=0)
    call = ModelCallRecord(
        grader=path,
        key=request.key(0),
        request_sha256=request.sha256(),
        model=COSINE_MODEL,
        messages=[{"input": input_text}, {"input": reference}],
        cached=reply.cached,
        usage=reply.usage,
        latency_s=reply.latency_s,
    )
    add_call(record, call, reply)
    if reply.error is not None:
        call.error = reply.error.message
        return fail(
            record,
            "model_grader_server_error",
            f"embeddings call failed: {reply.error.message}",
            details=f"{reply.error.kind}: {reply.error.message}",
        )
    try:
        vectors = reply.embeddings or []
        if len(vectors) != 2:
            raise ValueError(f"expected 2 embeddings, got {len(vectors)}")
        value = cosine_of(vectors[0], vectors[1])
    except ValueError as error:
        call.error = str(error)
        return fail(
            record,
            "model_grader_server_error",
            f"embeddings reply unusable: {error}",
            details=f"bad_embeddings: {error}",
        )
    call.result = value
    record.reward = value
    return record


async def grade(
    grader: dict, item: dict, sample: dict, ctx: GradeContext, path: str
) -> GradeRecord:
    """Run a ``text_similarity`` grader on one pair."""
    record = new_record(grader)
    texts = input_and_reference(grader, item, sample, record)
    if texts is None:
        return record
    input_text, reference = texts
    metric = grader["evaluation_metric"]
    if metric == "cosine":
        return await _cosine(record, input_text, reference, ctx, path)
    try:
        record.reward = similarity(metric, input_text, reference)
    except WordNetMissing as error:
        return fail(record, "other_error", error.msg)
    return record
