-- Grain: one row per source record: the newest record of every OpenAlex work and
-- of every arXiv paper, with the work it belongs to. One real-world work, however
-- many records and versions it has, gets one work_id.
--
-- Two records are linked (strongest rule first):
--   doi         the same DOI (an arXiv paper's journal DOI = an OpenAlex record's DOI);
--   arxiv_id    the same arXiv paper: an OpenAlex DOI 10.48550/arxiv.<id> names it;
--   title_year  the same normalised title (at least 20 letters and digits, so
--               "Introduction" never merges), publication years at most 1 apart,
--               and at least one author name in common.
-- Links are followed transitively, so a preprint and its journal article join
-- through the arXiv paper that names both. The work's id and metadata come from
-- its primary record: an OpenAlex record before an arXiv one, the version of
-- record (not a preprint) first, then the most cited, then the smallest id. A work
-- known only from arXiv gets a surrogate id in the OpenAlex form
-- (arxiv_surrogate_id('W', 'arxiv:<id>'): W9 + 18 digits).
with recursive

openalex_works as (
    select work_id, doi, title, publication_year, type, cited_by_count, record_source, source_file, line_number
    from int_works__latest
),

arxiv_entries as (
    select arxiv_id, doi, title, publication_year, record_source, source_file, line_number
    from int_arxiv_entries__latest
),

openalex_entries as (
    select work_id, source_file, line_number, author_display_name from stg_openalex__authorships
),

arxiv_author_entries as (
    select arxiv_id, source_file, line_number, name_key from stg_arxiv__authorships
),

records as (
    select
        'openalex:' || work_id as node,
        'openalex' as source,
        work_id as source_record_id,
        doi,
        case when doi like '10.48550/arxiv.%' then substr(doi, 16) end as arxiv_key,
        normalize_title(title) as title_key,
        publication_year,
        coalesce(type <> 'preprint', false) as is_version_of_record,
        cited_by_count,
        record_source
    from openalex_works
    union all
    select
        'arxiv:' || arxiv_id,
        'arxiv',
        arxiv_id,
        doi,
        lower(arxiv_id),
        normalize_title(title),
        publication_year,
        false,
        0,
        record_source
    from arxiv_entries
),

shared_keys as (
    -- the DOIs, arXiv keys and title keys that more than one record has: only those can link
    -- records, so the self-joins below build their hash tables on these records alone
    select 'doi' as kind, doi as key from records where doi is not null group by doi having count(*) > 1
    union all
    select 'arxiv_key', arxiv_key from records where arxiv_key is not null group by arxiv_key having count(*) > 1
    union all
    select 'title_key', title_key from records where length(title_key) >= 20 group by title_key having count(*) > 1
),

doi_records as (
    select * from records where doi in (select key from shared_keys where kind = 'doi')
),

arxiv_records as (
    select * from records where arxiv_key in (select key from shared_keys where kind = 'arxiv_key')
),

title_records as (
    select * from records where title_key in (select key from shared_keys where kind = 'title_key')
),

title_candidates as (
    select a.node as node_a, b.node as node_b
    from title_records as a
    join title_records as b
        on b.title_key = a.title_key
        and a.node < b.node
        and abs(a.publication_year - b.publication_year) <= 1
    where length(a.title_key) >= 20
),

candidate_nodes as (
    select node_a as node from title_candidates
    union
    select node_b from title_candidates
),

record_names as (
    -- the author names on each title candidate (newest record only), as matching keys
    select distinct 'openalex:' || entries.work_id as node, normalize_person_name(entries.author_display_name) as name_key
    from openalex_entries as entries
    join openalex_works as works
        on works.work_id = entries.work_id
        and works.source_file = entries.source_file
        and works.line_number = entries.line_number
    where entries.author_display_name is not null
        and 'openalex:' || entries.work_id in (select node from candidate_nodes)
    union
    select distinct 'arxiv:' || entries.arxiv_id, entries.name_key
    from arxiv_author_entries as entries
    join arxiv_entries as latest
        on latest.arxiv_id = entries.arxiv_id
        and latest.source_file = entries.source_file
        and latest.line_number = entries.line_number
    where entries.name_key is not null
        and 'arxiv:' || entries.arxiv_id in (select node from candidate_nodes)
),

doi_links as (
    select a.node as node_a, b.node as node_b, 'doi' as rule, 1 as strength
    from doi_records as a
    join doi_records as b on b.doi = a.doi and a.node < b.node
),

arxiv_links as (
    select a.node as node_a, b.node as node_b, 'arxiv_id' as rule, 2 as strength
    from arxiv_records as a
    join arxiv_records as b on b.arxiv_key = a.arxiv_key and a.node < b.node
),

title_links as (
    select distinct candidates.node_a, candidates.node_b, 'title_year' as rule, 3 as strength
    from title_candidates as candidates
    join record_names as names_a on names_a.node = candidates.node_a
    join record_names as names_b on names_b.node = candidates.node_b and names_b.name_key = names_a.name_key
),

links as (
    select * from doi_links
    union all
    select * from arxiv_links
    union all
    select * from title_links
),

edges as (
    select node_a as node, node_b as other from links
    union
    select node_b, node_a from links
),

reach(node, reached) as (
    select distinct node, node from edges
    union
    select reach.node, edges.other
    from reach
    join edges on edges.node = reach.reached
),

components as (
    select node, min(reached) as component
    from reach
    group by node
),

ranked as (
    select
        records.*,
        coalesce(components.component, records.node) as component,
        row_number() over (
            partition by coalesce(components.component, records.node)
            order by records.source = 'openalex' desc, records.is_version_of_record desc,
                records.cited_by_count desc, records.source_record_id
        ) as rank_in_work
    from records
    left join components on components.node = records.node
),

primaries as (
    select
        component,
        case
            when source = 'openalex' then source_record_id
            else arxiv_surrogate_id('W', 'arxiv:' || source_record_id)
        end as work_id
    from ranked
    where rank_in_work = 1
),

record_rules as (
    -- a linked record's strongest link
    select node, arg_min(rule, strength) as matched_by
    from (
        select node_a as node, rule, strength from links
        union all
        select node_b, rule, strength from links
    )
    group by node
),

final as (
    select
        primaries.work_id,
        ranked.source,
        ranked.source_record_id,
        case when ranked.rank_in_work = 1 then 'primary' else record_rules.matched_by end as matched_by,
        ranked.rank_in_work = 1 as is_primary,
        ranked.record_source
    from ranked
    join primaries on primaries.component = ranked.component
    left join record_rules on record_rules.node = ranked.node
)

select * from final
