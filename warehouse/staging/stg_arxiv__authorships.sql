-- Grain: one row per author entry of every arXiv entry record. arXiv lists names
-- only (no ids); they are matched to OpenAlex authors in int_arxiv_authorships.
-- The record key (source_file, line_number) ties each entry to its record.
with

entries as (
    select arxiv_id, source_file, line_number, authors from raw_arxiv_entries
),

final as (
    select
        entries.arxiv_id,
        entries.source_file,
        entries.line_number,
        author.name as author_name,
        normalize_person_name(author.name) as name_key,
        author.position_index,
        author.affiliations
    from entries, unnest(entries.authors) as t(author)
)

select * from final
