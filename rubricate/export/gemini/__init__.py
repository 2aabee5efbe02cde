"""``rubricate export rft --platform gemini``: Google Gemini reinforcement tuning on Vertex AI.

Modules: :mod:`.options` (``--gemini KEY=VALUE``), :mod:`.references` (item fields as an
example's ``references``), :mod:`.rows` (tuning-data rows), :mod:`.scorers` (the composite
reward config compiled from the grader), :mod:`.snippet` (code-execution scorers),
:mod:`.job` (the ``tuningJobs.create`` body and its schema), :mod:`.prepare` (the bundle),
:mod:`.readme`, :mod:`.evaluate` (scorers run locally as the platform runs them),
:mod:`.verify` (``--verify``) and :mod:`.cloudrun` (the Cloud Run reward body that
``rubricate serve`` answers on ``POST /gemini``).

Sources (all from the ``aiplatform`` v1beta1 REST reference, read in its machine-readable
form, the discovery document revision 20261106 shipped in google-api-python-client 2.202.0,
and the same types in google-genai 3.6.1 ``types.py``): ``TuningJob``,
``ReinforcementTuningSpec``, ``CompositeReinforcementTuningRewardConfig``,
``SingleReinforcementTuningRewardConfig`` and its four scorers,
``ReinforcementTuningParseResponseConfig``, ``ReinforcementTuningExample``,
``ReinforcementTuningHyperParameters``. The feature is pre-GA (v1beta1 only; the v1 document
of the same revision has none of these types).
"""
