"""The HTTP reward server (rubricate serve): routes, request bodies, metrics."""
