"""OpenAlex: the snapshot reader (bulk, offline default)."""
