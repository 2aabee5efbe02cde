"""RFT training rows and their checks, shared by calibration and export."""
