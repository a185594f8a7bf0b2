-- Grain: one row per (work, author). An author listed twice on a work counts
-- once, at their first position.
with

authorships as (
    select * from int_authorships
),

final as (
    select
        work_id,
        author_id,
        author_display_name,
        author_position,
        position_index,
        is_corresponding,
        listed_count
    from authorships
)

select * from final
