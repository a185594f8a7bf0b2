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

final as (
    select
        work_id,
        topic_id,
        min(topic_display_name) as topic_display_name,
        max(score) as score,
        min(subfield) as subfield,
        min(field) as field,
        min(domain) as domain
    from current_entries
    group by work_id, topic_id
)

select * from final
