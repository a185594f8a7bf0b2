-- Grain: one row per work: its newest record. A work landed several times
-- (snapshot partitions, re-runs, API refreshes) keeps the record with the
-- latest updated_date, then the latest ingest, then the last file and line, so
-- the choice is stable.
--
-- The abstract stays in stg_openalex__works: has_abstract says whether the record
-- has one, and record_row is the record's row there, where marts/works reads it.
-- The newest record is chosen on the ordering columns alone, then its row fetched,
-- so neither the window nor this table carries the abstracts (a window over whole
-- records sorted every title and abstract).
with

newest as (
    select rowid as record_row
    from stg_openalex__works
    qualify row_number() over (
        partition by work_id
        order by updated_date desc nulls last, ingest_date desc, source_file desc, line_number desc
    ) = 1
),

final as (
    select
        records.* exclude (abstract),
        records.abstract is not null as has_abstract,
        records.rowid as record_row
    from stg_openalex__works as records
    where records.rowid in (select record_row from newest)
)

select * from final
