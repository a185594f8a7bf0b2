-- Grain: one row per (OpenAlex author, kind, key): what the arXiv name matching
-- (int_arxiv_authorships) knows about an author, computed from that author's own
-- record and OpenAlex works only, so it is the same whichever arXiv entries exist:
--   name      a name key the author goes by: their record's name, and their names
--             on the works an arXiv paper belongs to;
--   coauthor  the name key of one of their OpenAlex co-authors, as the shared work
--             lists them (on works with at most max_authors_per_work authors).
-- An incremental build keeps this table between builds (schema incremental) and
-- recomputes only the rows of the authors a change touches, so matching an arXiv
-- entry never has to read the works of every author with the same name.
with

sources as (
    select work_id, source, source_record_id from int_work_sources
),

openalex_works as (
    select work_id, source_file, line_number from int_works__latest
),

openalex_entries as (
    select work_id, source_file, line_number, author_id, author_display_name from stg_openalex__authorships
),

authors as (
    select author_id, display_name from int_authors__latest
),

arxiv_latest as (
    select arxiv_id, source_file, line_number from int_arxiv_entries__latest
),

arxiv_works as (
    -- works with an arXiv paper whose newest record lists at least one author
    select distinct sources.work_id
    from stg_arxiv__authorships as entries
    join arxiv_latest
        on arxiv_latest.arxiv_id = entries.arxiv_id
        and arxiv_latest.source_file = entries.source_file
        and arxiv_latest.line_number = entries.line_number
    join sources on sources.source = 'arxiv' and sources.source_record_id = entries.arxiv_id
),

openalex_current as (
    -- (work, author, name key) on the newest record of every OpenAlex work, by merged work. The key
    -- is computed here, once per entry: computed in current_keys, DuckDB evaluated it twice per entry
    -- for `names` (the pushed-down `key is not null` filter, then the projection) before the arXiv
    -- works semi join dropped nearly all of them, and once more for small_work_keys
    select distinct
        sources.work_id,
        openalex_entries.author_id,
        normalize_person_name(openalex_entries.author_display_name) as key
    from openalex_entries
    join openalex_works
        on openalex_works.work_id = openalex_entries.work_id
        and openalex_works.source_file = openalex_entries.source_file
        and openalex_works.line_number = openalex_entries.line_number
    join sources on sources.source = 'openalex' and sources.source_record_id = openalex_entries.work_id
),

current_keys as not materialized (
    -- each (work, author, name key) once (openalex_current's rows: the distinct keeps each reader's
    -- first operator a sink, so DuckDB streams openalex_current to its readers instead of buffering
    -- it for one). Not materialized: a materialized copy (it is read three times) sat in memory
    -- beside openalex_current's and ran a 2M-works build out of memory under 800MB
    select distinct work_id, author_id, key
    from openalex_current
),

names as (
    select author_id, normalize_person_name(display_name) as key from authors where display_name is not null
    union
    select author_id, key
    from current_keys
    where work_id in (select work_id from arxiv_works)
),

small_works as (
    select work_id
    from openalex_current
    group by work_id
    having count(distinct author_id) <= getvariable('max_authors_per_work')
),

small_work_keys as (
    select work_id, author_id, key from current_keys semi join small_works using (work_id)
),

coauthors as (
    select distinct entry.author_id, other.key
    from (select distinct work_id, author_id from small_work_keys) as entry
    join small_work_keys as other
        on other.work_id = entry.work_id
        and other.author_id <> entry.author_id
    where other.key is not null
),

final as (
    select author_id, 'name' as kind, key from names where key is not null
    union all
    select author_id, 'coauthor' as kind, key from coauthors where key is not null
)

select * from final
