-- Grain: one row per unordered author pair (author_a < author_b) that shares at
-- least one work. Works with more than getvariable('max_authors_per_work')
-- distinct authors add no edges: consortium papers say little about who works
-- with whom, and would add O(n^2) pairs each. is_close marks close
-- collaborators: at least getvariable('close_min_shared_works') shared works.
with

authorships as (
    select work_id, author_id from int_authorships
),

works as (
    select work_id, publication_year from int_works
),

small_works as (
    -- works with at most max_authors_per_work authors (int_authorships is unique per (work, author))
    select work_id from authorships group by work_id having count(*) <= getvariable('max_authors_per_work')
),

eligible as not materialized (
    -- not materialized, and a grouped count instead of a window: when the self-join read it twice, a
    -- materialized copy of every authorship sat in memory beside the window's partitions and ran a
    -- 2M-works build out of memory under 800MB; these are hash joins and aggregates, which spill
    select authorships.work_id, authorships.author_id, works.publication_year
    from authorships
    join works on works.work_id = authorships.work_id
    semi join small_works on small_works.work_id = authorships.work_id
),

pairs as (
    select
        a.author_id as author_a,
        b.author_id as author_b,
        a.work_id,
        a.publication_year
    from eligible as a
    -- b: any author of a's work (already small and in int_works); joining eligible twice made DuckDB
    -- materialise `works` and `small_works` and join them above the pairs, once per pair
    join authorships as b
        on b.work_id = a.work_id
        and a.author_id < b.author_id
),

final as (
    select
        author_a,
        author_b,
        count(*) as shared_works,  -- int_authorships is unique per (work, author): one pair row per work
        min(publication_year) as first_year,
        max(publication_year) as last_year,
        count(*) >= getvariable('close_min_shared_works') as is_close
    from pairs
    group by author_a, author_b
)

select * from final
