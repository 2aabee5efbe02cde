"""Every kind of bad input a user can give every command: its exact message and exit code.

Issue 14 (finding 8, and "a held-out suite of wrong-input cases exists; write your own"). Every
file a command reads goes through one layer (:mod:`rubricate.files`), so a missing file, a
directory, a symbolic link loop, an unreadable file, UTF-16, bytes that are not UTF-8 and a
binary file are one line each, ``rubricate: error: FILE[:LINE:COL]: what is wrong; what to do``
on stderr, exit 2, nothing on stdout; a UTF-8 byte order mark is fine everywhere. Then the
content: a line that is not JSON, a field of the wrong type, an empty file; then option values.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rubricate import files
from rubricate.cli import run

EX = Path(__file__).resolve().parents[2] / "examples"
RUBRIC = str(EX / "eurovoc" / "rubric.yaml")
ITEMS = str(EX / "eurovoc" / "items.jsonl")
SAMPLES = str(EX / "eurovoc" / "samples.jsonl")
SET = str(EX / "eurovoc" / "calibration.jsonl")
TRAIN, VALID = str(EX / "eurovoc" / "train.jsonl"), str(EX / "eurovoc" / "valid.jsonl")
RFT = ["--model", "o4-mini-2025-04-16", "--out", "bundle"]

# slot: (argv with {f} for the bad file, what the file is, the directory hint)
SLOTS: dict[str, tuple[list[str], str, str]] = {
    "compile": (["compile", "{f}"], "rubric file", " (give DIR/rubric.yaml)"),
    "check --items": (["check", RUBRIC, "--items", "{f}"], "items file", ""),
    "grade GRADER": (["grade", "{f}", "--items", ITEMS, "--samples", SAMPLES],
                     "grader or rubric file", ""),
    "grade --items": (["grade", RUBRIC, "--items", "{f}", "--samples", SAMPLES], "items file", ""),
    "grade --samples": (["grade", RUBRIC, "--items", ITEMS, "--samples", "{f}"],
                        "samples file", ""),
    "calibrate RUBRIC": (["calibrate", "{f}", "--set", SET, "--out", "run"], "rubric file",
                         " (give DIR/rubric.yaml)"),
    "calibrate --set": (["calibrate", RUBRIC, "--set", "{f}", "--out", "run"],
                        "calibration set", ""),
    "calibrate --experts": (["calibrate", RUBRIC, "--set", SET, "--experts", "{f}", "--out",
                             "run"], "expert grades file", ""),
    "agreement": (["agreement", "{f}"], "ratings CSV file", ""),
    "validate": (["validate", "{f}"], "grader JSON file", ""),
    "export rft RUBRIC": (["export", "rft", "{f}", "--train", TRAIN, "--valid", VALID, *RFT],
                          "rubric file", " (give DIR/rubric.yaml)"),
    "export rft --train": (["export", "rft", RUBRIC, "--train", "{f}", "--valid", VALID, *RFT],
                           "items file", ""),
    "export rft --response-format": (["export", "rft", RUBRIC, "--train", TRAIN, "--valid", VALID,
                                      *RFT, "--response-format", "{f}"],
                                     "response format JSON file", ""),
    "export trl": (["export", "trl", "{f}", "--out", "trl"], "rubric file",
                   " (give DIR/rubric.yaml)"),
    "export promptfoo --items": (["export", "promptfoo", RUBRIC, "--out", "pf", "--items", "{f}"],
                                 "items file", ""),
    "baseline RUBRIC": (["baseline", "{f}", "--items", ITEMS, "--model", "m"], "rubric file",
                        " (give DIR/rubric.yaml)"),
    "baseline --items": (["baseline", RUBRIC, "--items", "{f}", "--model", "m"], "items file", ""),
    "serve": (["serve", "{f}"], "grader or rubric file", ""),
}  # fmt: skip


def _a(what: str) -> str:
    return f"an {what}" if what[0] in "aeiou" else f"a {what}"


# kind: (make the file at path, the message after "FILE"; {what} and {hint} filled in)
KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing": (lambda p: None, ": no such {what}; check the path"),
    "directory": (lambda p: p.mkdir(), ": is a directory, not {a_what}{hint}"),
    "symlink loop": (lambda p: (os.symlink(p.name + ".2", p), os.symlink(p.name, str(p) + ".2")),
                     ": is a symbolic link loop; point the link at {a_what}"),
    "UTF-16": (lambda p: p.write_bytes("x".encode("utf-16")),
               ":1:1: is UTF-16 text; save it as UTF-8"),
    "not UTF-8": (lambda p: p.write_bytes(b"first line\nna\xefve\n"),
                  ":2:3: is not UTF-8 text (byte 0xef); save it as UTF-8"),
    "binary": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00"),
               ":1:1: is a binary file, not {a_what} (text)"),
}  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = run(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("slot", SLOTS)
def test_an_unreadable_file_is_one_line_exit_2(
    slot: str, kind: str, workdir: Path, capsys: pytest.CaptureFixture
) -> None:
    argv, what, hint = SLOTS[slot]
    path = workdir / "bad.input"
    make, message = KINDS[kind]
    make(path)
    code, out, err = _run([a.replace("{f}", str(path)) for a in argv], capsys)
    expected = message.format(what=what, a_what=_a(what), hint=hint)
    assert (code, out, err) == (2, "", f"rubricate: error: {path}{expected}\n")


@pytest.mark.parametrize("slot", SLOTS)
def test_a_file_that_cannot_be_opened_is_one_line_exit_2(
    slot: str, workdir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission denied (simulated: the tests run as root, whom chmod does not stop)."""
    argv, _, _ = SLOTS[slot]
    path = workdir / "locked.input"
    path.write_text("{}\n")
    real = files._read

    def locked(target: Path) -> bytes:
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(target))
        return real(target)

    monkeypatch.setattr(files, "_read", locked)
    code, out, err = _run([a.replace("{f}", str(path)) for a in argv], capsys)
    assert (code, out) == (2, "")
    assert err == (f"rubricate: error: {path}: permission denied; make it readable (chmod +r) "
                   "or copy it somewhere readable\n")  # fmt: skip


