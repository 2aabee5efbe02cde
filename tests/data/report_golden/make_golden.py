"""Regenerate the report golden runs (``python tests/data/report_golden/make_golden.py``).

Calibrates each shipped example against the loopback server (a judge whose verdict is a hash
of criterion and answer, flipped 15% of calls), keeps the files ``--report-only`` reads
(run.json, rubric.yaml, grader.json, grades.csv, experts.csv) and the reports rebuilt from
them with ``rebuild_reports(figures=False)`` (and for ``accordance_tax`` with the figures:
``figures.report.json`` / ``figures.report.md``; the PNGs are not kept):
``tests/calibration/test_report_golden.py`` rebuilds them again and compares byte for byte.
Regenerate only on a deliberate change of the reports.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIGURES = "accordance_tax"
KEEP = ("run.json", "rubric.yaml", "grader.json", "grades.csv", "experts.csv")
VARIANTS = {
    "accordance_tax": ("accordance_tax", ["--repeats", "2"], True),
    "citations_auto_probes": (
        "citations", ["--repeats", "auto", "--budget", "400", "--probe", "adversarial"], True),
    "eurovoc": ("eurovoc", ["--repeats", "3"], True),
    "accordance_tax_no_judge": ("accordance_tax", ["--repeats", "1"], False),
}


def _verdict(request) -> bool:  # noqa: ANN001
    from rubricate.testing.replies import last_user_text, prompt_text

    text = prompt_text(request.body or {}) + last_user_text(request.body or {})
    return hashlib.sha256(text.encode()).digest()[0] < 150


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from rubricate.calibration.report.files import rebuild_reports
    from rubricate.cli import run
    from rubricate.testing import FakeOpenAI

    for name, (example, extra, judge) in VARIANTS.items():
        src = ROOT / "examples" / example
        with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as fake:
            fake.policy.verdict = _verdict
            fake.policy.flip_p = 0.15
            for key in [k for k in os.environ if k.startswith(("OPENAI_", "AZURE_OPENAI_"))]:
                del os.environ[key]
            if judge:
                os.environ["OPENAI_BASE_URL"] = fake.base_url
                os.environ["OPENAI_API_KEY"] = "sk-fake-golden"
            out = Path(tmp) / "run"
            code = run(["calibrate", str(src / "rubric.yaml"), "--set",
                        str(src / "calibration.jsonl"), "--experts", str(src / "experts.csv"),
                        "--out", str(out), "--no-figures", "--store",
                        str(Path(tmp) / "calls.sqlite"), *extra])
            print(name, "exit", code)
            dest = HERE / name
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir()
            for file in KEEP:
                if (out / file).exists():
                    shutil.copy(out / file, dest / file)
            work = Path(tmp) / "rebuild"
            shutil.copytree(dest, work)
            rebuild_reports(work, figures=False)
            for file in ("report.json", "report.md", "report.html"):
                shutil.copy(work / file, dest / file)
            if name == FIGURES:  # the figures' entries in report.json and report.md
                rebuild_reports(work, figures=True)
                for file in ("report.json", "report.md"):
                    shutil.copy(work / file, dest / f"figures.{file}")


if __name__ == "__main__":
    main()
