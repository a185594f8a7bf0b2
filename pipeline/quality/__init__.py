"""Quality gates (Great Expectations): on each landed batch and on the built tables."""
