"""The package version (equal to pyproject.toml's, which tests/test_public_api.py checks)."""

__version__ = "0.1.0"
