-- Grain: one row per platform event *delivery* (a redelivered event appears
-- twice; int_author_event_state counts it once), with merged author ids resolved.
with

events as (
    select * from raw_events
),

final as (
    select
        event_id,
        type as event_type,
        coalesce(merged.surviving_id, events.author_id) as author_id,
        actor_id,
        occurred_at,
        source_file,
        line_number,
        ingest_date
    from events
    left join merged_author_ids() as merged on merged.merged_id = events.author_id
)

select * from final
