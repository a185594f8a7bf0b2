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

author_ids as (
    select author_id from authors
    union
    select author_id from authorships
),

known as (
    -- every author: an author record, or an author id on an authorship. Left joins from the ids, not
    -- a full join of the records with the statistics: with the full join it ran out of memory at 2M
    -- works under 800MB, with these under 600MB
    select
        author_ids.author_id,
        authors.author_id as record_author_id,
        authors.display_name as record_display_name,
        authors.orcid as record_orcid,
        authors.openalex_works_count,
        authors.openalex_cited_by_count,
        authors.h_index,
        authorship_stats.* exclude (author_id)
    from author_ids
    left join authors on authors.author_id = author_ids.author_id
    left join authorship_stats on authorship_stats.author_id = author_ids.author_id
),

final as (
    select
        known.author_id,
        coalesce(known.record_display_name, known.display_name) as display_name,
        coalesce(known.record_orcid, known.orcid) as orcid,
        coalesce(known.works_count, 0)::bigint as works_count,
        coalesce(known.cited_by_count, 0)::bigint as cited_by_count,
        known.openalex_works_count,
        known.openalex_cited_by_count,
        known.h_index,
        known.first_publication_year,
        known.last_publication_year,
        coalesce(graph_stats.topics_count, 0)::bigint as topics_count,
        coalesce(graph_stats.collaborators_count, 0)::bigint as collaborators_count,
        coalesce(graph_stats.close_collaborators_count, 0)::bigint as close_collaborators_count,
        coalesce(event_state.followers_count, 0)::bigint as followers_count,
        case when event_state.is_claimed then 'claimed' else 'unclaimed' end as claim_status,
        case
            when event_state.is_claimed and event_state.is_verified then 'L3'
            when coalesce(known.record_orcid, known.orcid) is not null then 'L2'
            when known.is_name_only and known.record_author_id is null then 'L0'
            else 'L1'  -- an OpenAlex author id
        end as verification_level
    from known
    left join graph_stats on graph_stats.author_id = known.author_id
    left join event_state on event_state.author_id = known.author_id
)

select * from final
