-- Grain: one row per author entry of every arXiv entry record. arXiv lists names
-- only (no ids); they are matched to OpenAlex authors in int_arxiv_authorships.
-- The record key (source_file, line_number) ties each entry to its record.
with

entries as (
    select arxiv_id, source_file, line_number, authors from raw_arxiv_entries
),

listed as (
    -- unnest in the select list: a plain UNNEST, not a lateral join
    select arxiv_id, source_file, line_number, unnest(authors) as author from entries
),

final as (
    select
        arxiv_id,
        source_file,
        line_number,
        author.name as author_name,
        normalize_person_name(author.name) as name_key,
        author.position_index,
        author.affiliations
    from listed
)

select * from final
