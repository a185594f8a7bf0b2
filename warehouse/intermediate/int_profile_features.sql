-- Grain: one row per author known to the warehouse (an author record, or an
-- author id on an authorship). The inputs of the trust model and of profiles.
with

authors as (
    select * from int_authors__latest
),

authorships as (
    select * from int_authorships
),

works as (
    select work_id, cited_by_count, publication_year from int_works
),

topic_counts as (
    select * from int_topic_counts
),

event_state as (
    select * from int_author_event_state
),

authorship_stats as (
    -- one aggregate over the author's works: counts, years, and the name and ORCID as printed on
    -- the most recent work that gives them. A left join (an authorship whose work is missing counts
    -- for name_only only) and few hash tables at once: every extra aggregate and join of this
    -- query held its memory until the last join ran
    select
        authorships.author_id,
        count(works.work_id) as works_count,  -- int_authorships is unique per (work, author)
        sum(works.cited_by_count)::bigint as cited_by_count,
        min(works.publication_year) as first_publication_year,
        max(works.publication_year) as last_publication_year,
        -- ties on the year go to the highest work id, so every build (full or incremental) picks the same
        arg_max(authorships.author_display_name, (works.publication_year, authorships.work_id))
            filter (where authorships.author_display_name is not null and works.publication_year is not null)
            as display_name,
        arg_max(authorships.orcid, (works.publication_year, authorships.work_id))
            filter (where authorships.orcid is not null and works.publication_year is not null) as orcid,
        -- arXiv authors matched to no OpenAlex author: known by name only (L0)
        bool_and(authorships.is_name_only) as is_name_only
    from authorships
    left join works on works.work_id = authorships.work_id
    group by authorships.author_id
),

graph_stats as (
    -- topics and collaborators counted in one aggregate
    select
        author_id,
        count(*) filter (where kind = 0) as topics_count,
        count(*) filter (where kind = 1) as collaborators_count,
        count(*) filter (where kind = 1 and is_close) as close_collaborators_count
    from (
        select author_id, 0 as kind, null::boolean as is_close from topic_counts
        union all
        select author_a, 1, is_close from int_collaborator_edges
        union all
        select author_b, 1, is_close from int_collaborator_edges
    )
    group by author_id
),

per_source as (
    -- every source's row per author (each source has at most one), stacked and grouped once: one
    -- aggregate, which spills, instead of a join per source. The joins kept every source's hash
    -- table in memory until the last one ran: at 2M works the model needed DuckDB's whole 500MB
    -- limit (out of memory under 450MB); the grouped union builds under 300MB
    select author_id, 'record' as source, display_name as record_display_name, orcid as record_orcid,
           openalex_works_count, openalex_cited_by_count, h_index
    from authors
    union all by name
    select *, 'authorships' as source from authorship_stats
    union all by name
    select *, 'graph' as source from graph_stats
    union all by name
    select *, 'events' as source from event_state
),

known as (
    -- every author: an author record, or an author id on an authorship (graph statistics and
    -- platform events of no such author are dropped)
    select
        author_id,
        bool_or(source = 'record') as has_record,
        any_value(record_display_name) as record_display_name,
        any_value(record_orcid) as record_orcid,
        any_value(openalex_works_count) as openalex_works_count,
        any_value(openalex_cited_by_count) as openalex_cited_by_count,
        any_value(h_index) as h_index,
        any_value(works_count) as works_count,
        any_value(cited_by_count) as cited_by_count,
        any_value(first_publication_year) as first_publication_year,
        any_value(last_publication_year) as last_publication_year,
        any_value(display_name) as display_name,
        any_value(orcid) as orcid,
        any_value(is_name_only) as is_name_only,
        any_value(topics_count) as topics_count,
        any_value(collaborators_count) as collaborators_count,
        any_value(close_collaborators_count) as close_collaborators_count,
        any_value(followers_count) as followers_count,
        any_value(is_claimed) as is_claimed,
        any_value(is_verified) as is_verified
    from per_source
    group by author_id
    having bool_or(source in ('record', 'authorships'))
),

final as (
    select
        author_id,
        coalesce(record_display_name, display_name) as display_name,
        coalesce(record_orcid, orcid) as orcid,
        coalesce(works_count, 0)::bigint as works_count,
        coalesce(cited_by_count, 0)::bigint as cited_by_count,
        openalex_works_count,
        openalex_cited_by_count,
        h_index,
        first_publication_year,
        last_publication_year,
        coalesce(topics_count, 0)::bigint as topics_count,
        coalesce(collaborators_count, 0)::bigint as collaborators_count,
        coalesce(close_collaborators_count, 0)::bigint as close_collaborators_count,
        coalesce(followers_count, 0)::bigint as followers_count,
        case when is_claimed then 'claimed' else 'unclaimed' end as claim_status,
        case
            when is_claimed and is_verified then 'L3'
            when coalesce(record_orcid, orcid) is not null then 'L2'
            when is_name_only and not has_record then 'L0'
            else 'L1'  -- an OpenAlex author id
        end as verification_level
    from known
)

select * from final
