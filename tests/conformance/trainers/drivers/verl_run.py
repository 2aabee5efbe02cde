"""Run verl's own reward loop with an exported verl bundle and report the rewards it computed.

Usage (in the trainers' venv): ``python verl_run.py SPEC.json``. For each case, each launch
command of the bundle's README (its ``key=value`` overrides, as the spec carries them) is
parsed by verl's own Hydra config (``verl/trainer/config/ppo_trainer.yaml``, what
``python -m verl.trainer.main_ppo`` composes), plus the test's sizing (``reward.num_workers``,
the tokenizer path, prompt lengths). Then, as ``main_ppo``'s trainer does, a
``RewardLoopManager`` on a local Ray cluster (started with verl's PPO runtime env) loads the
function and the reward manager the config names (``naive`` or ``remote``) and scores a batch:
the rows of the bundle's ``dataset.jsonl`` made into parquet as the README says and read by
verl's ``RLHFDataset``, each repeated once per sample, with the sample's tokens as the
response (tokenizer trained here, ``tiny_lm``). Per response: the score (``rm_scores`` summed
over tokens) and verl's ``reward_extra_info``. Written to ``SPEC.out/result.json``.

It also records what verl makes of the keys older bundles gave (``legacy``): the path of the
custom function it would load, and whether the ``batch`` reward manager exists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny_lm import train_tokenizer  # noqa: E402


def compose(overrides: list[str]):
    """verl's main_ppo config with ``overrides``, composed by Hydra from verl's own files."""
    import verl.trainer.main_ppo as main_ppo
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    config_dir = str(Path(main_ppo.__file__).parent / "config")
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=overrides)


def legacy(bundle: Path) -> dict[str, Any]:
    """What verl 0.9 does with the launch keys of older bundles."""
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = compose(
        [
            f"custom_reward_function.path={bundle / 'reward.py'}",
            "custom_reward_function.name=compute_score_batch",
            "reward_model.reward_manager=batch",
        ]
    )
    try:
        get_reward_manager_cls("batch")
        batch_manager = True
    except ValueError:
        batch_manager = False
    return {
        "loaded_function": get_custom_reward_fn(config) is not None,
        "manager": config.reward.reward_manager.name,
        "batch_manager_exists": batch_manager,
    }


def batch(rows: list[dict], samples: dict[str, list[str]], tokenizer) -> tuple[Any, list]:
    """A DataProto as verl's agent loop hands it to the reward loop: one response per sample."""
    import numpy as np
    import torch
    from verl import DataProto

    prompts, responses, meta, keys = [], [], [], []
    for row in rows:
        item_id = json.loads(row["reward_model"]["ground_truth"])["id"]
        prompt = tokenizer.apply_chat_template(
            list(row["raw_prompt"]), add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        for text in samples[item_id]:
            prompts.append(list(prompt))
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            responses.append([*ids, tokenizer.eos_token_id])
            meta.append(row)
            keys.append((item_id, text))
    width_p = max(len(p) for p in prompts)
    width_r = max(len(r) for r in responses)
    pad = tokenizer.pad_token_id
    prompt_t = torch.tensor([[pad] * (width_p - len(p)) + p for p in prompts])
    response_t = torch.tensor([r + [pad] * (width_r - len(r)) for r in responses])
    mask = torch.tensor(
        [
            [0] * (width_p - len(p)) + [1] * (len(p) + len(r)) + [0] * (width_r - len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]
    )
    data = DataProto.from_dict(
        tensors={
            "prompts": prompt_t,
            "responses": response_t,
            "input_ids": torch.cat([prompt_t, response_t], dim=1),
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array([m["data_source"] for m in meta], dtype=object),
            "reward_model": np.array([dict(m["reward_model"]) for m in meta], dtype=object),
            "extra_info": np.array([dict(m["extra_info"]) for m in meta], dtype=object),
        },
    )
    return data, keys


def score(config, data) -> dict[str, Any]:
    """``RewardLoopManager(config).compute_rm_score(data)``, as verl's trainer calls it."""
    import ray
    from verl.experimental.reward_loop import RewardLoopManager

    manager = RewardLoopManager(config)
    try:
        out = manager.compute_rm_score(data)
    finally:
        for worker in manager.reward_loop_workers:
            ray.kill(worker)
    scores = out.batch["rm_scores"].sum(dim=-1).tolist()
    extra = {key: [_plain(v) for v in out.non_tensor_batch[key]] for key in out.non_tensor_batch}
    return {"scores": scores, "extra": extra}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def run_case(case: dict, spec: dict, tokenizer, tokenizer_dir: Path) -> dict:
    import pandas as pd
    from verl.utils.dataset.rl_dataset import RLHFDataset

    bundle = Path(case["bundle"])
    parquet = Path(spec["out"]) / f"{case['name']}.parquet"
    pd.read_json(bundle / "dataset.jsonl", lines=True).to_parquet(parquet)  # the README's line
    sizing = [
        f"actor_rollout_ref.model.path={tokenizer_dir}",
        f"data.train_files={parquet}",
        "data.max_prompt_length=16384",
        "data.filter_overlong_prompts=false",
        f"reward.num_workers={spec['num_workers']}",
    ]
    out: dict[str, Any] = {"legacy": legacy(bundle), "launches": []}
    for overrides in case["launches"]:
        config = compose([*overrides, *sizing])
        dataset = RLHFDataset(data_files=str(parquet), tokenizer=tokenizer, config=config.data)
        rows = [dataset[i] for i in range(len(dataset))]
        data, keys = batch(rows, case["samples"], tokenizer)
        result = {
            "overrides": overrides,
            "function": config.reward.custom_reward_function.name,
            "manager": config.reward.reward_manager.name,
            "keys": keys,
        }
        try:
            result.update(score(config, data))
        except Exception as error:  # noqa: BLE001 - reported to the test, which judges it
            result["error"] = f"{type(error).__name__}: {error}"
        out["launches"].append(result)
    return out


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: ray.shutdown()


def main() -> None:
    import signal

    import ray

    signal.signal(signal.SIGTERM, _terminate)
    from verl.trainer.constants_ppo import get_ppo_ray_runtime_env

    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    texts = []
    for case in spec["cases"]:
        texts += [text for texts in case["samples"].values() for text in texts]
        lines = Path(case["bundle"], "dataset.jsonl").read_text(encoding="utf-8").splitlines()
        texts += [str(m["content"]) for line in lines for m in json.loads(line)["prompt"]]
    tokenizer_dir = out / "tokenizer"
    tokenizer = train_tokenizer(texts, tokenizer_dir)
    # a local cluster on the loopback address only, with verl's PPO runtime env (as main_ppo);
    # Ray gives its node 30 s to start, which a loaded 2-core machine can miss: try again
    for attempt in range(3):
        try:
            ray.init(
                num_cpus=4,
                include_dashboard=False,
                runtime_env=get_ppo_ray_runtime_env(),
                _node_ip_address="127.0.0.1",
            )
            break
        except Exception as error:  # noqa: BLE001 - Ray raises a bare Exception here
            print(f"verl_run: ray.init failed ({error}); attempt {attempt + 1}", flush=True)
            ray.shutdown()
            if attempt == 2:
                raise
    try:
        result = {}
        for case in spec["cases"]:
            print(f"verl_run: {case['name']}", flush=True)
            result[case["name"]] = run_case(case, spec, tokenizer, tokenizer_dir)
    finally:
        ray.shutdown()
    (out / "result.json").write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
