"""DAG integrity: every DAG file imports cleanly and follows the house rules."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_IDS = {
    "profile_requests",
    "platform_events",
    "sweep_requests",
    "ingest_openalex_snapshot",
    "build_warehouse",
    "refresh_stale_profiles",
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors_and_every_dag_is_there(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS
    for dag_id, dag in dagbag.dags.items():
        assert dag.fileloc.endswith(f"/dags/{dag_id}.py"), (
            f"{dag_id} lives in {dag.fileloc}; name the file after the DAG"
        )


def test_dags_are_documented_tagged_and_retried(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and dag.doc_md.strip().startswith("###"), dag_id
        assert "scholarly" in dag.tags, dag_id
        assert dag.catchup is False, dag_id
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"
            assert task.retry_exponential_backoff == 2.0, f"{dag_id}.{task.task_id}"


def _scheduled_on(dag) -> list:
    return list(dag.timetable.asset_condition.objects)


def _watchers(asset):
    return [(w.name, w.trigger) for w in asset.watchers]


@pytest.mark.parametrize(
    ("dag_id", "doorbell", "channel", "lake"),
    [
        ("profile_requests", "profile_requests_doorbell", "scholarly.requests", "lake_openalex_api"),
        ("platform_events", "platform_events_doorbell", "scholarly.events", "lake_platform_events"),
    ],
)
def test_request_dags_ring_on_redis_and_land_in_batches(dagbag, dag_id, doorbell, channel, lake):
    dag = dagbag.dags[dag_id]
    assets = _scheduled_on(dag)
    assert [a.name for a in assets] == [doorbell]
    asset = assets[0]
    ((_, trigger),) = _watchers(asset)
    assert type(trigger).__name__ == "MessageQueueTrigger"
    assert trigger.scheme == "redis+pubsub" and trigger.kwargs["channels"] == [channel]

    assert [t.task_id for t in dag.topological_sort()] == ["claim", "process", "check"]
    process = dag.get_task("process")
    assert type(process).__name__.endswith("MappedOperator")  # one task per batch (dynamic task mapping)
    assert [o.name for o in process.outlets] == [lake]
    assert dag.get_task("check").trigger_rule == "all_done"
    if dag_id == "profile_requests":
        assert process.pool == "openalex_api"  # the pool caps concurrent API calls


def test_build_warehouse_waits_for_any_lake_and_runs_one_at_a_time(dagbag):
    dag = dagbag.dags["build_warehouse"]
    assert type(dag.timetable.asset_condition).__name__ == "AssetAny"  # any lake, not all of them
    names = {a.name for a in _scheduled_on(dag)}
    assert names == {"lake_openalex_api", "lake_openalex_snapshot", "lake_platform_events"}
    assert dag.max_active_runs == 1
    assert [o.name for o in dag.get_task("build").outlets] == ["warehouse"]
    # every lake asset the ingest DAGs emit is one build_warehouse listens to
    emitted = {o.name for d in dagbag.dags.values() for t in d.tasks for o in t.outlets if o.name.startswith("lake")}
    assert emitted == names


def test_sweep_covers_both_kinds_and_is_scheduled(dagbag):
    dag = dagbag.dags["sweep_requests"]
    assert dag.max_active_runs == 1 and dag.timetable.expression == "*/5 * * * *"
    assert {t.task_id for t in dag.tasks} >= {"events.process", "profiles.process"}
    assert dag.get_task("profiles.process").pool == "openalex_api"


def test_snapshot_dag_maps_parts_and_needs_a_path(dagbag):
    dag = dagbag.dags["ingest_openalex_snapshot"]
    assert type(dag.timetable).__name__ == "NullTimetable"  # run by hand
    assert [t.task_id for t in dag.topological_sort()] == ["plan", "land_parts", "landed"]
    assert type(dag.get_task("land_parts")).__name__.endswith("MappedOperator")
    # one asset event once every mapped landing is done: the build starts once, from all of them
    assert dag.get_task("land_parts").outlets == []
    assert [o.name for o in dag.get_task("landed").outlets] == ["lake_openalex_snapshot"]
    assert dag.get_task("landed").trigger_rule == "all_success"
    assert dag.params.get_param("path").schema["type"] == "string"


def test_dag_files_stay_thin():
    # DAG files wire tasks to pipeline functions; logic belongs in pipeline/.
    for path in (REPO / "dags").glob("*.py"):
        assert len(path.read_text().splitlines()) < 80, path.name
