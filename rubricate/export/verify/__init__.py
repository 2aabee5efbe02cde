"""``--verify``: each platform's compiled form run locally beside the calibrated grader.

:mod:`.model` holds the comparison records every platform's verifier returns; each platform
registers one verifier in :mod:`.registry`.
"""
