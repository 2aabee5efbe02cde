"""The ``README.md`` of the TRL, verl and promptfoo bundles (pure text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rubricate._version import __version__

if TYPE_CHECKING:
    from rubricate.rubrics.compile.choice import CompiledGrader
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
| `RUBRICATE_BATCH_CONCURRENCY` | 64 | pairs graded at once per batch |
| `RUBRICATE_ERROR_RETRIES` | 2 | new judge samples for a pair whose grade failed transiently |

The module uses rubricate's public Python API only (`rubricate.load_grader` and an adapter of
`rubricate.rewards`; see rubricate's `docs/api.md`), so the same grader can be scored from your
own code: `module.grader.score_many([(item, {"output_text": ...})])`.
"""

_ERRORS = """\
## Errors are never a silent number

A completion whose grade fails (after the retries above) is handled per the error policy:
`{on_error}`, chosen at export (`rubricate export {kind} --on-error`); the environment variable
`RUBRICATE_ON_ERROR` overrides it where the module runs.

- `raise`: the batch is graded and logged, then `UnscoredRewardError` stops the run with the
  count by error flag and the first reason. Rerun: paid judge calls replay from the store.
- {none}
- `value:X`: the completion gets the reward X you chose; it is counted and logged{flag}.

Whatever the mode, a batch where more than `RUBRICATE_MAX_ERROR_RATE` (0.5) of the completions
fail raises: a judge that is down stops the run. Each batch with errors logs a warning on the
`rubricate.reward` logger; `reward.stats()` returns the running counts.
"""

_NONE = {
    "trl": "`none`: the completion's reward is `None`, TRL's own \"no reward\": TRL leaves it out "
    "of the weighted sum, and a completion that no reward function scored is out of its "
    "group's baseline with advantage 0 (the per-criterion functions return `None` for it too). "
    "TRL logs `rubricate/unscored`, the share of each batch that could not be graded.",
    "verl": "(`none` is refused for verl: it cannot leave one response out of a group.)",
    "verifiers": "(`none` is refused for verifiers: its Rubric sums float rewards.)",
}
_FLAG = {
    "trl": "",
    "verl": " (`rubricate_scored` is 0 in its result)",
    "verifiers": " (its `rubricate_scored` metric is 0)",
}


def errors_section(kind: str, on_error: str) -> str:
    """The README's error-policy section for a ``trl``, ``verl`` or ``verifiers`` bundle."""
    return (
        _ERRORS.replace("{on_error}", on_error)
        .replace("{kind}", kind)
        .replace("{none}", _NONE[kind])
        .replace("{flag}", _FLAG[kind])
    )


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


def _trl_use(func: str, items: ItemsFile | None) -> list[str]:
    lines = [
        "## Use",
        "",
        "```python",
        "import sys; sys.path.insert(0, 'THIS_FOLDER')",
        "import reward",
        "from datasets import load_dataset",
        "from trl import GRPOConfig, GRPOTrainer",
        "",
        "dataset = load_dataset('json', data_files='THIS_FOLDER/dataset.jsonl', split='train')",
        "trainer = GRPOTrainer(",
        "    model=...,",
        "    reward_funcs=reward.async_reward_funcs,  # or reward.reward_funcs (plain def)",
        "    args=GRPOConfig(reward_weights=reward.reward_weights, ...),",
        "    train_dataset=dataset,",
        ")",
        "```",
        "",
        "`reward_funcs` are the rubric's reward, then one function per criterion (weight 0: "
        "TRL logs each one's mean and per-completion values, they do not count). "
        "`async_reward_funcs` are the same functions as `async def`, with the same names: TRL "
        "runs them concurrently on its event loop, which a model judge wants; every "
        "completion is graded once for all of them, the judge calls of a batch concurrently. "
        f"`reward.{func}` alone is the rubric's reward. Dataset columns arrive as keyword "
        "arguments and form the grader's `item` (TRL keeps `prompt` out of them: it comes as "
        "`prompts`, added to the item as `prompt`). Completions may be strings or "
        "conversational message lists.",
    ]
    if items is not None:
        lines += [
            "",
            f"`dataset.jsonl` holds one row per item of `{items.path}`: `prompt` (messages) "
            "and the item's fields.",
        ]
    return lines


