-- Grain: one row per merged (retired) OpenAlex author id, mapped to the id that
-- finally survives. Chains (A1 -> A2 -> A3) are followed to the end; a cycle is
-- cut after 32 hops instead of looping forever.
with recursive

merged as (
    select * from raw_merged_authors
),

latest_merge as (
    -- if an id was merged twice, the latest merge wins
    select
        merged_id,
        arg_max(merge_into_id, coalesce(merge_date, date '0001-01-01')) as merge_into_id
    from merged
    where merged_id <> merge_into_id
    group by merged_id
),

walk(merged_id, current_id, hops) as (
    select merged_id, merge_into_id, 1 from latest_merge
    union all
    select walk.merged_id, latest_merge.merge_into_id, walk.hops + 1
    from walk
    join latest_merge on latest_merge.merged_id = walk.current_id
    where walk.hops < 32
),

final as (
    select
        merged_id,
        arg_max(current_id, hops) as surviving_id
    from walk
    group by merged_id
)

select * from final
