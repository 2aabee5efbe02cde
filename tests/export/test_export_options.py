"""``export ... --judge-model`` and ``--panel``: one compile for the bundle, its checks, its
``--verify`` and its manifest, byte for byte ``rubricate compile`` with the same options.

The shipped tax example is judged by o4-mini, which Azure does not let grade; with
``--judge-model`` (an allowed model) it exports to Azure unedited, and ``--verify`` shows every
deterministic part equal. A panel of judges exports wherever its ``multi`` grader runs
(OpenAI, Azure, Bedrock's Lambda); Gemini's composite cannot pool one and says so (exit 2),
its Cloud Run fallback runs it exactly.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from rubricate.cli import run
from rubricate.export.rft.azure_profile import ALLOWED_GRADER_MODELS
from rubricate.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
TAX = ROOT / "examples" / "accordance_tax"
EUROVOC = ROOT / "examples" / "eurovoc"
ALLOWED = "o3-mini-2025-01-31"
PANEL = "gpt-4o-2024-08-06,o3-mini-2025-01-31"
MODELS = {
    "openai": "o4-mini-2025-04-16",
    "azure": "o4-mini-2025-04-16",
    "bedrock": "amazon.nova-2-lite-v1:0:256k",
    "gemini": "gemini-2.5-flash",
}
GEMINI = ["--gemini", "project=test-project", "--gemini", "gcs=gs://test-bucket/rl"]
SERVE = ["--gemini", "reward=cloudrun", "--gemini", "serve_url=https://reward.example.run.app"]
CHOICES = {
    "judge-model": ["--judge-model", ALLOWED],
    "panel": ["--panel", PANEL],
    "panel-mean": ["--panel", PANEL, "--panel-rule", "mean"],
    "target-and-judge": ["--target", "multi", "--judge-model", ALLOWED],
}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path: runs/ and the call store are looked for there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli(argv: list[str]) -> int:
    try:
        return run(argv)
    except SystemExit as done:  # --verify's exit 1
        return int(done.code or 0)


def _export(out: Path, platform: str, *extra: str, folder: Path = TAX) -> int:
    gemini = GEMINI if platform == "gemini" else []
    return _cli(
        ["export", "rft", str(folder / "rubric.yaml"), "--train", str(folder / "train.jsonl"),
         "--valid", str(folder / "valid.jsonl"), "--model", MODELS[platform], "--out", str(out),
         "--platform", platform, *gemini, *extra]
    )  # fmt: skip


def _compiled(tmp_path: Path, *options: str, folder: Path = TAX) -> bytes:
    path = tmp_path / "compiled.json"
    assert run(["compile", str(folder / "rubric.yaml"), "-o", str(path), *options]) == 0
    return path.read_bytes()


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("rubricate: error:")]


def _small_set(tmp_path: Path, answers: int = 2) -> Path:
    """The tax calibration set's first item with its first ``answers`` answers."""
    item = json.loads((TAX / "calibration.jsonl").read_text(encoding="utf-8").splitlines()[0])
    item["answers"] = item["answers"][:answers]
    path = tmp_path / "small.jsonl"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("choice", list(CHOICES))
