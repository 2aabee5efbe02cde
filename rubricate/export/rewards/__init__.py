"""Reward modules for trainers and tools: TRL, verl, verifiers, promptfoo."""
