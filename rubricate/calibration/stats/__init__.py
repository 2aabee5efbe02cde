"""Statistics of a calibration: stability, discrimination, agreement, readiness."""