def _verl_use(items: ItemsFile | None) -> list[str]:
    lines = [
        "## Use",
        "",
        "```bash",
        "python -m verl.trainer.main_ppo ... \\",
        "  reward.custom_reward_function.path=THIS_FOLDER/reward.py \\",
        "  reward.custom_reward_function.name=compute_score_async",
        "```",
        "",
        "`compute_score_async` (an `async def`) lets verl's default `naive` reward manager "
        "grade every response of a batch at once; with a model judge that is what you want. "
        "For verl's `remote` reward manager (scoring in Ray worker processes, which takes no "
        "`async def`), use the plain function:",
        "",
        "```bash",
        "python -m verl.trainer.main_ppo ... \\",
        "  reward.custom_reward_function.path=THIS_FOLDER/reward.py \\",
        "  reward.custom_reward_function.name=compute_score \\",
        "  reward.reward_manager.name=remote",
        "```",
        "",
        "These are verl 0.9's keys: `main_ppo` no longer reads the top-level "
        "`custom_reward_function.*` keys (it would silently score with its built-in "
        "functions), and the `batch` reward manager is gone. The grader's `item` is "
        "`reward_model.ground_truth` when it is a JSON object (or its text), else "
        '`{"ground_truth": ...}`, updated with `extra_info.item`, or with the fields of '
        "`extra_info` verl did not add itself (`index`, `num_turns`, `rollout_reward_scores`, "
        "`tools_kwargs` never reach the grader). Results: `score`, `rubricate_scored`, "
        "`rubricate/<criterion>`.",
    ]
    if items is not None:
        lines += [
            "",
            f"`dataset.jsonl` holds verl rows for every item of `{items.path}` (the item as "
            "JSON in `reward_model.ground_truth`). Make parquet: `pandas.read_json("
            "'dataset.jsonl', lines=True).to_parquet('train.parquet')`, then "
            "`data.train_files=train.parquet`.",
        ]
    return lines


def trainer_readme(
    kind: str,
    loaded: LoadedRubric,
    compiled: CompiledGrader,
    func: str,
    items: ItemsFile | None,
    on_error: str = "raise",
) -> str:
    """The README of a ``trl`` or ``verl`` bundle."""
    lines = _header(kind.upper() if kind == "trl" else kind, loaded, compiled)
    lines += _trl_use(func, items) if kind == "trl" else _verl_use(items)
    lines += ["", _ENDPOINT, errors_section(kind, on_error)]
    return "\n".join(lines)


def verifiers_readme(
    loaded: LoadedRubric,
    compiled: CompiledGrader,
    items: ItemsFile,
    env_id: str,
    func: str,
    on_error: str,
) -> str:
    """The README of a ``verifiers`` bundle."""
    module = env_id.replace("-", "_")
    lines = _header("verifiers", loaded, compiled)
    lines += [
        "## Use",
        "",
        "```bash",
        "pip install -e THIS_FOLDER   # the environment package (vf-install does the same)",
        f"vf-eval {env_id} -m MODEL -b BASE_URL -k API_KEY_VAR -n -1 -r 4 -s",
        "```",
        "",
        f"`{module}.py` is a verifiers environment module (verifiers 0.3: `import verifiers as "
        "vf`, the API prime-rl and the Environments Hub load). `load_environment()` returns a "
        f"`vf.SingleTurnEnv` over `dataset.jsonl` ({len(items.items)} items of `{items.path}`:"
        " each row's `prompt` messages, built as an RFT row's with a `developer` message as "
        "`system`, the role verifiers knows, and the item as `info`), scored "
        "by a `vf.Rubric` whose functions are",
        "",
        f"- `{func}` (weight 1): the grader's reward;",
        f"- `{compiled.name}/<criterion>` (weight 0): one metric per sub-grader of a `multi` "
        "grader;",
        "- `rubricate_scored` (weight 0): 1, or 0 for a rollout that could not be graded.",
        "",
        "The Rubric grades a group's rollouts at once (judge calls concurrent), each once, "
        'before verifiers calls the functions; the outcome is in the state\'s `"rubricate"`. '
        "Train with it as with any verifiers environment (prime-rl: the environment id "
        f"`{env_id}`).",
        "",
        _ENDPOINT,
        errors_section("verifiers", on_error),
        "With `raise`, the error leaves the Rubric's `score_group` (verifiers would otherwise "
        "turn an exception inside a reward function into a reward of 0). With `value:X`, the "
        "rollout's criterion metrics are X too: verifiers sums every function times its weight, "
        "and a missing value would make the reward NaN.",
    ]
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
