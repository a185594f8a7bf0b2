"""The operators' view: `pipeline run --source openalex-api:…`, `pipeline sources`, `pipeline state`,
through the installed command in a subprocess that reaches the fake API over loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli
from openalex_api_helpers import KEY, LIU_ZIYIN, RETIRED_ID, SOMPOLINSKY

from pipeline.sources.state import SourceState


@pytest.fixture
def cli_env(api_env, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    return api_env


def _leaks(data_dir: Path, *outputs: str) -> list[str]:
    files = [str(p) for p in data_dir.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    return files + [o[:200] for o in outputs if KEY in o]


def test_dry_run_says_what_a_run_would_fetch_without_fetching_works(cli_env, settings, tmp_path):
    result = run_cli("sources", f"openalex-api:authors={LIU_ZIYIN},{RETIRED_ID}", "--data-dir", str(settings.data_dir))
    out = " ".join(result.stdout.split())
    assert "Liu Ziyin" in out and f"{SOMPOLINSKY} (asked {RETIRED_ID})" in out
    assert "everything" in out and "total: ≤" in out
    assert cli_env.requests_to("/works") == []  # no works page was fetched
    assert not (settings.data_dir / "raw").exists()  # nothing landed
    assert not _leaks(settings.data_dir, result.stdout, result.stderr)


def test_run_shows_progress_and_a_fetch_summary_then_state(cli_env, settings):
    cli_env.fail("429", path="/works", times=1, retry_after=0.01)
    cli_env.fail("500", path="/works", times=1)
    result = run_cli(
        "run", "--source", f"openalex-api:authors={LIU_ZIYIN}", "--data-dir", str(settings.data_dir),
        "--as-of", "2026-01-01",
    )  # fmt: skip
    out = " ".join(result.stdout.split())
    assert "fetched 9 records in 6 requests (2 retries, 1 rate-limit waits" in out
    assert "landed 10, quarantined 0" in out  # 9 works + the author
    assert "ok warehouse" in out
    assert not _leaks(settings.data_dir, result.stdout, result.stderr)

    shown = " ".join(run_cli("state", "--data-dir", str(settings.data_dir)).stdout.split())
    assert LIU_ZIYIN in shown and SourceState.of(settings).load(LIU_ZIYIN).high_water in shown
    assert "reset" in run_cli("state", "--reset", LIU_ZIYIN, "--data-dir", str(settings.data_dir)).stdout
    assert SourceState.of(settings).all() == []


def test_credits_exhausted_is_one_clear_line(cli_env, settings):
    cli_env.credits_remaining = 1
    result = run_cli(
        "run", "--source", f"openalex-api:authors={LIU_ZIYIN}", "--data-dir", str(settings.data_dir), check=False
    )
    assert result.returncode == 1
    assert "daily credits are exhausted" in result.stderr and "resumes from its checkpoint" in result.stderr
    assert "Traceback" not in result.stderr
    assert not _leaks(settings.data_dir, result.stdout, result.stderr)
