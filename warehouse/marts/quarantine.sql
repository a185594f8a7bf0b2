-- Grain: one row per rejected input record, with where it came from and why.
-- For every input file: valid records + quarantined records = records read.
with

rejected as (
    select * from stg_pipeline__quarantine
),

final as (
    select source, entity, source_file, line_number, location, raw, error, ingest_date
    from rejected
)

select * from final
