"""``--probe invariance``: does the grader's verdict survive harmless changes of the rubric?

The rubric recompiled with harmless changes (:mod:`.changes`; optionally the judge model's
paraphrases, :mod:`.paraphrase`), each change an ordinary calibration run beside the unchanged
grader (:mod:`.run`), the flips per criterion against the rerun flips (:mod:`.rows`) with an
exact stratified permutation test (:mod:`.stats`), and the reports (:mod:`.report`);
:mod:`.spec` checks the ``--probe`` list. Like :mod:`rubricate.calibration.compare`, it sits
above the run and the reports.
"""
