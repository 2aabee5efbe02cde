"""The ``README.md`` of the TRL, verl and promptfoo bundles (pure text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rubricate import __version__

if TYPE_CHECKING:
    from rubricate.export.reward_bundle import CompiledGrader
    from rubricate.rubrics.items import ItemsFile
    from rubricate.rubrics.loader import LoadedRubric

PROMPTFOO_VERSION = "0.123.1"
PROMPTFOO_NODE = "22.23.3"
"""The promptfoo and Node.js versions the bundle README names (tests/conformance runs them)."""

_ENDPOINT = """\
## Judge endpoint and settings (environment variables)

| variable | default | what |
| --- | --- | --- |
| `OPENAI_API_KEY`, `OPENAI_BASE_URL` | none | the judge (Azure: `AZURE_OPENAI_*`) |
| `RUBRICATE_CONCURRENCY` | 16 | judge requests in flight |
| `RUBRICATE_TIMEOUT` | 120 | seconds per judge request |
| `RUBRICATE_MAX_RETRIES` | 6 | retries of 429/5xx/timeouts per request |
| `RUBRICATE_STORE` | `.rubricate/calls.sqlite` | call store; reruns replay paid calls |
| `RUBRICATE_PYTHON_WORKERS` | 2 | python-grader processes |
| `RUBRICATE_ERROR_RETRIES` | 2 | new judge samples for a pair whose grade failed transiently |
"""

_ERRORS = """\
## Errors are never a silent 0

A completion whose grade fails (after the retries above) is handled per `RUBRICATE_ON_ERROR`:

- `raise` (default): the batch is graded and logged, then `UnscoredRewardError` stops the run
  with the count by error flag and the first reason. Rerun: paid judge calls replay from the store.
- {skip}
- `value:X`: the completion gets the reward X you chose; it is counted and logged.