@pytest.mark.parametrize("platform", ["openai", "azure", "bedrock"])
def test_the_bundle_grader_is_compile_with_the_same_options(
    in_tmp: Path, platform: str, choice: str, capsys: pytest.CaptureFixture[str]
):
    options = CHOICES[choice]
    assert _export(in_tmp / "out", platform, *options) == 0, capsys.readouterr().err
    written = (in_tmp / "out" / "grader.json").read_bytes()
    assert written == _compiled(in_tmp, *options)
    manifest = json.loads((in_tmp / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["grader"]["sha256"] == hashlib.sha256(written).hexdigest()
    record = manifest["grader"]["compile"]
    assert record["judge_model"] == (ALLOWED if "--judge-model" in options else None)
    assert record["panel"] == (PANEL.split(",") if "--panel" in options else [])
    assert record["panel_rule"] == (
        ("mean" if "mean" in options else "majority") if "--panel" in options else None
    )
    grader = json.loads(written)
    models = {g.get("model") for g in grader["graders"].values() if g["type"] == "score_model"}
    assert models == (set(PANEL.split(",")) if "--panel" in options else {ALLOWED})
    if platform == "bedrock":  # the Lambda runs the same bytes
        with zipfile.ZipFile(in_tmp / "out" / "lambda.zip") as package:
            assert package.read("grader.json") == written


def test_the_tax_example_exports_to_azure_with_an_allowed_judge_model(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
):
    assert _export(in_tmp / "refused", "azure") == 2
    (problem, _) = _errors(capsys.readouterr().err)
    assert f"--judge-model {ALLOWED}" in problem
    assert all(model in problem for model in ALLOWED_GRADER_MODELS)
    assert _export(in_tmp / "out", "azure", "--judge-model", ALLOWED, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["platform"] == "azure" and summary["files"]["grader.json"]
    readme = (in_tmp / "out" / "README.md").read_text(encoding="utf-8")
    assert "## Azure AI Foundry" in readme
    assert f"byte for byte what `rubricate compile RUBRIC --judge-model {ALLOWED}` writes" in readme


@pytest.mark.parametrize(
    ("options", "start", "fragment"),
    [
        (
            ["--judge-model", "o4-mini-2025-04-16"],
            "rubricate: error: --judge-model: o4-mini-2025-04-16 cannot grade Azure AI Foundry",
            f"did you mean {ALLOWED}?",
        ),
        (
            ["--panel", "gpt-4o-2024-08-06,o4-mini-2025-04-16"],
            "rubricate: error: --panel: o4-mini-2025-04-16 cannot grade Azure AI Foundry",
            "replace o4-mini-2025-04-16 in the panel",
        ),
    ],
)
def test_a_refused_model_given_as_an_option_is_named_at_that_option(
    in_tmp: Path,
    options: list[str],
    start: str,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
):
    assert _export(in_tmp / "out", "azure", *options) == 2
    (problem, summary) = _errors(capsys.readouterr().err)
    assert problem.startswith(start) and fragment in problem
    assert "Allowed grader models: " in problem
    assert "nothing was written" in summary and not (in_tmp / "out").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--panel", PANEL, "--judge-model", ALLOWED], "--panel and --judge-model both choose"),
        (["--panel", ALLOWED], "--panel: a panel needs at least 2 judge models"),
        (["--panel", PANEL, "--target", "score_model"], "--panel compiles a multi grader"),
        (["--panel", f"{ALLOWED},{ALLOWED}"], "--panel: a judge model is repeated"),
    ],
)
def test_contradicting_options_exit_2_with_one_line(
    in_tmp: Path, options: list[str], message: str, capsys: pytest.CaptureFixture[str]
):
    assert _export(in_tmp / "out", "openai", *options) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"rubricate: error: {message}"), err
    assert not (in_tmp / "out").exists()


@pytest.mark.parametrize("platform", ["openai", "azure", "bedrock"])
def test_a_panel_bundle_verifies_with_every_deterministic_part_equal(
    in_tmp: Path,
    platform: str,
    fake_openai_env: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
):
    calset = _small_set(in_tmp)
    code = _export(in_tmp / "out", platform, "--panel", PANEL, "--verify", str(calset), "--json")
    data = json.loads(capsys.readouterr().out)["verification"]
    assert code == 0, data["deterministic_failures"] or data["failures"]
    assert data["answers"] == 2 and data["answers_compared"] == 2
    assert data["failures"] == [] and data["deterministic_failures"] == []
    assert data["deterministic_parts"] > 0
    assert data["max_deterministic_difference"] == 0.0
    # 15 judged criteria, each asked of both judges of the panel
    assert data["judged_parts"] == 15 * 2 * data["answers"]
    assert data["judged_mean_abs_difference"] == 0.0
    names = {p["name"] for row in data["rows"] for p in row["parts"] if p["judged"]}
    assert names and all(n.endswith(("__judge_1", "__judge_2")) for n in names)
    models = {r.body["model"] for r in fake_openai_env.model_requests()}
    assert models == set(PANEL.split(","))


def test_gemini_refuses_a_panel_composite_in_one_line(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
):
    code = _export(in_tmp / "out", "gemini", "--panel", PANEL, "--gemini", "reward=composite")
    assert code == 2
    (problem, summary) = _errors(capsys.readouterr().err)
    assert problem.startswith("rubricate: error: --panel: Gemini's composite reward is a ")
    assert "cannot pool a panel's verdicts" in problem
    assert "--gemini reward=cloudrun --gemini serve_url=URL" in problem
    assert "or export without --panel" in problem
    assert "nothing was written" in summary and not (in_tmp / "out").exists()


