-- Grain: one row per rejected input record, with where it came from and why.
-- For every input file: valid records + quarantined records = records read.
with

rejected as (
    select * from raw_quarantine
),

final as (
    select
        source,
        entity,
        location,
        raw,
        error,
        ingest_date
    from rejected
)

select * from final
