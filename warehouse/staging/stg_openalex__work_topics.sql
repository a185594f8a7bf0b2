-- Grain: one row per topic entry of every work record.
with

works as (
    select work_id, source_file, line_number, topics from raw_works
),

entries as (
    -- unnest in the select list: a plain UNNEST, not a lateral join
    select work_id, source_file, line_number, unnest(topics) as topic from works
),

final as (
    select
        work_id,
        source_file,
        line_number,
        topic.topic_id,
        topic.display_name as topic_display_name,
        topic.score,
        topic.subfield,
        topic.field,
        topic.domain
    from entries
)

select * from final
