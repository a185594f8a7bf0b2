-- Grain: one row per authorship entry of every work record, with merged author
-- ids resolved (a left join of merged_author_ids()). Entries without an author id (a name OpenAlex could not match)
-- are dropped. The record key (source_file, line_number) ties each entry to
-- its work record, so only the newest version's entries are used downstream.
with

works as (
    select work_id, source_file, line_number, authorships from raw_works
),

entries as (
    -- unnest in the select list: a plain UNNEST, not a lateral join (which DuckDB plans as a
    -- duplicate-eliminating join of every work record back to its entries)
    select
        work_id,
        source_file,
        line_number,
        unnest(authorships) as entry
    from works
),

final as (
    select
        entries.work_id,
        entries.source_file,
        entries.line_number,
        coalesce(merged.surviving_id, entries.entry.author_id) as author_id,
        entries.entry.author_id as listed_author_id,
        entries.entry.display_name as author_display_name,
        entries.entry.orcid,
        entries.entry.author_position,
        entries.entry.position_index,
        entries.entry.is_corresponding
    from entries
    left join merged_author_ids() as merged on merged.merged_id = entries.entry.author_id
    where entries.entry.author_id is not null
)

select * from final
