"""``rubricate agreement`` on categorical labels (issue 14, finding 4).

Experts label with pass/fail, A/B/C, yes/partly/no; Krippendorff's alpha is defined for nominal
data with any labels. Published values, with the numbers of the sources replaced by letters:

- Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x
  12 units with missing values, values 1-5 written here as a-e; nominal alpha = 0.743; ordinal
  0.815 (the value the ``krippendorff`` package's tests assert for the same data) once the
  order a < b < c < d < e is given.
- Wikipedia, "Cohen's kappa", worked example: two readers, 50 grant proposals, Yes/No with 20
  Yes-Yes, 5 Yes-No, 10 No-Yes, 15 No-No: p_o = 0.7, kappa = 0.4.
- Wikipedia, "Fleiss' kappa", worked example: 14 raters x 10 subjects into 5 categories:
  kappa = 0.210 (categories written as the letters A-E).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricate.cli import run

# Krippendorff (2011), section C: rows observers A-D, columns units 1-12; "." missing.
PAPER_2011 = ["1 2 3 3 2 1 4 1 2 . . .", "1 2 3 3 2 2 4 1 2 5 . 3",
              ". 3 3 3 2 3 4 2 2 5 1 .", "1 2 3 3 2 4 4 1 2 5 1 ."]  # fmt: skip
LETTERS = {"1": "a", "2": "b", "3": "c", "4": "d", "5": "e"}

# Wikipedia "Fleiss' kappa": per subject, how many of 14 raters chose categories 1-5.
FLEISS = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip


def _paper_csv(tmp_path: Path) -> Path:
    lines = ["unit,rater,label"]
    for rater, row in zip("ABCD", PAPER_2011, strict=True):
        for unit, value in enumerate(row.split(), start=1):
            if value != ".":
                lines.append(f"u{unit},{rater},{LETTERS[value]}")
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert run(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_letter_labels_give_krippendorffs_published_nominal_alpha(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(capsys, ["agreement", str(_paper_csv(tmp_path)), "--json"])
    assert data["labels"] == ["a", "b", "c", "d", "e"] and data["level"] == "nominal"
    assert data["krippendorff_alpha"]["nominal"] == pytest.approx(0.743, abs=5e-4)
    assert data["alpha"] == data["krippendorff_alpha"]["nominal"]
    # without an order, labels have neither rank nor distance: not computed, and said why
    assert data["krippendorff_alpha"]["ordinal"] is None
    assert data["krippendorff_alpha"]["interval"] is None and data["icc"]["ICC2"]["value"] is None
    assert any("--order" in note for note in data["notes"])
    assert data["fleiss_kappa"] is not None and 0 < data["percent_agreement"] < 1


def test_an_explicit_order_gives_the_published_ordinal_alpha(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(_paper_csv(tmp_path))
    data = _json(capsys, ["agreement", path, "--order", "a,b,c,d,e", "--level", "ordinal",
                          "--json"])  # fmt: skip
    assert data["alpha"] == pytest.approx(0.815, abs=5e-4)
    assert data["krippendorff_alpha"]["nominal"] == pytest.approx(0.743, abs=5e-4)
    assert data["krippendorff_alpha"]["interval"] is None  # an order is not a distance
    # text output names the labels and the order
    assert run(["agreement", path, "--order", "a,b,c,d,e"]) == 0
    out = capsys.readouterr().out
    assert "labels (ordered): a < b < c < d < e" in out


def test_yes_no_labels_give_cohens_published_kappa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = [("Yes", "Yes")] * 20 + [("Yes", "No")] * 5 + [("No", "Yes")] * 10 + [("No", "No")] * 15
    lines = ["proposal,reader_a,reader_b"] + [f"p{i},{a},{b}" for i, (a, b) in enumerate(pairs)]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = _json(capsys, ["agreement", str(path), "--json"])
    assert data["cohen_kappa"]["unweighted"] == pytest.approx(0.4, abs=1e-12)
    assert data["percent_agreement"] == pytest.approx(0.7, abs=1e-12)
    assert data["cohen_kappa"]["linear"] is None  # weights need an order


def test_letter_categories_give_fleiss_published_kappa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["subject,rater,rating"]
    for subject, counts in enumerate(FLEISS, start=1):
        rater = 0
        for category, count in zip("ABCDE", counts, strict=True):
            for _ in range(count):
                rater += 1
                lines.append(f"s{subject},r{rater},{category}")
    path = tmp_path / "fleiss.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = _json(capsys, ["agreement", str(path), "--json"])
    assert data["fleiss_kappa"] == pytest.approx(0.210, abs=5e-4)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--level", "ordinal"], "--level ordinal needs an order of the labels: pass --order "
         "a,b,c,d,e (worst first)"),
        (["--order", "a,b,c"], "--order: labels d, e are in the file but not in --order"),
        (["--order", "a,b,a,c,d,e"], "--order: 'a' appears twice"),
    ],
)  # fmt: skip
def test_label_usage_errors_are_one_line(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["agreement", str(_paper_csv(tmp_path)), *extra]) == 2
    err = capsys.readouterr().err
    assert err == f"rubricate: error: {message}\n"
