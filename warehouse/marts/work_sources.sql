-- Grain: one row per source record of a work: which OpenAlex and arXiv records
-- make up each works row, and how each was matched (see int_work_sources).
with

sources as (
    select * from int_work_sources
),

final as (
    select
        work_id,
        source,
        source_record_id,
        matched_by,
        is_primary,
        record_source
    from sources
)

select * from final
