"""Compare graders in one run (``rubricate calibrate --compare``): arms, table, reports."""
