-- Grain: one row per real-world work: its OpenAlex and arXiv records and versions
-- merged (int_work_sources; the work_sources table lists them). `source` is the
-- venue (primary location's source display name, e.g. arXiv); `record_source` is
-- where the primary record came from (e.g. openalex-snapshot, arxiv-api).
with

works as (
    select * from int_works
),

openalex_abstracts as (
    -- the primary OpenAlex record's abstract, read where it landed (int_works carries its row)
    select rowid as record_row, abstract from stg_openalex__works
),

author_counts as (
    select work_id, count(*) as authors_count  -- int_authorships is unique per (work, author)
    from int_authorships
    group by work_id
),

final as (
    select
        works.work_id,
        works.doi,
        works.title,
        coalesce(openalex_abstracts.abstract, works.abstract) as abstract,
        works.publication_year,
        works.publication_date,
        works.type,
        works.cited_by_count,
        works.source_display_name as source,
        works.source_id,
        works.primary_topic_id,
        coalesce(author_counts.authors_count, 0)::bigint as authors_count,
        works.is_retracted,
        works.updated_date,
        works.created_date,
        works.record_source,
        works.ingest_date
    from works
    left join openalex_abstracts on openalex_abstracts.record_row = works.abstract_record_row
    left join author_counts on author_counts.work_id = works.work_id
)

select * from final
