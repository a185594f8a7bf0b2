-- Grain: one row per author entry of the newest record of every arXiv paper, with
-- the work it belongs to and the author it is. arXiv gives names only, and a name
-- alone never merges two people. An entry becomes an OpenAlex author when its
-- normalised name matches exactly one OpenAlex author AND
--   same_work  that author is listed on the same work (the arXiv paper matched an
--              OpenAlex record: the title overlaps), or
--   coauthor   another author of the arXiv paper is, by name, one of that author's
--              OpenAlex co-authors (on works with at most max_authors_per_work authors).
-- A name the work's OpenAlex record lists under several authors is left out: the
-- people are on the work already, and picking one would be a guess.
-- Otherwise it stays a name-only author (verification L0) with a surrogate id in
-- the OpenAlex form: arxiv_surrogate_id('A', 'arxiv:<arxiv id>|<name key>'), one
-- per paper and name, so two papers by "J. Smith" are never one person by name.
with

latest as (
    select arxiv_id, source_file, line_number from int_arxiv_entries__latest
),

entries as (
    select * from stg_arxiv__authorships
),

sources as (
    select work_id, source, source_record_id from int_work_sources
),

openalex_works as (
    select work_id, source_file, line_number from int_works__latest
),

openalex_entries as (
    select work_id, source_file, line_number, author_id, author_display_name from stg_openalex__authorships
),

current_entries as (
    select
        sources.work_id,
        entries.arxiv_id,
        entries.author_name,
        entries.name_key,
        entries.position_index
    from entries
    join latest
        on latest.arxiv_id = entries.arxiv_id
        and latest.source_file = entries.source_file
        and latest.line_number = entries.line_number
    join sources on sources.source = 'arxiv' and sources.source_record_id = entries.arxiv_id
),

openalex_listed as (
    -- names on the works arXiv papers belong to (same_work): (work, author, name key) on the newest
    -- record of every such OpenAlex work, by merged work. Restricted to those works before the
    -- distinct (DuckDB does not move the semi join below it): the distinct had run over every
    -- OpenAlex entry
    select distinct
        sources.work_id,
        openalex_entries.author_id,
        normalize_person_name(openalex_entries.author_display_name) as name_key
    from openalex_entries
    join openalex_works
        on openalex_works.work_id = openalex_entries.work_id
        and openalex_works.source_file = openalex_entries.source_file
        and openalex_works.line_number = openalex_entries.line_number
    join sources on sources.source = 'openalex' and sources.source_record_id = openalex_entries.work_id
    where sources.work_id in (select work_id from current_entries)
),

evidence as not materialized (
    -- per author: the name keys they go by and their co-authors' name keys (int_arxiv_name_evidence).
    -- Not materialized: read twice, DuckDB copied the whole table (every author's rows) into an
    -- in-memory CTE before either reader filtered it
    select author_id, kind, key from int_arxiv_name_evidence
),

candidates as (
    -- OpenAlex authors whose name is the name of some arXiv author entry
    select distinct author_id, key as name_key
    from evidence
    where kind = 'name' and key in (select name_key from current_entries)
),

same_work as (
    -- the work's OpenAlex record(s) list the name: one author is a match; several (two
    -- namesakes, or one person split over two OpenAlex ids) are already on the work, so
    -- the arXiv entry adds no one (author_id stays null and the entry is left out)
    select
        current_entries.arxiv_id,
        current_entries.position_index,
        case when count(distinct openalex_listed.author_id) = 1 then min(openalex_listed.author_id) end as author_id
    from current_entries
    join openalex_listed
        on openalex_listed.work_id = current_entries.work_id
        and openalex_listed.name_key = current_entries.name_key
    group by current_entries.arxiv_id, current_entries.position_index
),

coauthor_names as (
    -- (candidate author, the name key of one of their OpenAlex co-authors)
    select author_id, key as coauthor_key
    from evidence
    where kind = 'coauthor' and author_id in (select author_id from candidates)
),

by_coauthor as (
    select current_entries.arxiv_id, current_entries.position_index, min(candidates.author_id) as author_id
    from current_entries
    join candidates on candidates.name_key = current_entries.name_key
    join current_entries as other_entry
        on other_entry.arxiv_id = current_entries.arxiv_id
        and other_entry.position_index <> current_entries.position_index
    join coauthor_names
        on coauthor_names.author_id = candidates.author_id
        and coauthor_names.coauthor_key = other_entry.name_key
    group by current_entries.arxiv_id, current_entries.position_index
    having count(distinct candidates.author_id) = 1
),

final as (
    select
        current_entries.work_id,
        current_entries.arxiv_id,
        current_entries.position_index,
        current_entries.author_name as author_display_name,
        coalesce(
            same_work.author_id,
            by_coauthor.author_id,
            arxiv_surrogate_id(
                'A',
                'arxiv:' || current_entries.arxiv_id || '|'
                || coalesce(current_entries.name_key, current_entries.position_index::varchar)
            )
        ) as author_id,
        case
            when same_work.author_id is not null then 'same_work'
            when by_coauthor.author_id is not null then 'coauthor'
            else 'name_only'
        end as matched_by,
        same_work.author_id is null and by_coauthor.author_id is null as is_name_only
    from current_entries
    left join same_work
        on same_work.arxiv_id = current_entries.arxiv_id
        and same_work.position_index = current_entries.position_index
    left join by_coauthor
        on by_coauthor.arxiv_id = current_entries.arxiv_id
        and by_coauthor.position_index = current_entries.position_index
    where same_work.arxiv_id is null or same_work.author_id is not null
)

select * from final
