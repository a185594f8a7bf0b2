-- Grain: one row per arXiv entry *record* landed (every fetch of every version).
-- Renames and casts only; the newest version is chosen in int_arxiv_entries__latest.
with

entries as (
    select * from raw_arxiv_entries
),

final as (
    select
        arxiv_id,
        version::integer as version,
        title,
        abstract,
        year(published_at)::integer as publication_year,
        published_at::date as publication_date,
        primary_category,
        other_categories,
        doi,
        journal_ref,
        published_at,
        updated_at,
        record_source,
        source_file,
        line_number,
        ingest_date
    from entries
)

select * from final
