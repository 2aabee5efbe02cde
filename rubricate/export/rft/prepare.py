"""``rubricate export rft``: a rubric and two datasets in, an RFT job bundle out (in memory).

:func:`prepare_rft` does everything but writing: it loads the rubric, compiles the grader
(the exact bytes ``rubricate compile`` writes with the same options: every bundle compiles
through :func:`~rubricate.rubrics.compile.choice.compile_choice`, with
:attr:`RftOptions.choice`: ``--target``, ``--judge-model``, ``--panel`` / ``--panel-rule``),
builds the RFT rows
(:mod:`~rubricate.datasets.rft_rows`),
runs every check (:mod:`~rubricate.datasets.checks`, :mod:`~rubricate.datasets.labels`,
:mod:`.hyperparameters`, the job
payload against the ``openai`` types, :mod:`.payload`), finds the calibration run that vetted
these grader bytes (:mod:`.calibration_link`) and assembles the job, the manifest and the
README. :mod:`.bundle` writes the result, and only when :attr:`Prepared.errors` is empty: a
problem anywhere means nothing is written.

Input problems that stop everything at once (a rubric that does not load, that ``rubricate
check`` rejects or that does not compile, a dataset file that is not JSONL) raise; everything
else is collected into :attr:`Prepared.problems` (errors and warnings, each with its file and,
for rows, its line), so one run reports them all.

Also checked, as warnings: a model RFT is not documented for (OpenAI:
``o4-mini-2025-04-16``; Azure OpenAI: ``o4-mini`` 2025-04-16 and ``gpt-5`` 2025-08-07 in
preview); a grader that reads ``{{ sample.output_json }}`` with no ``--response-format`` (the
sample then has JSON only when the model happens to answer with it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rubricate.datasets import checks as dataset_checks
from rubricate.datasets import labels
from rubricate.datasets.response_format import read_response_format, response_format_from
from rubricate.datasets.rft_rows import (
    Rows,
    build_rows,
    grader_item_fields,
    rubric_item_fields,
)
from rubricate.errors import ExportError, InputError
from rubricate.export.rft.calibration_link import find_calibration
from rubricate.export.rft.hyperparameters import batch_warning, parse_hyperparameters
from rubricate.export.rft.manifest import build_manifest, file_record, jsonl, sha256
from rubricate.export.rft.payload import (
    job_payload,
    validate_payload,
    without_pass_threshold,
)
from rubricate.export.rft.readme import render_readme
from rubricate.rubrics.compile.choice import CompileChoice, CompiledGrader, compile_choice
from rubricate.rubrics.items import ItemsFile
from rubricate.rubrics.problems import Problem, Severity, sort_key

if TYPE_CHECKING:
    from rubricate.rubrics.model import Rubric

RFT_MODEL_PREFIXES = ("o4-mini", "gpt-5", "ft:o4-mini", "ft:gpt-5")
"""Models RFT is documented for (and fine-tuned checkpoints of them)."""


@dataclass
class RftOptions:
    """What ``rubricate export rft`` was asked (paths as the user gave them)."""

    rubric: Path
    train: Path
    valid: Path
    model: str
    out: Path
    choice: CompileChoice = field(default_factory=CompileChoice)
    """Which grader: ``--target``, ``--judge-model``, ``--panel`` / ``--panel-rule``."""
    response_format: Path | None = None
    hyperparameters: list[str] = field(default_factory=list)
    suffix: str | None = None
    seed: int | None = None
    balance: str | None = None
    developer: str | None = None
    calibration: list[Path] = field(default_factory=list)
    runs_root: Path | None = None
    """Where ``runs/*/run.json`` is searched (default: the current directory)."""
    platform_options: list[str] = field(default_factory=list)
    """A platform's own ``KEY=VALUE`` settings (``--gemini``), read by that platform's preparer."""


@dataclass
class Prepared:
    """An RFT bundle in memory, with every problem found while preparing it."""

    grader_text: str = ""
    grader_sha256: str = ""
    job: dict[str, Any] = field(default_factory=dict)
    train: Rows | None = None
    valid: Rows | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    readme: str = ""
    problems: list[Problem] = field(default_factory=list)
    # A platform's own files beside the common ones (name -> bytes), e.g. a Lambda package.
    extra_files: dict[str, bytes] = field(default_factory=dict)
    compiled: CompiledGrader | None = None
    """The compiled grader (its ``rubric`` carries the ``--judge-model`` override)."""

    @property
    def rubric(self) -> Rubric:
        """The rubric as compiled: ``judge.model`` is the model that grades."""
        assert self.compiled is not None
        return self.compiled.rubric

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    def files(self) -> dict[str, bytes]:
        """The bundle's files: name -> bytes (``grader.json`` exactly as compiled)."""
        assert self.train is not None and self.valid is not None
        return {
            "grader.json": self.grader_text.encode("utf-8"),
            "train.jsonl": jsonl(self.train),
            "valid.jsonl": jsonl(self.valid),
            "job.json": (json.dumps(self.job, indent=2, ensure_ascii=False) + "\n").encode(),
            "manifest.json": (
                json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n"
            ).encode(),
            "README.md": self.readme.encode("utf-8"),
            **self.extra_files,
        }


def _problem(file: str, message: str, rule: str, severity: Severity = "error") -> Problem:
    return Problem(file, None, None, "", message, severity, rule)


def _balanced(items: ItemsFile, field_name: str, seed: int) -> tuple[ItemsFile, dict[str, Any]]:
    result = labels.balance(items.items, field_name, seed)
    kept = ItemsFile(
        items.path,
        [items.items[i] for i in result.keep],
        [items.lines[i] for i in result.keep],
    )
    return kept, result.report(field_name)


def _response_format(options: RftOptions, rubric_id: str, out: list[Problem]) -> Any:
    if options.response_format is None:
        return None
    path = options.response_format
    data = read_response_format(path)
    try:
        return response_format_from(data, rubric_id)
    except ExportError as error:
        out.append(_problem(str(path), error.msg, "response-format"))
        return None


def _option_problems(options: RftOptions, hyper_problems: list[str]) -> list[Problem]:
    out = [_problem("--hyperparameters", p, "hyperparameter") for p in hyper_problems]
    if options.suffix is not None and not 1 <= len(options.suffix) <= 64:
        out.append(_problem("--suffix", "must be 1 to 64 characters", "suffix"))
    if options.seed is not None and not 0 <= options.seed <= 2_147_483_647:
        out.append(_problem("--seed", "must be an integer from 0 to 2147483647", "seed"))
    if not options.model.startswith(RFT_MODEL_PREFIXES):
        message = (
            f"{options.model}: RFT is documented for o4-mini-2025-04-16 (OpenAI) and o4-mini / "
            "gpt-5-2025-08-07 (Azure OpenAI); the platform may refuse this model"
        )
        out.append(_problem("--model", message, "rft-model", "warning"))
    return out


def prepare_rft(options: RftOptions) -> Prepared:
    """Prepare the bundle (see the module docstring); nothing is written.

    Raises:
        RubricFormatError: the rubric does not load.
        GraderError / InputError: it cannot be compiled to the target.
        InputError: a dataset or response format file cannot be read.
    """
    from rubricate.rubrics.items import read_items
    from rubricate.rubrics.lint import load_checked_rubric

    loaded = load_checked_rubric(options.rubric)
    rubric = loaded.rubric
    prepared = Prepared()
    problems = prepared.problems
    prepared.compiled = compile_choice(rubric, options.choice)
    grader = prepared.compiled.grader
    prepared.grader_text = prepared.compiled.text
    prepared.grader_sha256 = prepared.compiled.sha256
    hyper, hyper_problems = parse_hyperparameters(list(options.hyperparameters))
    problems += _option_problems(options, hyper_problems)
    response_format = _response_format(options, rubric.id, problems)

    train_items, valid_items = read_items(options.train), read_items(options.valid)
    balance_report = None
    if options.balance is not None:
        if not any(options.balance in item for item in train_items.items):
            raise InputError(
                f"--balance {options.balance}: no row of {train_items.path} has that field"
            )
        train_items, balance_report = _balanced(train_items, options.balance, options.seed or 0)
    label_fields = labels.label_fields(rubric, grader)
    if options.balance is not None and options.balance not in label_fields:
        label_fields.append(options.balance)
    fields = rubric_item_fields(loaded) | grader_item_fields(grader)
    rows = {
        name: build_rows(items, task=rubric.task, developer=options.developer, fields=fields)
        for name, items in (("train", train_items), ("valid", valid_items))
    }
    prepared.train, prepared.valid = rows["train"], rows["valid"]
    for items in (train_items, valid_items):
        problems += dataset_checks.item_problems(loaded, items)
    sizes = {r.path: len(jsonl(r)) for r in rows.values()}
    problems += dataset_checks.check_rows(
        rows["train"], rows["valid"], sizes=sizes, label_fields=label_fields
    )
    batch = batch_warning(hyper, len(rows["train"].rows))
    if batch is not None:
        problems.append(_problem("--hyperparameters", batch, "hyperparameter", "warning"))
    if response_format is None and "sample.output_json" in prepared.grader_text:
        message = (
            "the grader reads {{ sample.output_json }} but no --response-format is given; the "
            "sample holds JSON only when the model happens to answer with it"
        )
        problems.append(_problem(str(options.rubric), message, "response-format", "warning"))

    job_grader, removed = without_pass_threshold(grader)
    prepared.job = job_payload(
        model=options.model,
        grader=job_grader,
        hyperparameters=hyper,
        response_format=response_format,
        suffix=options.suffix,
        seed=options.seed,
    )
    if not any(p.file in ("--hyperparameters", "--suffix", "--seed") for p in prepared.errors):
        try:
            validate_payload(prepared.job)
        except ExportError as error:
            problems.append(_problem("job.json", error.msg, "job-payload"))

    link = find_calibration(prepared.grader_sha256, list(options.calibration), options.runs_root)
    problems += [_problem("calibration", w, "calibration", "warning") for w in link.warnings]
    problems.sort(key=sort_key)
    prepared.manifest = build_manifest(
        rubric={
            "path": str(options.rubric),
            "id": rubric.id,
            "sha256": sha256(Path(options.rubric).read_bytes()),
        },
        grader=grader,
        grader_text=prepared.grader_text,
        removed=removed,
        calibration=link.run,
        searched=link.searched,
        model=options.model,
        files={
            "train.jsonl": file_record(rows["train"], options.train),
            "valid.jsonl": file_record(rows["valid"], options.valid),
        },
        item_fields=sorted(fields),
        labels=dataset_checks.label_summary(rows["train"], label_fields),
        balance=balance_report,
        hyperparameters=hyper,
        response_format=response_format is not None,
        warnings=[p.format() for p in prepared.warnings],
    )
    prepared.manifest["grader"]["compile"] = options.choice.record()
    prepared.readme = render_readme(prepared.manifest, prepared.job, str(options.out))
    return prepared
