-- Grain: one row per (work, author) of the newest record of each work. An author
-- listed twice on a work counts once, at their first position.
with

works as (
    select work_id, source_file, line_number from int_works__latest
),

entries as (
    select * from stg_openalex__authorships
),

current_entries as (
    select entries.*
    from entries
    join works
        on works.work_id = entries.work_id
        and works.source_file = entries.source_file
        and works.line_number = entries.line_number
),

final as (
    select
        work_id,
        author_id,
        arg_min(author_display_name, position_index) as author_display_name,
        arg_min(author_position, position_index) as author_position,
        max(orcid) as orcid,
        min(position_index) as position_index,
        coalesce(bool_or(is_corresponding), false) as is_corresponding,
        count(*) as listed_count
    from current_entries
    group by work_id, author_id
)

select * from final