Whatever the mode, a batch where more than `RUBRICATE_MAX_ERROR_RATE` (0.5) of the completions
fail raises: a judge that is down stops the run. Each batch with errors logs a warning on the
`rubricate.reward` logger; `reward.stats()` returns the running counts.
"""

_SKIP = {
    "trl": "`skip`: the completion's reward is `None`, which TRL ignores when another reward "
    "function scores it (alone, TRL warns and sums it to 0: keep `raise` then).",
    "verl": "(`skip` is refused for verl: it cannot leave one response out of a group.)",
}


def _header(kind: str, loaded: LoadedRubric, compiled: CompiledGrader) -> list[str]:
    return [
        f"# {kind} bundle: {loaded.rubric.id}",
        "",
        f"{loaded.rubric.title}. Exported by rubricate {__version__} from `{loaded.path}`.",
        "",
        f"`grader.json` is the `{compiled.grader['type']}` grader `{compiled.name}` (sha256 "
        f"`{compiled.sha256}`), byte for byte what `rubricate compile` writes and what "
        "`rubricate calibrate` graded. The module refuses a `grader.json` edited since the "
        "export (override: `RUBRICATE_ALLOW_EDITED_GRADER=1`). It needs `pip install "
        "rubricate` in the training environment, nothing else.",
        "",
    ]


def trainer_readme(
    kind: str,
    loaded: LoadedRubric,
    compiled: CompiledGrader,
    func: str,
    items: ItemsFile | None,
) -> str:
    """The README of a ``trl`` or ``verl`` bundle."""
    lines = _header(kind.upper() if kind == "trl" else kind, loaded, compiled)
    data = "dataset.jsonl" if items is not None else None
    if kind == "trl":
        lines += [
            "## Use",
            "",
            "```python",
            "import sys; sys.path.insert(0, 'THIS_FOLDER')",
            "import reward",
            "from trl import GRPOConfig, GRPOTrainer",
            "",
            "trainer = GRPOTrainer(",
            "    model=...,",
            "    reward_funcs=reward.reward_funcs,  # the rubric, then one per criterion",
            "    args=GRPOConfig(reward_weights=reward.reward_weights, ...),  # criteria: 0",
            "    train_dataset=dataset,",
            ")",
            "```",
            "",
            f"`reward.{func}` alone is the rubric's reward. Dataset columns arrive as keyword "
            "arguments and form the grader's `item` (TRL keeps `prompt` out of them: it comes "
            "as `prompts`, added to the item as `prompt`). Completions may be strings or "
            "conversational message lists.",
        ]
        if data:
            lines += [
                "",
                f"`{data}` holds one row per item of `{items.path}`: `prompt` (messages) and "
                "the item's fields: `datasets.load_dataset('json', data_files='dataset.jsonl')`.",
            ]
    else:
        lines += [
            "## Use",
            "",
            "```bash",
            "python -m verl.trainer.main_ppo ... \\",
            "  custom_reward_function.path=THIS_FOLDER/reward.py \\",
            "  reward_model.reward_manager=batch custom_reward_function.name=compute_score_batch",
            "```",
            "",
            "`compute_score` (the default name) grades one response per call; "
            "`compute_score_batch` with the `batch` reward manager grades a batch concurrently "
            "(much faster with a model judge). The grader's `item` is `reward_model.ground_truth`"
            ' when it is a JSON object (or its text), else `{"ground_truth": ...}`, updated '
            "with `extra_info.item` or `extra_info`. Results: `score`, `rubricate_scored`, "
            "`rubricate/<criterion>`.",
        ]
        if data:
            lines += [
                "",
                f"`{data}` holds verl rows for every item of `{items.path}` (the item as JSON in "
                "`reward_model.ground_truth`). Make parquet: `pandas.read_json('dataset.jsonl', "
                "lines=True).to_parquet('train.parquet')`.",
            ]
    lines += ["", _ENDPOINT, _ERRORS.replace("{skip}", _SKIP[kind])]
    return "\n".join(lines)


def promptfoo_readme(
    loaded: LoadedRubric, compiled: CompiledGrader, items: ItemsFile, threshold: float
) -> str:
    """The README of a promptfoo bundle."""
    lines = _header("promptfoo", loaded, compiled)
    lines += [
        "## Use",
        "",
        "```bash",
        "cd THIS_FOLDER",
        "# promptfoo 0.123 needs Node.js >= 22.22: npm's `node` package brings it",
        f"npm install --prefix .promptfoo node@{PROMPTFOO_NODE} promptfoo@{PROMPTFOO_VERSION}",
        'PATH="$PWD/.promptfoo/node_modules/.bin:$PATH" \\',
        '  PROMPTFOO_PYTHON="$(command -v python)" promptfoo eval   # a python with rubricate',
        "```",
        "",
        f"`promptfooconfig.yaml` runs one test per item of `{items.path}` "
        f"({len(items.items)} items); the prompt is `prompt.json` (`{{{{ messages | dump }}}}`:"
        " each test's `messages`, built as an RFT row's). Every test is graded by "
        "`rubricate_assert.py` (a `python` assertion): the test's vars are the grader's item, "
        f"the output its sample. It passes at score >= {threshold:g} (`config.pass_threshold` "
        "in the config); sub-grader rewards show as named scores and component results. A "
        "grade that errors fails the test with the reason (`... could not be graded ...`); "
        "promptfoo records 0 as the score of any assertion that raised, so read the reason, "
        "not the score, of a failed test. Each test's `vars.item` is the item exactly as "
        "written (promptfoo rewrites top-level string variables: a trailing newline, "
        "`{{ name }}`, `file://`), and `defaultTest.options.disableVarExpansion` keeps a list "
        "of gold labels one test instead of one per label. Change `providers` to the models "
        "you compare. These versions are the ones rubricate's conformance suite runs.",
        "",
        _ENDPOINT,
    ]
    return "\n".join(lines)
