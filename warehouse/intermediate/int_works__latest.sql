-- Grain: one row per work: its newest record. A work landed several times
-- (snapshot partitions, re-runs, API refreshes) keeps the record with the
-- latest updated_date, then the latest ingest, then the last file and line, so
-- the choice is stable.
with

records as (
    select * from stg_openalex__works
),

final as (
    select *
    from records
    qualify row_number() over (
        partition by work_id
        order by updated_date desc nulls last, ingest_date desc, source_file desc, line_number desc
    ) = 1
)

select * from final
