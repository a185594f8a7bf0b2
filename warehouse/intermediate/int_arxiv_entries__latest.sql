-- Grain: one row per arXiv paper (arXiv id without version): its newest record.
-- The highest version wins, then the latest updated_at, then the latest ingest,
-- then the last file and line, so the choice is stable.
with

records as (
    select * from stg_arxiv__entries
),

final as (
    select *
    from records
    qualify row_number() over (
        partition by arxiv_id
        order by version desc nulls last, updated_at desc nulls last, ingest_date desc,
            source_file desc, line_number desc
    ) = 1
)

select * from final
