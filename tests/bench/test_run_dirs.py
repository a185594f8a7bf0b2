"""The benchmark's clean-up of finished runs: a run's deletes must not slow the runs after it."""

from __future__ import annotations

import sys
from collections import namedtuple
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bench_sizes  # noqa: E402
import run_bench  # noqa: E402

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def harness(monkeypatch):
    """No real waiting; a dir of 3 files counts as many; record every sync and sleep."""
    calls: list[str] = []
    monkeypatch.setattr(run_bench, "SETTLE_MIN_FILES", 3)
    monkeypatch.setattr(run_bench.os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(run_bench.time, "sleep", lambda seconds: calls.append(f"sleep {seconds}"))
    monkeypatch.setattr(run_bench, "_KEPT", [])
    return calls


def _run_dir(root: Path, name: str, files: int = 3, size: int = 1000) -> Path:
    folder = root / name / "publish"
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f"{i}.json").write_bytes(b"x" * size)
    return root / name


def _free(monkeypatch, free: int) -> None:
    monkeypatch.setattr(run_bench.shutil, "disk_usage", lambda path: Usage(10**12, 0, free))


def test_a_run_dir_is_kept_until_the_end_when_the_disk_has_room(tmp_path, monkeypatch, harness):
    _free(monkeypatch, 10**9)
    first, second = _run_dir(tmp_path, "pipeline-0"), _run_dir(tmp_path, "pipeline-1")
    run_bench.remove_run_dir(first)
    run_bench.remove_run_dir(second)
    assert first.exists() and second.exists()  # nothing deleted between the runs
    assert harness == []  # and nothing waited for

    run_bench.remove_kept_run_dirs()
    assert not first.exists() and not second.exists()
    # 6 files deleted: written back, then the deleted inodes waited out once, for both dirs
    assert harness == ["sync", f"sleep {run_bench.SETTLE_SECONDS}"]
    assert run_bench.SETTLE_SECONDS > 360  # Linux's RECENTCY_MIN + RECENTCY_DIRTY


def test_without_room_a_run_dir_is_deleted_at_once_and_waited_out(tmp_path, monkeypatch, harness):
    folder = _run_dir(tmp_path, "pipeline-0", size=1000)
    _free(monkeypatch, 2 * 3000 - 1)  # less than KEEP_FREE_FACTOR x the dir's 3,000 bytes
    run_bench.remove_run_dir(folder)
    assert not folder.exists()
    assert harness == ["sync", f"sleep {run_bench.SETTLE_SECONDS}"]
    run_bench.remove_kept_run_dirs()
    assert harness == ["sync", f"sleep {run_bench.SETTLE_SECONDS}"]  # nothing was kept


def test_a_small_run_dir_is_deleted_without_waiting(tmp_path, monkeypatch, harness):
    _free(monkeypatch, 10**9)
    folder = _run_dir(tmp_path, "baseline-0", files=2)
    run_bench.remove_run_dir(folder)
    assert not folder.exists()
    assert harness == []


def test_the_last_process_does_not_wait_after_its_deletes(tmp_path, monkeypatch, harness):
    _free(monkeypatch, 10**9)
    folder = _run_dir(tmp_path, "pipeline-0")
    run_bench.remove_run_dir(folder)
    run_bench.remove_kept_run_dirs(settle=False)
    assert not folder.exists()
    assert harness == []


def test_bench_sizes_runs_the_before_code_at_the_small_sizes_only(tmp_path, monkeypatch):
    commands: list[list[str]] = []
    monkeypatch.setattr(bench_sizes.subprocess, "run", lambda cmd, **kw: commands.append(cmd))
    monkeypatch.setattr(bench_sizes, "export_commit", lambda commit, folder: (folder / "marker").write_text(commit))
    argv = ["bench_sizes.py", "--sizes", "1000 5000", "--phases-max", "1000", "--before", "abc1234"]
    argv += ["--results-dir", str(tmp_path), "--markdown", str(tmp_path / "B.md"), "--png", str(tmp_path / "s.png")]
    monkeypatch.setattr(sys, "argv", argv)
    assert bench_sizes.main() == 0
    small, large, scaling = commands
    assert small[small.index("--before-label") + 1] == "abc1234"
    assert "--before-root" in small and "--before-root" not in large
    assert "--no-final-settle" in large and "--no-final-settle" not in small  # only the last size skips the wait
    assert scaling[1].endswith("scaling.py")


def test_the_reproduce_line_names_an_archived_commit_not_a_temporary_folder():
    assert run_bench._root_shown(Path("/tmp/bench-before-x1"), "9b7dfdd") == "<git archive 9b7dfdd>"
    assert run_bench._root_shown(Path("/srv/code"), None) == "/srv/code"
