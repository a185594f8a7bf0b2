-- Grain: one row per authorship entry of every work record, with merged author
-- ids resolved. Entries without an author id (a name OpenAlex could not match)
-- are dropped. The record key (source_file, line_number) ties each entry to
-- its work record, so only the newest version's entries are used downstream.
with

works as (
    select work_id, source_file, line_number, authorships from raw_works
),

entries as (
    select
        works.work_id,
        works.source_file,
        works.line_number,
        entry.author_id as listed_author_id,
        entry.display_name as author_display_name,
        entry.orcid,
        entry.author_position,
        entry.position_index,
        entry.is_corresponding
    from works, unnest(works.authorships) as t(entry)
),

final as (
    select
        work_id,
        source_file,
        line_number,
        resolve_author_id(listed_author_id) as author_id,
        listed_author_id,
        author_display_name,
        orcid,
        author_position,
        position_index,
        is_corresponding
    from entries
    where listed_author_id is not null
)

select * from final
