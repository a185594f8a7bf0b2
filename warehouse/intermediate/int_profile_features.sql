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

edges as (
    select author_a as author_id, is_close from int_collaborator_edges
    union all
    select author_b as author_id, is_close from int_collaborator_edges
),

event_state as (
    select * from int_author_event_state
),

entry_identity as (
    -- name and ORCID as printed on the author's most recent work that gives them
    select
        authorships.author_id,
        -- ties on the year go to the highest work id, so every build (full or incremental) picks the same
        arg_max(authorships.author_display_name, (works.publication_year, authorships.work_id))
            filter (where authorships.author_display_name is not null and works.publication_year is not null)
            as display_name,
        arg_max(authorships.orcid, (works.publication_year, authorships.work_id))
            filter (where authorships.orcid is not null and works.publication_year is not null) as orcid
    from authorships
    join works on works.work_id = authorships.work_id
    group by authorships.author_id
),

author_ids as (
    select author_id from authors
    union
    select author_id from authorships
),

name_only as (
    -- arXiv authors matched to no OpenAlex author: known by name only (L0)
    select author_id from authorships group by author_id having bool_and(is_name_only)
),

work_stats as (
    select
        authorships.author_id,
        count(*) as works_count,  -- int_authorships is unique per (work, author)
        sum(works.cited_by_count)::bigint as cited_by_count,
        min(works.publication_year) as first_publication_year,
        max(works.publication_year) as last_publication_year
    from authorships
    join works on works.work_id = authorships.work_id
    group by authorships.author_id
),

topic_stats as (
    select author_id, count(*) as topics_count
    from topic_counts
    group by author_id
),

collaborator_stats as (
    select
        author_id,
        count(*) as collaborators_count,
        count(*) filter (where is_close) as close_collaborators_count
    from edges
    group by author_id
),

final as (
    select
        author_ids.author_id,
        coalesce(authors.display_name, entry_identity.display_name) as display_name,
        coalesce(authors.orcid, entry_identity.orcid) as orcid,
        coalesce(work_stats.works_count, 0)::bigint as works_count,
        coalesce(work_stats.cited_by_count, 0)::bigint as cited_by_count,
        authors.openalex_works_count,
        authors.openalex_cited_by_count,
        authors.h_index,
        work_stats.first_publication_year,
        work_stats.last_publication_year,
        coalesce(topic_stats.topics_count, 0)::bigint as topics_count,
        coalesce(collaborator_stats.collaborators_count, 0)::bigint as collaborators_count,
        coalesce(collaborator_stats.close_collaborators_count, 0)::bigint as close_collaborators_count,
        coalesce(event_state.followers_count, 0)::bigint as followers_count,
        case when event_state.is_claimed then 'claimed' else 'unclaimed' end as claim_status,
        case
            when event_state.is_claimed and event_state.is_verified then 'L3'
            when coalesce(authors.orcid, entry_identity.orcid) is not null then 'L2'
            when name_only.author_id is not null and authors.author_id is null then 'L0'
            else 'L1'  -- an OpenAlex author id
        end as verification_level
    from author_ids
    left join authors on authors.author_id = author_ids.author_id
    left join entry_identity on entry_identity.author_id = author_ids.author_id
    left join work_stats on work_stats.author_id = author_ids.author_id
    left join topic_stats on topic_stats.author_id = author_ids.author_id
    left join collaborator_stats on collaborator_stats.author_id = author_ids.author_id
    left join event_state on event_state.author_id = author_ids.author_id
    left join name_only on name_only.author_id = author_ids.author_id
)

select * from final
