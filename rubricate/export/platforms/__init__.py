"""The fine-tuning APIs: the SDK client, job submission and following."""