def test_check_reports_unreadable_rubrics_as_problems(
    workdir: Path, capsys: pytest.CaptureFixture
) -> None:
    """``check`` lists problems on stdout (exit 2 when a file cannot be read at all)."""
    for kind, (make, message) in KINDS.items():
        path = workdir / f"{kind.replace(' ', '-')}.yaml"
        make(path)
        code, out, err = _run(["check", str(path)], capsys)
        expected = message.format(what="rubric file", a_what="a rubric file",
                                  hint=" (give DIR/rubric.yaml)")  # fmt: skip
        assert (code, out) == (2, f"{path}{expected} [unreadable]\n"), kind
        assert err == "rubricate: 1 error in 1 file\n"


# ------------------------------------------------------------------- a byte order mark is fine


def _bom(source: str, workdir: Path) -> str:
    target = workdir / ("bom-" + Path(source).name)
    target.write_bytes(b"\xef\xbb\xbf" + Path(source).read_bytes())
    return str(target)


def test_a_utf8_bom_is_read_by_every_command(workdir: Path, capsys: pytest.CaptureFixture) -> None:
    rubric, items, samples = _bom(RUBRIC, workdir), _bom(ITEMS, workdir), _bom(SAMPLES, workdir)
    assert run(["check", rubric, "--items", items]) == 0
    assert run(["grade", rubric, "--items", items, "--samples", samples]) == 0
    experts = _bom(str(EX / "eurovoc" / "experts.csv"), workdir)
    assert run(["calibrate", rubric, "--set", _bom(SET, workdir), "--experts", experts,
                "--out", "run", "--repeats", "1", "--no-figures"]) == 0  # fmt: skip
    assert run(["agreement", experts]) == 0
    grader = workdir / "run" / "grader.json"
    assert run(["validate", _bom(str(grader), workdir)]) == 0
    assert run(["export", "rft", rubric, "--train", _bom(TRAIN, workdir), "--valid",
                _bom(VALID, workdir), *RFT]) == 0  # fmt: skip
    capsys.readouterr()


# --------------------------------------------------------------------------- bad content


def _write(workdir: Path, name: str, text: str) -> str:
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return str(path)


