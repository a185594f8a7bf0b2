"""Fakes of external services, served over loopback for tests (never the network)."""
