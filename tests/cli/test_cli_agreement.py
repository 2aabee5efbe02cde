"""``rubricate agreement`` through the command line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rubricate.cli import run

HEALTHBENCH = (
    Path(__file__).resolve().parents[1] / "data" / "healthbench_meta_slice"
) / "healthbench_meta_120_long.csv"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert run(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out)  # strict JSON: NaN would not parse as null


def test_healthbench_physicians_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(
        capsys, ["agreement", str(HEALTHBENCH), "--filter", "rater_type=physician", "--json"]
    )
    assert (data["n_units"], data["n_raters"], data["n_ratings"]) == (120, 107, 250)
    assert data["layout"] == "long" and data["filters"] == {"rater_type": "physician"}
    assert set(data["krippendorff_alpha"]) == {"nominal", "ordinal", "interval", "ratio"}
    assert set(data["icc"]) == {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"}
    assert data["icc"]["ICC2"]["value"] is None  # no unit is rated by all 107 physicians
    assert data["icc_dropped_units"] == 120
    assert 0 < data["icc1_all_units"]["value"] < 1
    assert data["fleiss_kappa"] == pytest.approx(0.418, abs=1e-3)
    krippendorff = pytest.importorskip("krippendorff")
    import pandas as pd

    long = pd.read_csv(HEALTHBENCH)
    long = long[long["rater_type"] == "physician"]
    matrix = long.pivot(index="item_id", columns="rater_id", values="criteria_met")
    expected = krippendorff.alpha(matrix.to_numpy(dtype=float).T, level_of_measurement="nominal")
    assert data["krippendorff_alpha"]["nominal"] == pytest.approx(expected, abs=1e-9)


def test_whole_file_counts_the_judge_as_a_rater(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["agreement", str(HEALTHBENCH), "--format", "json"])
    assert (data["n_raters"], data["n_ratings"]) == (108, 370)


def test_wide_file_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sf.csv"
    rows = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    lines = ["target,j1,j2,j3,j4"] + [f"t{i},{','.join(map(str, r))}" for i, r in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(["agreement", str(path), "--level", "ordinal"]) == 0
    out = capsys.readouterr().out
    assert "6 units, 4 raters, 24 ratings (wide layout" in out
    assert "ordinal" in out and "<- --level" in out
    icc2 = next(line for line in out.splitlines() if line.strip().startswith("ICC(2,1)"))
    assert icc2.split()[-3:] == ["0.290", "[0.019,", "0.761]"]
    assert "Fleiss' kappa" in out and "Mean pairwise Spearman" in out
    data = _json(capsys, ["agreement", str(path), "--json", "--level", "ordinal"])
    assert data["level"] == "ordinal"
    assert data["alpha"] == data["krippendorff_alpha"]["ordinal"]
    assert data["icc"]["ICC3k"]["value"] == pytest.approx(0.91, abs=0.005)
    assert not np.isnan(data["mean_pairwise_spearman"])


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("unit,rater,score\nu1,a,1\nu1,b,x\n", ["bad.csv:3:", "column 'score'", "'x'"]),
        ("unit,rater,score\nu1,a,1\nu1,a,2\n", ["bad.csv:3:", "twice"]),
        ("", ["bad.csv", "empty"]),
    ],
)
def test_bad_csv_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, words: list[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert run(["agreement", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rubricate: error: ")
    for word in words:
        assert word in lines[0]


def test_missing_file_and_bad_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["agreement", str(tmp_path / "none.csv")]) == 2
    assert "no such ratings CSV file" in capsys.readouterr().err
    assert run(["agreement", str(HEALTHBENCH), "--filter", "physician"]) == 2
    assert "COLUMN=VALUE" in capsys.readouterr().err


def test_calibration_experts_csv_rates_answers_not_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The experts CSV that calibrate and review write reads as answers (and criteria) rated."""
    path = tmp_path / "experts.csv"
    path.write_text(
        "item_id,answer_id,expert,criterion_id,score\n"
        "i1,great,ann,,1\ni1,great,bob,,0.9\ni1,poor,ann,,0\ni1,poor,bob,,0.2\n"
        "i1,great,ann,c1,1\ni1,great,bob,c1,1\ni1,poor,ann,c1,0\ni1,poor,bob,c1,1\n",
        encoding="utf-8",
    )
    overall = _json(capsys, ["agreement", str(path), "--filter", "criterion_id=", "--json"])
    assert (overall["n_units"], overall["n_raters"], overall["n_ratings"]) == (2, 2, 4)
    every = _json(capsys, ["agreement", str(path), "--json"])
    assert (every["n_units"], every["n_ratings"]) == (4, 8)
    c1 = _json(capsys, ["agreement", str(path), "--filter", "criterion_id=c1", "--json"])
    # units (1, 1) and (0, 1): D_o = 2/4, D_e = 2*1*3/(4*3), alpha = 1 - D_o/D_e = 0
    assert c1["krippendorff_alpha"]["nominal"] == pytest.approx(0.0, abs=1e-12)