def test_gemini_runs_a_panel_exactly_through_cloud_run(
    in_tmp: Path, fake_openai_env: FakeOpenAI, capsys: pytest.CaptureFixture[str]
):
    calset = _small_set(in_tmp)
    code = _export(
        in_tmp / "out", "gemini", "--panel", PANEL, *SERVE, "--verify", str(calset), "--json"
    )
    data = json.loads(capsys.readouterr().out)["verification"]
    assert code == 0, data["deterministic_failures"] or data["failures"]
    assert (in_tmp / "out" / "grader.json").read_bytes() == _compiled(in_tmp, "--panel", PANEL)
    manifest = json.loads((in_tmp / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["gemini"]["reward"] == "cloudrun"
    assert data["deterministic_failures"] == [] and data["max_deterministic_difference"] == 0.0
    assert data["judged_parts"] == 15 * 2 * data["answers"]


def test_gemini_auto_falls_back_to_cloud_run_for_a_panel(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
):
    serve = SERVE[2:]  # serve_url only: reward=auto
    assert _export(in_tmp / "out", "gemini", "--panel", PANEL, *serve) == 0
    err = capsys.readouterr().err
    assert "--panel: a panel of judges has no composite; using the Cloud Run fallback" in err
    manifest = json.loads((in_tmp / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["gemini"]["reward"] == "cloudrun"


def test_gemini_autorater_follows_the_judge_model_override(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
):
    options = ["--judge-model", "gemini-2.5-flash", "--gemini", "reward=composite"]
    assert _export(in_tmp / "out", "gemini", *options) == 0, capsys.readouterr().err
    manifest = (in_tmp / "out" / "manifest.json").read_text(encoding="utf-8")
    gemini = json.loads(manifest)["gemini"]
    assert gemini["calibrated_judge_model"] == "gemini-2.5-flash"
    assert gemini["autorater_model"].endswith("/models/gemini-2.5-flash")
    assert "the autorater runs" not in capsys.readouterr().err  # no mismatch warning


def test_export_finds_the_calibration_runs_of_the_same_options(
    in_tmp: Path, fake_openai_env: FakeOpenAI, capsys: pytest.CaptureFixture[str]
):
    """``calibrate --judge-model``, ``--panel`` and the arms of ``--compare panel=`` graded the
    bytes export writes with the same options: the manifest names those runs."""
    calset = str(_small_set(in_tmp))
    rubric = str(TAX / "rubric.yaml")
    common = ["--set", calset, "--repeats", "1", "--no-figures"]
    assert run(["calibrate", rubric, *common, "--judge-model", ALLOWED,
                "--out", "runs/judged"]) == 0  # fmt: skip
    assert run(["calibrate", rubric, *common, "--compare", f"panel={PANEL}",
                "--out", "runs/compare"]) == 0  # fmt: skip
    capsys.readouterr()
    found = {}
    for name, options in (("judge", ["--judge-model", ALLOWED]), ("panel", ["--panel", PANEL])):
        assert _export(in_tmp / name, "azure", *options, "--json") == 0
        found[name] = json.loads(capsys.readouterr().out)["calibration"]["path"]
    # two runs graded the judge-model bytes (the run and the compare arm): the newest is named
    assert Path(found["judge"]) in (
        Path("runs/judged"),
        Path("runs/compare/arms/judge-o3-mini-2025-01-31"),
    )
    assert Path(found["panel"]) == Path("runs/compare/arms/panel-majority")


def test_calibrate_judge_model_run_is_found_by_the_export(
    in_tmp: Path, fake_openai_env: FakeOpenAI, capsys: pytest.CaptureFixture[str]
):
    calset = str(_small_set(in_tmp))
    assert run(["calibrate", str(TAX / "rubric.yaml"), "--set", calset, "--repeats", "1",
                "--no-figures", "--judge-model", ALLOWED, "--out", "runs/judged"]) == 0  # fmt: skip
    assert "pass --judge-model o3-mini-2025-01-31 to `rubricate export`" in capsys.readouterr().err
    run_json = json.loads(Path("runs/judged/run.json").read_text(encoding="utf-8"))
    run_sha = run_json["grader_sha256"]
    assert _export(in_tmp / "out", "azure", "--judge-model", ALLOWED, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["grader_sha256"] == run_sha
    assert summary["calibration"]["path"] == "runs/judged"
    assert summary["calibration"]["judge_model"] == ALLOWED
    assert not any("no calibration run" in w for w in summary["warnings"])


@pytest.mark.parametrize("kind", ["trl", "verl", "verifiers", "promptfoo"])
@pytest.mark.parametrize("choice", ["judge-model", "panel"])
def test_trainer_exports_take_the_same_options(
    in_tmp: Path, kind: str, choice: str, capsys: pytest.CaptureFixture[str]
):
    options = CHOICES[choice]
    argv = ["export", kind, str(TAX / "rubric.yaml"), "--out", str(in_tmp / kind), *options]
    assert run(argv) == 0, capsys.readouterr().err
    assert (in_tmp / kind / "grader.json").read_bytes() == _compiled(in_tmp, *options)


def test_compile_judge_model_changes_only_the_judge(tmp_path: Path):
    plain = json.loads(_compiled(tmp_path))
    judged = json.loads(_compiled(tmp_path, "--judge-model", ALLOWED))
    for name, sub in plain["graders"].items():
        other = judged["graders"][name]
        if sub["type"] == "score_model":
            assert other == {**sub, "model": ALLOWED}
        else:
            assert other == sub
    assert {k: v for k, v in plain.items() if k != "graders"} == {
        k: v for k, v in judged.items() if k != "graders"
    }


def test_a_judge_model_on_a_checks_only_rubric_compiles_the_same_bytes(tmp_path: Path):
    assert _compiled(tmp_path, folder=EUROVOC) == _compiled(
        tmp_path, "--judge-model", ALLOWED, folder=EUROVOC
    )
