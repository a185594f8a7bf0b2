"""Helpers for end-to-end tests: run the installed ``pipeline`` command, query a warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

PIPELINE = Path(sys.executable).with_name("pipeline")  # the console script in the venv


def run_cli(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(PIPELINE), *args], capture_output=True, text=True, timeout=600, env={**_env(), **(env or {})}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"pipeline {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env["COLUMNS"] = "200"  # wide enough that rich does not wrap the profile card
    return env


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
