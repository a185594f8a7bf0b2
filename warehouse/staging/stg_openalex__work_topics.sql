-- Grain: one row per topic entry of every work record.
with

works as (
    select work_id, source_file, line_number, topics from raw_works
),

final as (
    select
        works.work_id,
        works.source_file,
        works.line_number,
        topic.topic_id,
        topic.display_name as topic_display_name,
        topic.score,
        topic.subfield,
        topic.field,
        topic.domain
    from works, unnest(works.topics) as t(topic)
)

select * from final
