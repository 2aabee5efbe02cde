"""The baseline run: sample the model to train, grade it, measure headroom."""
