"""``--verify``: each platform's compiled form run locally beside the calibrated grader.

:mod:`.model` holds the comparison records every platform's verifier returns; each platform
registers one verifier in :mod:`.registry`; :mod:`.render` turns a verification into the
table, the JSON and the verdict. :mod:`.compare` builds one answer's comparison from two grade
records, part by part; :mod:`.openai_form` is the verifier of the OpenAI and Azure AI Foundry
bundles (the grader JSON itself).
"""
