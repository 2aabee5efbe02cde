"""Reinforcement fine-tuning bundles (OpenAI, Azure OpenAI): rows, payload, files."""
