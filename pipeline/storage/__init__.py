"""Storage: the one owner of the data dir's paths, atomic writes, the lock and
the publish switch. Nothing outside this package composes a data-dir path or
calls ``os.replace``, ``glob``, ``fcntl`` or ``os.symlink``."""
