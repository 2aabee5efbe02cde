"""One calibration run: prepare, execute (the judge calls), grades, verdicts."""
