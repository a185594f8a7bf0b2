"""OpenAlex: the snapshot reader (bulk, offline default) and the API source
(``api.py`` over the thin client in ``client.py``; record formats in ``records.py``)."""
