-- Grain: one row per platform event *delivery* (a redelivered event appears
-- twice; int_author_event_state counts it once), with merged author ids resolved.
with

events as (
    select * from raw_events
),

final as (
    select
        events.event_id,
        events.type as event_type,
        coalesce(merged.surviving_id, events.author_id) as author_id,
        events.actor_id,
        events.occurred_at,
        events.source_file,
        events.line_number,
        events.ingest_date
    from events
    left join merged_author_ids() as merged on merged.merged_id = events.author_id
)

select * from final
