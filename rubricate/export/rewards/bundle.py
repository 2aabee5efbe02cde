"""The files of the open-source trainer bundles: TRL, verl and promptfoo (pure; no writing).

Every bundle holds ``grader.json``, the exact bytes of
:func:`~rubricate.rubrics.compile.choice.compile_choice` (what ``rubricate compile`` writes
and calibration grades with the same ``--target`` / ``--judge-model`` / ``--panel``), a
module rendered from ``rubricate/export/templates/`` that records the
grader's SHA-256 and runs that file through the local runtime, and a ``README.md``.

- TRL (:func:`trainer_files` ``"trl"``): ``reward.py`` with the reward function, one function
  per sub-grader, ``reward_funcs`` and ``reward_weights``; with items, ``dataset.jsonl``: one row
  per item, ``prompt`` (the RFT row's messages, conversational format) plus the item's fields.
- verl (``"verl"``): ``reward.py`` with ``compute_score`` and ``compute_score_batch``; with items,
  ``dataset.jsonl`` in verl's RL row shape: ``data_source`` (the rubric id), ``prompt``
  (messages), ``ability`` (``"rubric"``), ``reward_model`` ``{"style": "rule",
  "ground_truth": <the item as JSON text>}`` and ``extra_info`` ``{"index", "id"}``. JSON text
  keeps the parquet schema flat whatever the items hold;
  :func:`rubricate.export.rewards.verl.item_from`
  parses it back. Convert with ``pandas.read_json(path, lines=True).to_parquet(...)``.
- promptfoo (:func:`promptfoo_files`): see :mod:`rubricate.export.rewards.promptfoo`.

Rows are built by :func:`rubricate.datasets.rft_rows.build_row`, so every target shows the model
the prompt an RFT job shows. An item that yields no row is an error naming its file and line.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

from rubricate._version import __version__
from rubricate.datasets.rft_rows import build_row
from rubricate.errors import ExportError
from rubricate.rubrics.compile.choice import CompileChoice, CompiledGrader, compile_choice
from rubricate.rubrics.items import ItemsFile
from rubricate.rubrics.loader import LoadedRubric

if TYPE_CHECKING:
    from rubricate.rubrics.compile import Target


def compile_for_bundle(
    loaded: LoadedRubric, target: Target | None = None, *, choice: CompileChoice | None = None
) -> CompiledGrader:
    """Compile and validate ``loaded`` exactly as ``rubricate compile`` does: with ``choice``
    (``--target`` / ``--judge-model`` / ``--panel``), else to ``target``.

    Raises:
        GraderError, InputError: the rubric cannot be compiled as asked.
    """
    return compile_choice(loaded.rubric, choice or CompileChoice(target=target))


def render_template(name: str, **values: Any) -> str:
    """A shipped template with ``${key}`` placeholders filled (every key must be given)."""
    text = resources.files("rubricate.export").joinpath("templates", name).read_text("utf-8")
    return Template(text).substitute({k: str(v) for k, v in values.items()})


def python_name(text: str) -> str:
    """A valid Python identifier from a grader name (``accordance-s-corp`` ->
    ``accordance_s_corp_reward``)."""
    slug = re.sub(r"\W+", "_", text).strip("_").lower() or "rubric"
    if slug[0].isdigit():
        slug = f"r_{slug}"
    return f"{slug}_reward"


def item_rows(loaded: LoadedRubric, items: ItemsFile) -> list[dict[str, Any]]:
    """Each item with its prompt ``messages`` (as an RFT row builds them) and every field.

    Raises:
        ExportError: an item with bad messages, or whose prompt cannot be built (the message
            names the file and line).
    """
    rows = []
    for item, line in zip(items.items, items.lines, strict=True):
        row, problem, _ = build_row(item, task=loaded.rubric.task, developer=None, fields=set(item))
        if row is None:
            why = problem or "the rubric's task needs an item field this item lacks"
            raise ExportError(f"{items.path}:{line}: cannot build the prompt: {why}")
        rows.append(row)
    return rows


def _trainer_rows(kind: str, loaded: LoadedRubric, items: ItemsFile) -> list[dict[str, Any]]:
    out = []
    for index, row in enumerate(item_rows(loaded, items)):
        item = {k: v for k, v in row.items() if k != "messages"}
        if kind == "trl":
            out.append({"prompt": row["messages"], **item})
        else:
            out.append(
                {
                    "data_source": loaded.rubric.id,
                    "prompt": row["messages"],
                    "ability": "rubric",
                    "reward_model": {
                        "style": "rule",
                        "ground_truth": json.dumps(item, ensure_ascii=False, sort_keys=True),
                    },
                    "extra_info": {"index": index, "id": str(item.get("id", index))},
                }
            )
    return out


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def trainer_files(
    kind: str,
    loaded: LoadedRubric,
    compiled: CompiledGrader,
    items: ItemsFile | None,
    on_error: str = "raise",
) -> dict[str, bytes]:
    """The files of a ``trl`` or ``verl`` bundle (name -> bytes).

    ``on_error`` is the error policy the module starts with (``RUBRICATE_ON_ERROR`` overrides
    it where it runs).

    Raises:
        InputError: ``on_error`` is not a policy ``kind`` can take.
    """
    from rubricate.export.rewards.common import ErrorPolicy
    from rubricate.export.rewards.readme import trainer_readme

    ErrorPolicy.parse(on_error, kind)
    func = python_name(compiled.name)
    module = render_template(
        f"{kind}_reward.py.tmpl",
        on_error=on_error.strip().lower(),
        title=loaded.rubric.title.replace('"', "'"),
        version=__version__,
        grader_name=compiled.name,
        grader_type=compiled.grader["type"],
        sha256=compiled.sha256,
        func_name=func,
        sub_prefix=f"{compiled.name}/",
    )
    files = {"grader.json": compiled.text.encode("utf-8"), "reward.py": module.encode("utf-8")}
    if items is not None:
        files["dataset.jsonl"] = _jsonl(_trainer_rows(kind, loaded, items))
    readme = trainer_readme(kind, loaded, compiled, func, items, on_error.strip().lower())
    files["README.md"] = readme.encode("utf-8")
    return files


def _yaml_text(data: dict[str, Any]) -> str:
    """YAML for promptfoo: block style, multi-line strings as literal blocks, order kept."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    def literal(value: Any) -> Any:
        if isinstance(value, str) and "\n" in value:
            return LiteralScalarString(value)
        if isinstance(value, dict):
            return {k: literal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [literal(v) for v in value]
        return value

    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(literal(data), out)
    return out.getvalue()


def promptfoo_files(
    loaded: LoadedRubric,
    compiled: CompiledGrader,
    items: ItemsFile,
    *,
    providers: list[str],
    threshold: float,
) -> dict[str, bytes]:
    """The files of a promptfoo bundle (see :mod:`rubricate.export.rewards.promptfoo`)."""
    from rubricate.export.rewards.promptfoo import PROMPT_TEMPLATE, check_item
    from rubricate.export.rewards.readme import promptfoo_readme

    tests = []
    rows = item_rows(loaded, items)
    for item, row, line in zip(items.items, rows, items.lines, strict=True):
        check_item(item, row["messages"], f"{items.path}:{line}")
        label = row.get("id", f"{items.path}:{line}")
        variables = {"item": item, "messages": row["messages"]}
        tests.append({"description": str(label), "vars": variables})
    config = {
        "description": f"{loaded.rubric.title} (rubricate grader {compiled.name}, sha256 "
        f"{compiled.sha256[:12]})",
        "prompts": ["file://prompt.json"],
        "providers": list(providers),
        "defaultTest": {
            # a list of strings among a test's vars would make one test per element
            "options": {"disableVarExpansion": True},
            "assert": [
                {
                    "type": "python",
                    "value": "file://rubricate_assert.py",
                    "config": {"pass_threshold": threshold},
                }
            ]
        },
        "tests": tests,
    }
    header = "# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json\n"
    module = render_template(
        "promptfoo_assert.py.tmpl",
        title=loaded.rubric.title.replace('"', "'"),
        version=__version__,
        grader_name=compiled.name,
        grader_type=compiled.grader["type"],
        sha256=compiled.sha256,
        pass_threshold=repr(float(threshold)),
    )
    return {
        "grader.json": compiled.text.encode("utf-8"),
        "rubricate_assert.py": module.encode("utf-8"),
        "prompt.json": PROMPT_TEMPLATE.encode("utf-8"),
        "promptfooconfig.yaml": (header + _yaml_text(config)).encode("utf-8"),
        "README.md": promptfoo_readme(loaded, compiled, items, threshold).encode("utf-8"),
    }


def verifiers_env_id(loaded: LoadedRubric) -> str:
    """The environment id of a verifiers bundle (``rubricate-<rubric id>``); its module name
    is this with ``-`` as ``_`` (verifiers imports ``env_id.replace('-', '_')``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", loaded.rubric.id.lower()).strip("-") or "rubric"
    return f"rubricate-{slug}"


_VERIFIERS_PYPROJECT = """\
[project]
name = "{env_id}"
description = "verifiers environment: {title} (rubricate grader {name}, sha256 {short})"
tags = ["rubricate", "rubric", "train", "eval"]
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["verifiers>=0.3.1,<0.4", "rubricate>={version}", "datasets"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build]
include = ["{module}.py", "grader.json", "dataset.jsonl", "pyproject.toml"]

[tool.verifiers.eval]
num_examples = -1
rollouts_per_example = 4
"""


def _verifiers_message(message: dict[str, Any]) -> dict[str, Any]:
    """verifiers' message types are system, user, assistant and tool: a ``developer`` message
    (the RFT row's instructions) is its ``system`` message."""
    if message.get("role") == "developer":
        return {**message, "role": "system"}
    return message


def verifiers_files(
    loaded: LoadedRubric, compiled: CompiledGrader, items: ItemsFile, on_error: str = "raise"
) -> dict[str, bytes]:
    """The files of a ``verifiers`` bundle (see :mod:`rubricate.export.rewards.verifiers`):
    ``<module>.py`` (``load_environment``), ``grader.json``, ``dataset.jsonl`` (one row per
    item: ``prompt`` messages, a ``developer`` one as ``system``, which verifiers knows, and
    ``info``, the item as JSON text), ``pyproject.toml`` (an
    installable environment package, as ``vf-init`` lays it out) and ``README.md``.

    Raises:
        InputError: ``on_error`` is not a policy verifiers can take.
        ExportError: an item whose prompt cannot be built.
    """
    from rubricate.export.rewards.common import ErrorPolicy
    from rubricate.export.rewards.readme import verifiers_readme

    ErrorPolicy.parse(on_error, "verifiers")
    policy = on_error.strip().lower()
    env_id = verifiers_env_id(loaded)
    module_name = env_id.replace("-", "_")
    func = python_name(compiled.name)
    title = loaded.rubric.title.replace('"', "'")
    module = render_template(
        "verifiers_env.py.tmpl",
        title=title,
        version=__version__,
        grader_name=compiled.name,
        grader_type=compiled.grader["type"],
        sha256=compiled.sha256,
        func_name=func,
        sub_prefix=f"{compiled.name}/",
        env_id=env_id,
        on_error=policy,
    )
    rows = [
        {
            "prompt": [_verifiers_message(m) for m in row["messages"]],
            "info": json.dumps(
                {k: v for k, v in row.items() if k != "messages"}, ensure_ascii=False
            ),
        }
        for row in item_rows(loaded, items)
    ]
    pyproject = _VERIFIERS_PYPROJECT.format(
        env_id=env_id,
        title=title,
        name=compiled.name,
        short=compiled.sha256[:12],
        version=__version__,
        module=module_name,
    )
    readme = verifiers_readme(loaded, compiled, items, env_id, func, policy)
    return {
        "grader.json": compiled.text.encode("utf-8"),
        f"{module_name}.py": module.encode("utf-8"),
        "dataset.jsonl": _jsonl(rows),
        "pyproject.toml": pyproject.encode("utf-8"),
        "README.md": readme.encode("utf-8"),
    }