CONTENT = [
    # (id, file name, content, argv with {f}, the message after the path)
    ("items: not JSON", "items.jsonl", '{"id": 1}\n{"id": 2,\n',
     ["check", RUBRIC, "--items", "{f}"],
     ":2:10: not valid JSON (Expecting property name enclosed in double quotes); each line of "
     "an items file is one JSON object"),
    ("items: a list", "items.jsonl", '{"id": 1}\n[1, 2]\n', ["check", RUBRIC, "--items", "{f}"],
     ":2: must be a JSON object ({...}), got a list"),
    ("items: empty", "items.jsonl", "\n\n", ["check", RUBRIC, "--items", "{f}"],
     ": has no items; write one JSON object per line"),
    ("samples: not JSON", "samples.jsonl", "output_text: hi\n",
     ["grade", RUBRIC, "--items", ITEMS, "--samples", "{f}"],
     ":1:1: not valid JSON (Expecting value); each line of a samples file is one JSON object"),
    ("samples: output_text a number", "samples.jsonl", '{"output_text": 3}\n' * 5,
     ["grade", RUBRIC, "--items", ITEMS, "--samples", "{f}"],
     ':1: field output_text is a number; each sample needs "output_text": "<the model\'s '
     'answer>"'),
    ("samples: empty", "samples.jsonl", "",
     ["grade", RUBRIC, "--items", ITEMS, "--samples", "{f}"],
     ": has no samples; write one JSON object per line"),
    ("set: not JSON", "set.jsonl", "{\n", ["calibrate", RUBRIC, "--set", "{f}", "--out", "r"],
     ":1:2: not valid JSON (Expecting property name enclosed in double quotes); each line of a "
     "calibration set is one JSON object"),
    ("set: tier a number", "set.jsonl",
     '{"id": "a", "answers": [{"id": "x", "tier": 1, "text": "t"}]}\n',
     ["calibrate", RUBRIC, "--set", "{f}", "--out", "r"],
     ":1: answers[0].tier: 1 is not a tier; use great, fair, poor, adversarial"),
    ("set: text missing", "set.jsonl", '{"id": "a", "answers": [{"id": "x", "tier": "great"}]}\n',
     ["calibrate", RUBRIC, "--set", "{f}", "--out", "r"],
     ":1: answers[0].text: missing; add it"),
    ("experts: score a word", "experts.csv",
     "item_id,answer_id,expert,criterion_id,score\nfood-information,great,ann,,high\n",
     ["calibrate", RUBRIC, "--set", SET, "--experts", "{f}", "--out", "r"],
     ":2: column 'score': 'high' is not a grade; write a number, true/false, or leave it empty "
     "for a missing grade"),
    ("experts: empty", "experts.csv", "", ["calibrate", RUBRIC, "--set", SET, "--experts", "{f}",
                                           "--out", "r"],
     ": the file is empty; it needs the header line item_id,answer_id,expert,criterion_id,score"),
    ("ratings: ragged", "ratings.csv", "unit,a,b\nu1,1,2\nu2,1\n", ["agreement", "{f}"],
     ":3: expected 3 fields like the header, found 2; check for a missing or extra comma"),
    ("ratings: numbers and words", "ratings.csv", "unit,a,b\nu1,1,2\nu2,1,2x\n",
     ["agreement", "{f}"],
     ":3: column 'b': '2x' is not a number, but other scores are (e.g. '1' on line 2); write "
     "numbers throughout, or labels throughout (pass,fail / A,B,C)"),
    ("ratings: empty", "ratings.csv", "", ["agreement", "{f}"],
     ": the file is empty; it needs a header line"),
    ("grader: not JSON", "grader.json", '{"type": "string_check",}', ["validate", "{f}"],
     ":1:25: not valid JSON (Expecting property name enclosed in double quotes); a grader JSON "
     "file is one JSON document"),
    ("grader: a list", "grader.json", "[]", ["validate", "{f}"],
     ": a grader is a JSON object ({...}), got list"),
    ("grader: empty", "grader.json", "", ["validate", "{f}"],
     ":1:1: not valid JSON (Expecting value); a grader JSON file is one JSON document"),
    ("response format: not JSON", "schema.json", "{'type': 'object'}",
     ["export", "rft", RUBRIC, "--train", TRAIN, "--valid", VALID, *RFT, "--response-format",
      "{f}"],
     ":1:2: not valid JSON (Expecting property name enclosed in double quotes); a response "
     "format JSON file is one JSON document"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "argv", "message"),
                         [c[1:] for c in CONTENT], ids=[c[0] for c in CONTENT])  # fmt: skip
def test_bad_content_is_one_line_with_file_line_and_field(
    name: str, content: str, argv: list[str], message: str, workdir: Path,
    capsys: pytest.CaptureFixture,
) -> None:  # fmt: skip
    path = _write(workdir, name, content)
    code, out, err = _run([a.replace("{f}", path) for a in argv], capsys)
    assert (code, out, err) == (2, "", f"rubricate: error: {path}{message}\n")


# ---------------------------------------------------------------- folders and option values


def test_run_folders_and_bundles(workdir: Path, capsys: pytest.CaptureFixture) -> None:
    (workdir / "empty").mkdir()
    cases = [
        (["calibrate", "--report-only", "--out", "nope"],
         "nope: no such folder; give the run directory (calibrate --out)"),
        (["calibrate", "--report-only", "--out", "empty"],
         "empty: no run.json; not a calibration run directory"),
        (["jobs", "submit", "nope"],
         "nope: not a directory; give the --out folder of `export rft`"),
        (["jobs", "submit", "empty"],
         "empty: not an RFT bundle (no job.json, train.jsonl, valid.jsonl); write one with "
         "`rubricate export rft`"),
        (["review", "nope"], "nope: no such directory"),
    ]  # fmt: skip
    for argv, message in cases:
        assert _run(argv, capsys) == (2, "", f"rubricate: error: {message}\n"), argv


