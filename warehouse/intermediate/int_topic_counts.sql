-- Grain: one row per (author, topic). works_count = the distinct works of the
-- author whose topics list holds the topic.
with

authorships as (
    select work_id, author_id from int_authorships
),

work_topics as (
    select * from int_work_topics
),

final as (
    select
        authorships.author_id,
        work_topics.topic_id,
        min(work_topics.topic_display_name) as topic_display_name,
        min(work_topics.subfield) as subfield,
        min(work_topics.field) as field,
        min(work_topics.domain) as domain,
        count(*) as works_count  -- (work, author) and (work, topic) are unique: one row per work
    from authorships
    join work_topics on work_topics.work_id = authorships.work_id
    group by authorships.author_id, work_topics.topic_id
)

select * from final
