"""Calibration inputs: the calibration set, expert grades, rating files."""
