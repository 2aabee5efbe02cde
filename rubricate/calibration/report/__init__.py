"""The calibration report: its data, verdict, Markdown, HTML and figures."""
