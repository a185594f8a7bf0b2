-- Grain: one row per work. A work landed several times (snapshot partitions,
-- re-runs, API refreshes) keeps only its newest record: latest updated_date,
-- then latest ingest, then the last file and line (numerically), so the
-- choice is stable.
with

works as (
    select * from raw_works
),

ranked as (
    select
        *,
        row_number() over (
            partition by work_id
            order by updated_date desc nulls last, ingest_date desc,
                regexp_extract(location, '^(.*):\d+$', 1) desc,
                try_cast(regexp_extract(location, ':(\d+)$', 1) as bigint) desc
        ) as version_rank
    from works
),

final as (
    select * exclude (version_rank)
    from ranked
    where version_rank = 1
)

select * from final