def test_outputs_that_cannot_be_written(workdir: Path, capsys: pytest.CaptureFixture) -> None:
    (workdir / "a-file").write_text("x")
    (workdir / "a-dir").mkdir()
    cases = [
        (["compile", RUBRIC, "-o", "missing/g.json"],
         "missing/g.json: folder missing does not exist; create it or choose another -o"),
        (["compile", RUBRIC, "-o", "a-dir"],
         "compile: -o: file 'a-dir' is a directory (see rubricate compile --help)"),
        (["schema", "-o", "missing/s.json"],
         "missing/s.json: folder missing does not exist; create it first"),
        (["grade", RUBRIC, "--items", ITEMS, "--samples", SAMPLES, "-o", "missing/r.jsonl"],
         "missing/r.jsonl: cannot write: its folder does not exist; create it first"),
        (["export", "trl", RUBRIC, "--out", "a-file"],
         "export trl: --out: directory 'a-file' is a file (see rubricate export trl --help)"),
        (["init", "a-file"],
         "a-file: is a file, not a directory; give a directory to scaffold into"),
    ]  # fmt: skip
    for argv, message in cases:
        assert _run(argv, capsys) == (2, "", f"rubricate: error: {message}\n"), argv


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calibrate", RUBRIC, "--set", SET, "--repeats", "0"],
         "calibrate: --repeats: needs at least 1 repeat (2 or more to measure stability)"),
        (["calibrate", RUBRIC, "--set", SET, "--max-unscored", "2"],
         "calibrate: --max-unscored: 2.0 is not in the range 0<=x<=1"),
        (["grade", RUBRIC, "--items", ITEMS, "--samples", SAMPLES, "--workers", "0"],
         "grade: --workers: 0 is not in the range x>=1"),
        (["grade", RUBRIC, "--items", ITEMS, "--samples", SAMPLES, "--timeout", "0"],
         "grade: --timeout: 0.0 is not in the range x>0"),
        (["agreement", SET, "--level", "cardinal"],
         "agreement: --level: 'cardinal' is not one of 'nominal', 'ordinal', 'interval', "
         "'ratio'"),
        (["check", RUBRIC, "--format", "xml"],
         "check: --format: 'xml' is not one of 'text', 'json', 'github'"),
        (["jobs", "status", "ftjob-1", "--poll", "-1"],
         "jobs status: --poll: -1.0 is not in the range x>=0"),
        (["serve", RUBRIC, "--port", "70000"],
         "serve: --port: 70000 is not in the range 0<=x<=65535"),
    ],
)  # fmt: skip
def test_bad_option_values_are_one_line_exit_2(
    argv: list[str], message: str, workdir: Path, capsys: pytest.CaptureFixture
) -> None:
    command = argv[0] if argv[0] not in ("export", "jobs") else " ".join(argv[:2])
    expected = f"rubricate: error: {message} (see rubricate {command} --help)\n"
    assert _run(argv, capsys) == (2, "", expected)


def test_export_lists_every_bad_value_then_one_summary(
    workdir: Path, capsys: pytest.CaptureFixture
) -> None:
    """``export rft`` checks the rubric, data and options together and lists every problem."""
    argv = ["export", "rft", RUBRIC, "--train", TRAIN, "--valid", VALID, *RFT,
            "-H", "n_epochs", "-H", "batch_size=big"]  # fmt: skip
    code, out, err = _run(argv, capsys)
    errors = [line for line in err.splitlines() if line.startswith("rubricate: error: ")]
    assert code == 2 and out == "" and len(errors) == 3
    assert "n_epochs" in errors[0] and "batch_size" in errors[1]
    assert errors[2] == ("rubricate: error: 2 problems in the rubric, data or options (listed "
                         "above); nothing was written")  # fmt: skip
    assert not (workdir / "bundle").exists()


def test_the_help_names_every_command_with_files(capsys: pytest.CaptureFixture) -> None:
    """Every command that reads a file is in the suite above (a new one must be added)."""
    from rubricate.cli import COMMANDS

    covered = {slot.split()[0] for slot in SLOTS} | {"check", "review", "jobs", "init", "schema"}
    without_files = {"cache", "edit"}  # edit: tests/tui; cache: its own store errors
    assert set(COMMANDS) - covered - without_files == set()
    shutil.rmtree  # noqa: B018 - imported for fixtures that clean up after themselves
    json.dumps  # noqa: B018
