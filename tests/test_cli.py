"""CLI failure modes: one line on stderr, exit 1, no traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["run", "--as-of", "2026-13-01"], {}, "error: --as-of '2026-13-01' is not a date: month must be in 1..12"),
        (["run", "--source", "openalex-api"], {}, "error: source 'openalex-api' needs authors=A1,A2 or orcid=ORCID"),
        (["run", "--source", "nosuch:x"], {}, "error: unknown source 'nosuch:x'"),
        (
            ["run"],
            {"PIPELINE_BATCH_ROWS": "lots"},
            "error: ValidationError: 1 validation error for Settings batch_rows",
        ),
        (["profile", "A1"], {}, "error: no warehouse at"),
        (["report"], {}, "error: no warehouse at"),
        (["profile", "A1", "--json"], {}, "error: no warehouse at"),
    ],
)
def test_failures_are_one_line(tmp_path, args, env, expected):
    result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert "Traceback" not in result.output


def test_quarantine_of_an_empty_data_dir_is_empty_not_an_error(tmp_path):
    result = runner.invoke(app, ["quarantine", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "Quarantine: 0 rejected record(s)" in result.stdout


def test_report_of_a_missing_data_dir_says_so(tmp_path):
    result = runner.invoke(app, ["report", "--data-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: no data dir at {tmp_path / 'nowhere'}; pass --data-dir of a pipeline run, or run `pipeline run`"
    )
