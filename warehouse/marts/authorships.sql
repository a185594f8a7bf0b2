-- Grain: one row per (work, author). An author listed twice on a work counts
-- once, at their first position.
with

entries as (
    select * from stg_openalex__authorships
),

final as (
    select
        work_id,
        author_id,
        arg_min(author_display_name, position_index) as author_display_name,
        arg_min(author_position, position_index) as author_position,
        min(position_index) as position_index,
        coalesce(bool_or(is_corresponding), false) as is_corresponding,
        count(*) as listed_count
    from entries
    group by work_id, author_id
)

select * from final
