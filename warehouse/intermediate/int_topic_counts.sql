-- Grain: one row per (author, topic). works_count = the distinct works of the
-- author whose topics list holds the topic. The names are the smallest the
-- author's works give the topic: when every work gives a topic the same names
-- (uniform, the usual case), those, looked up once per topic instead of kept in
-- every (author, topic) group; otherwise computed from the author's works.
with

authorships as (
    select work_id, author_id from int_authorships
),

work_topics as (
    select * from int_work_topics
),

topics as (
    select
        topic_id,
        min(topic_display_name) as topic_display_name,
        min(subfield) as subfield,
        min(field) as field,
        min(domain) as domain,
        -- uniform: each name is the same on every work, or missing on every work
        min(topic_display_name) is not distinct from max(topic_display_name)
        and min(subfield) is not distinct from max(subfield)
        and min(field) is not distinct from max(field)
        and min(domain) is not distinct from max(domain)
        and count(topic_display_name) in (0, count(*))
        and count(subfield) in (0, count(*))
        and count(field) in (0, count(*))
        and count(domain) in (0, count(*)) as is_uniform
    from work_topics
    group by topic_id
),

counts as (
    select
        authorships.author_id,
        work_topics.topic_id,
        count(*) as works_count  -- (work, author) and (work, topic) are unique: one row per work
    from authorships
    join work_topics on work_topics.work_id = authorships.work_id
    group by authorships.author_id, work_topics.topic_id
),

uniform as (
    select
        counts.author_id,
        counts.topic_id,
        topics.topic_display_name,
        topics.subfield,
        topics.field,
        topics.domain,
        counts.works_count
    from counts
    join topics on topics.topic_id is not distinct from counts.topic_id
    where topics.is_uniform
),

mixed as (
    select
        authorships.author_id,
        work_topics.topic_id,
        min(work_topics.topic_display_name) as topic_display_name,
        min(work_topics.subfield) as subfield,
        min(work_topics.field) as field,
        min(work_topics.domain) as domain,
        count(*) as works_count
    from authorships
    join work_topics on work_topics.work_id = authorships.work_id
    join topics on topics.topic_id is not distinct from work_topics.topic_id
    where not topics.is_uniform
    group by authorships.author_id, work_topics.topic_id
),

final as (
    select * from uniform
    union all
    select * from mixed
)

select * from final
