-- Grain: one row per author record, with its id resolved through merges.
-- is_own_record is false for a record of a retired (merged) id.
with

authors as (
    select * from raw_authors
),

final as (
    select
        coalesce(merged.surviving_id, authors.author_id) as author_id,
        authors.author_id as listed_author_id,
        coalesce(merged.surviving_id, authors.author_id) = authors.author_id as is_own_record,
        orcid,
        display_name,
        openalex_works_count,
        openalex_cited_by_count,
        h_index,
        i10_index,
        last_known_institutions,
        updated_date,
        created_date,
        record_source,
        source_file,
        line_number,
        ingest_date
    from authors
    left join merged_author_ids() as merged on merged.merged_id = authors.author_id
)

select * from final
