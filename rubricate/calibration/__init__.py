"""Calibration: prove a grader stable, discriminating and in agreement with experts before a
training budget is spent on it (see DESIGN.md).

- :mod:`.inputs`: the calibration set, expert grades, rating files, leakage checks;
- :mod:`.stats`: the statistics (stability, discrimination, agreement, readiness), pure
  functions over tables, each checked against published reference values;
- :mod:`.run`: one calibration run (prepare, execute the judge calls, the grades table,
  the verdicts, the run folder and manifest);
- :mod:`.report`: the report data, its verdict, and the Markdown, HTML and figure renderings;
- :mod:`.baseline`: the baseline run (sample the model to train, grade it, headroom).
"""
