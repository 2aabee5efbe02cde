"""Automatic probes of a grader (``rubricate calibrate --probe LIST``, :mod:`.spec`).

``invariance``: the rubric recompiled with harmless changes (:mod:`.invariance_changes`;
optionally the judge model's paraphrases, :mod:`.invariance_paraphrase`), each change an
ordinary calibration run beside the unchanged grader (:mod:`.invariance_run`), the flips per
criterion against the rerun flips (:mod:`.invariance_rows`) with an exact stratified
permutation test (:mod:`.invariance_stats`), and the reports (:mod:`.invariance_report`).
"""
