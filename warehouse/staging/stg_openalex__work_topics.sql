-- Grain: one row per (work, topic) of the newest version of each work.
with

works as (
    select work_id, topics from stg_openalex__works
),

entries as (
    select
        works.work_id,
        topic.topic_id,
        topic.display_name as topic_display_name,
        topic.score,
        topic.subfield,
        topic.field,
        topic.domain
    from works, unnest(works.topics) as t(topic)
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
    from entries
    group by work_id, topic_id
)

select * from final
