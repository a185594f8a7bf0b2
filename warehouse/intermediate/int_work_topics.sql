-- Grain: one row per (work, topic) of the newest record of each OpenAlex work,
-- by merged work (int_work_sources): versions of a work pool their topics.
with

works as (
    select work_id, source_file, line_number from int_works__latest
),

sources as (
    select work_id, source_record_id from int_work_sources where source = 'openalex'
),

entries as (
    select * from stg_openalex__work_topics
),

current_entries as (
    select sources.work_id, entries.* exclude (work_id)
    from entries
    join works
        on works.work_id = entries.work_id
        and works.source_file = entries.source_file
        and works.line_number = entries.line_number
    join sources on sources.source_record_id = entries.work_id
),

entry_counts as (
    select work_id, topic_id, count(*) as entries
    from current_entries
    group by work_id, topic_id
),

listed_once as (
    -- the usual case, one entry for the (work, topic): it gives everything as it is. Only the
    -- rest is aggregated below (text-valued aggregate states are what a hash aggregate cannot
    -- spill to disk, so they are kept for the few pairs that need them)
    select
        current_entries.work_id,
        current_entries.topic_id,
        current_entries.topic_display_name,
        current_entries.score,
        current_entries.subfield,
        current_entries.field,
        current_entries.domain
    from current_entries
    join entry_counts
        on entry_counts.work_id = current_entries.work_id
        and entry_counts.topic_id is not distinct from current_entries.topic_id
    where entry_counts.entries = 1
),

listed_more as (
    select
        current_entries.work_id,
        current_entries.topic_id,
        min(current_entries.topic_display_name) as topic_display_name,
        max(current_entries.score) as score,
        min(current_entries.subfield) as subfield,
        min(current_entries.field) as field,
        min(current_entries.domain) as domain
    from current_entries
    join entry_counts
        on entry_counts.work_id = current_entries.work_id
        and entry_counts.topic_id is not distinct from current_entries.topic_id
    where entry_counts.entries > 1
    group by current_entries.work_id, current_entries.topic_id
),

final as (
    select * from listed_once
    union all
    select * from listed_more
)

select * from final
