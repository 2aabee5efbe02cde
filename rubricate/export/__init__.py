"""export part of rubricate (see DESIGN.md): the compiled grader leaves as a training job.

- :mod:`.rft`: reinforcement fine-tuning bundles for OpenAI and Azure OpenAI
  (``rubricate export rft``): :mod:`.rft.prepare` prepares a bundle in memory (everything
  checked, nothing written) from the rows and checks of :mod:`rubricate.datasets`;
  :mod:`.rft.hyperparameters` and :mod:`.rft.payload` build and validate the ``jobs.create``
  arguments against the ``openai`` types, :mod:`.rft.calibration_link` finds the calibration
  run of the same grader bytes, :mod:`.rft.manifest` and :mod:`.rft.readme` describe the
  bundle, :mod:`.rft.bundle` writes and reads it;
- :mod:`.platforms`: :mod:`.platforms.sdk` opens the ``OpenAI`` / ``AzureOpenAI`` client,
  :mod:`.platforms.submit` uploads and creates the job, :mod:`.platforms.jobs` follows it,
  :mod:`.platforms.curves` draws the reward curves as text, :mod:`.platforms.validate_remote`
  asks the API about a grader;
- :mod:`.rewards`: reward modules for trainers and tools (TRL, verl, verifiers, promptfoo),
  rendered from ``templates/`` around the grader's exact bytes;
- :mod:`.serve`: ``rubricate serve``, the HTTP reward server.

No Evals export: OpenAI's hosted Evals API shuts on 2026-11-30, and its fine-tuning takes no
new jobs from 2027-01-06 (:mod:`.submit` says so); Azure OpenAI runs RFT with the same grader
JSON. Nothing here imports rich or Textual; the ``openai`` SDK is imported only when used.
"""
