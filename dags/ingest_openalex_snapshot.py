"""
### Ingest an OpenAlex snapshot

The bulk path, run by hand: trigger it with `{"path": "/data/openalex-snapshot"}`
(a folder holding `data/{authors,works}/updated_date=*/part_*.gz`, their manifests
and `data/merged_ids/`).

* **plan**: lists the snapshot's parts (checking the manifests) and splits them into
  batches of `parts_per_task`;
* **land_parts** (one mapped task per batch, spread over the workers): validates every
  record, quarantines the rest, gates the batch and commits it to the lake (on an s3://
  lake only the commit step is serialised across hosts, see the README);
* **landed**: once every batch has landed, emits one `lake_openalex_snapshot` event with
  the totals, which starts `build_warehouse` once, from all of them.

Parts already landed (same file, size and mtime) are skipped, so a re-run only lands
what changed. CLI twin: `pipeline run --source openalex-snapshot:PATH`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from pipeline.orchestration.assets import LAKE_OPENALEX_SNAPSHOT
from pipeline.orchestration.tasks import DEFAULT_ARGS, snapshot_tasks


@dag(
    doc_md=__doc__,
    schedule=None,
    catchup=False,
    tags=["scholarly", "openalex", "bulk"],
    default_args=DEFAULT_ARGS,
    params={
        "path": Param(type="string", minLength=1, description="the OpenAlex snapshot folder"),
        "parts_per_task": Param(8, type="integer", minimum=1, description="snapshot parts per mapped task"),
        "data_dir": Param(None, type=["null", "string"], description="pipeline data dir (default: PIPELINE_DATA_DIR)"),
    },
)
def ingest_openalex_snapshot():
    snapshot_tasks(LAKE_OPENALEX_SNAPSHOT)


ingest_openalex_snapshot()
