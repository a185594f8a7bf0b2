-- Grain: one row per (author, topic). works_count = the distinct works of the
-- author whose topics list holds the topic.
with

topic_counts as (
    select * from int_topic_counts
),

final as (
    select author_id, topic_id, topic_display_name, subfield, field, domain, works_count
    from topic_counts
)

select * from final
