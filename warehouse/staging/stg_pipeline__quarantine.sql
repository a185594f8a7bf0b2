-- Grain: one row per rejected input record.
with

rejected as (
    select * from raw_quarantine
),

final as (
    select
        source,
        entity,
        source_file,
        line_number,
        source_file || ':' || line_number as location,
        raw,
        error,
        ingest_date
    from rejected
)

select * from final
