-- Grain: one row per (work, author): the authors of the newest record of each
-- OpenAlex work and of each arXiv paper, by merged work (int_work_sources). An
-- author listed by several records or versions of a work, or listed twice on one
-- record, counts once; the OpenAlex listing gives the name and position first.
with

works as (
    select work_id, source_file, line_number from int_works__latest
),

sources as (
    select work_id, source_record_id from int_work_sources where source = 'openalex'
),

entries as (
    select * from stg_openalex__authorships
),

arxiv_entries as (
    select * from int_arxiv_authorships
),

current_entries as (
    select sources.work_id, entries.* exclude (work_id), entries.work_id as record_id
    from entries
    join works
        on works.work_id = entries.work_id
        and works.source_file = entries.source_file
        and works.line_number = entries.line_number
    join sources on sources.source_record_id = entries.work_id
),

listed as (
    select
        work_id,
        'openalex:' || record_id as record_id,
        author_id,
        author_display_name,
        author_position,
        orcid,
        position_index,
        is_corresponding,
        false as is_name_only,
        0 as source_rank
    from current_entries
    union all
    select
        work_id,
        'arxiv:' || arxiv_id,
        author_id,
        author_display_name,
        null::varchar,
        null::varchar,
        position_index,
        null::boolean,
        is_name_only,
        1
    from arxiv_entries
),

per_record as (
    select work_id, author_id, record_id, count(*) as listed_count
    from listed
    group by work_id, author_id, record_id
),

listed_counts as (
    select work_id, author_id, max(listed_count) as listed_count, sum(listed_count) as entries
    from per_record
    group by work_id, author_id
),

listed_once as (
    -- the usual case, one entry for the (work, author): it gives everything as it is. Only the
    -- rest is aggregated below (text-valued aggregate states are what a hash aggregate cannot
    -- spill to disk, so they are kept for the few pairs that need them)
    select
        listed.work_id,
        listed.author_id,
        listed.author_display_name,
        listed.author_position,
        listed.orcid,
        listed.position_index,
        coalesce(listed.is_corresponding, false) as is_corresponding,
        listed_counts.listed_count,
        listed.is_name_only
    from listed
    join listed_counts on listed_counts.work_id = listed.work_id and listed_counts.author_id = listed.author_id
    where listed_counts.entries = 1
),

listed_more as (
    select
        listed.work_id,
        listed.author_id,
        arg_min(listed.author_display_name, (listed.source_rank * 1000000 + listed.position_index, listed.record_id)) as author_display_name,
        arg_min(listed.author_position, (listed.source_rank * 1000000 + listed.position_index, listed.record_id)) as author_position,
        max(listed.orcid) as orcid,
        arg_min(listed.position_index, (listed.source_rank * 1000000 + listed.position_index, listed.record_id)) as position_index,
        coalesce(bool_or(listed.is_corresponding), false) as is_corresponding,
        any_value(listed_counts.listed_count) as listed_count,
        bool_and(listed.is_name_only) as is_name_only
    from listed
    join listed_counts on listed_counts.work_id = listed.work_id and listed_counts.author_id = listed.author_id
    where listed_counts.entries > 1
    group by listed.work_id, listed.author_id
),

final as (
    select * from listed_once
    union all
    select * from listed_more
)

select * from final
