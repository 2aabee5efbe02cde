"""Automatic probes of a grader (``rubricate calibrate --probe``): invariance to harmless
changes of the rubric (:mod:`.invariance_run`)."""
