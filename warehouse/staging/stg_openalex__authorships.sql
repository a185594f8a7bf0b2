-- Grain: one row per authorship *entry* of the newest version of each work, with
-- merged author ids resolved to the surviving id. An author listed twice on a
-- work still has two rows here; the authorships mart folds them.
with

works as (
    select work_id, authorships from stg_openalex__works
),

merged as (
    select * from stg_openalex__merged_authors
),

entries as (
    select
        works.work_id,
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
        entries.work_id,
        coalesce(merged.surviving_id, entries.listed_author_id) as author_id,
        entries.listed_author_id,
        entries.author_display_name,
        entries.orcid,
        entries.author_position,
        entries.position_index,
        entries.is_corresponding
    from entries
    left join merged on merged.merged_id = entries.listed_author_id
    where entries.listed_author_id is not null
)

select * from final
