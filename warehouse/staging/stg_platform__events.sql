-- Grain: one row per platform event id (a redelivered event counts once), with
-- merged author ids resolved.
with

events as (
    select * from raw_events
),

merged as (
    select * from stg_openalex__merged_authors
),

deduplicated as (
    select *
    from events
    qualify row_number() over (
        partition by event_id
        order by
            ingest_date,
            regexp_extract(location, '^(.*):\d+$', 1),
            try_cast(regexp_extract(location, ':(\d+)$', 1) as bigint)
    ) = 1
),

final as (
    select
        deduplicated.event_id,
        deduplicated.type as event_type,
        coalesce(merged.surviving_id, deduplicated.author_id) as author_id,
        deduplicated.actor_id,
        deduplicated.occurred_at
    from deduplicated
    left join merged on merged.merged_id = deduplicated.author_id
)

select * from final
