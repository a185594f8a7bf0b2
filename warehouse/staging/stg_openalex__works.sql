-- Grain: one row per work *record* landed (every version of a work). Renames
-- and casts only; the newest version is chosen in int_works__latest.
with

works as (
    select * from raw_works
),

final as (
    select
        work_id,
        doi,
        title,
        abstract,
        publication_year::integer as publication_year,
        publication_date,
        type,
        cited_by_count::bigint as cited_by_count,
        source_id,
        source_display_name,
        primary_topic_id,
        is_retracted,
        updated_date,
        created_date,
        record_source,
        source_file,
        line_number,
        ingest_date
    from works
)

select * from final
