"""Run a real ``trl.GRPOTrainer`` with an exported TRL bundle and report what TRL logged.

Usage (in the trainers' venv): ``python trl_run.py SPEC.json``. The spec lists cases, each
with its bundle, its samples per item id and its runs (sync or async reward functions, string
or conversational prompts). Each run trains a tiny random model (``tiny_lm``) for a few steps,
exactly as the bundle's README says: ``GRPOTrainer(model, reward_funcs=reward.reward_funcs or
reward.async_reward_funcs, args=GRPOConfig(reward_weights=reward.reward_weights, ...),
train_dataset=load_dataset('json', data_files='dataset.jsonl'))``. Only the generation is
scripted, through TRL's own ``rollout_func`` hook: each prompt's completions are the case's
samples for its item, in turn, so TRL decodes, grades, weighs and logs real (item, sample)
pairs. What TRL logged (``log_completions``: one parquet file per step under
``completions/``, every completion with each reward function's value and its advantage) is
written to ``SPEC.out/result.json`` (case -> run -> rows).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny_lm import tiny_model, train_tokenizer  # noqa: E402


def load_bundle(folder: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, folder / "reward.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prompt_key(prompt: Any) -> str:
    """The text identifying a prompt (string, or the last message of a conversation)."""
    if isinstance(prompt, str):
        return prompt
    last = list(prompt)[-1]
    return str(last["content"])


def as_string_prompt(messages: list[dict]) -> str:
    return "\n\n".join(str(m["content"]) for m in messages)


def completion_text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    return str(list(completion)[-1]["content"])


def number(value: Any) -> float | None:
    """A logged reward: TRL stores a reward function's ``None`` as NaN."""
    value = float(value)
    return None if math.isnan(value) else value


def run(spec: dict, run_spec: dict, tokenizer, out: Path) -> dict:
    """One training run of one case (``spec``: the case's part of the spec)."""
    import pandas as pd
    from datasets import load_dataset
    from trl import GRPOConfig, GRPOTrainer

    bundle = Path(spec["bundle"])
    reward = load_bundle(bundle, f"reward_{spec['name']}_{run_spec['name'].replace('-', '_')}")
    dataset = load_dataset("json", data_files=str(bundle / "dataset.jsonl"), split="train")
    if not run_spec["conversational"]:
        dataset = dataset.map(lambda row: {"prompt": as_string_prompt(row["prompt"])})
    ids_by_prompt = {prompt_key(row["prompt"]): row["id"] for row in dataset}
    samples: dict[str, list[str]] = spec["samples"]
    handed: dict[str, int] = {}

    def rollout_func(prompts: list, trainer: Any) -> dict:
        prompt_ids, completion_ids = [], []
        for prompt in prompts:
            item_id = ids_by_prompt[prompt_key(prompt)]
            turn = handed.get(item_id, 0)
            handed[item_id] = turn + 1
            text = samples[item_id][turn % len(samples[item_id])]
            if isinstance(prompt, str):
                ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            else:
                ids = tokenizer.apply_chat_template(
                    prompt, add_generation_prompt=True, tokenize=True, return_dict=True
                )["input_ids"]
            prompt_ids.append(list(ids))
            text_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            completion_ids.append([*text_ids, tokenizer.eos_token_id])
        logprobs = [[0.0] * len(c) for c in completion_ids]
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": logprobs}

    funcs = reward.async_reward_funcs if run_spec["async"] else reward.reward_funcs
    run_dir = out / spec["name"] / run_spec["name"]
    args = GRPOConfig(
        output_dir=str(run_dir),
        per_device_train_batch_size=len(samples) * spec["generations"],  # every item a step
        num_generations=spec["generations"],
        max_steps=spec["steps"],
        max_completion_length=8192,
        learning_rate=1e-4,
        logging_steps=1,
        log_completions=True,
        num_completions_to_print=0,
        report_to="none",
        shuffle_dataset=False,
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        seed=0,
        reward_weights=reward.reward_weights,
        dataloader_num_workers=0,
    )
    trainer = GRPOTrainer(
        model=tiny_model(tokenizer),
        processing_class=tokenizer,
        reward_funcs=funcs,
        args=args,
        train_dataset=dataset,
        rollout_func=rollout_func,
    )
    trainer.train()
    names = [f.__name__ for f in funcs]
    rows = []
    for path in sorted((run_dir / "completions").glob("completions_*.parquet")):
        frame = pd.read_parquet(path)
        for record in frame.to_dict("records"):
            rows.append(
                {
                    "step": int(record["step"]),
                    "id": ids_by_prompt[prompt_key(record["prompt"])],
                    "completion": completion_text(record["completion"]),
                    "rewards": {name: number(record[name]) for name in names},
                    "advantage": float(record["advantage"]),
                }
            )
    metrics = [entry for entry in trainer.state.log_history if "reward" in entry]
    return {"reward_names": names, "rows": rows, "metrics": metrics, "stats": reward.stats()}


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    texts = []
    for case in spec["cases"]:
        texts += [text for texts in case["samples"].values() for text in texts]
        lines = Path(case["bundle"], "dataset.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        texts += [str(m["content"]) for row in rows for m in row["prompt"]]
    tokenizer = train_tokenizer(texts, out / "tokenizer")
    result = {
        case["name"]: {
            r["name"]: run({**spec, **case}, r, tokenizer, out) for r in case["runs"]
        }
        for case in spec["cases"]
    }
    (out / "result.json").write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
