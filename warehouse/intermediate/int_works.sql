-- Grain: one row per real-world work (int_work_sources.work_id). The primary
-- record gives the id and metadata; versions fill the gaps: a missing abstract or
-- DOI comes from the arXiv paper. cited_by_count is the highest count among the
-- work's OpenAlex records: versions are cited separately, and taking the highest
-- never counts a citation twice. The abstract of an OpenAlex primary record is not
-- copied here: abstract_record_row points at it in stg_openalex__works, and
-- `abstract` holds only an arXiv paper's (a fill, or an arXiv-only work's). A work known only from arXiv is a preprint with
-- venue "arXiv" and no citation count (0).
with

sources as (
    select * from int_work_sources
),

openalex_works as (
    select * from int_works__latest
),

arxiv_entries as (
    select * from int_arxiv_entries__latest
),

openalex_members as not materialized (
    select sources.work_id, sources.is_primary, openalex_works.* exclude (work_id)
    from sources
    join openalex_works on openalex_works.work_id = sources.source_record_id
    where sources.source = 'openalex'
),

arxiv_members as not materialized (
    select sources.work_id, sources.is_primary, arxiv_entries.*
    from sources
    join arxiv_entries on arxiv_entries.arxiv_id = sources.source_record_id
    where sources.source = 'arxiv'
),

openalex_figures as (
    select work_id, max(cited_by_count) as cited_by_count
    from openalex_members
    group by work_id
),

arxiv_fill as (
    select
        work_id,
        arg_min(abstract, arxiv_id) filter (where abstract is not null) as abstract,
        arg_min(doi, arxiv_id) filter (where doi is not null) as doi
    from arxiv_members
    group by work_id
),

from_openalex as (
    select
        primary_record.work_id,
        coalesce(primary_record.doi, arxiv_fill.doi) as doi,
        primary_record.title,
        -- the primary record's abstract stays in stg_openalex__works (marts/works reads it there);
        -- only the arXiv fill is carried here
        case when primary_record.has_abstract then primary_record.record_row end as abstract_record_row,
        case when not primary_record.has_abstract then arxiv_fill.abstract end as abstract,
        primary_record.publication_year,
        primary_record.publication_date,
        primary_record.type,
        openalex_figures.cited_by_count,
        primary_record.source_id,
        primary_record.source_display_name,
        primary_record.primary_topic_id,
        primary_record.is_retracted,
        primary_record.updated_date,
        primary_record.created_date,
        primary_record.record_source,
        primary_record.source_file,
        primary_record.line_number,
        primary_record.ingest_date
    from openalex_members as primary_record
    join openalex_figures on openalex_figures.work_id = primary_record.work_id
    left join arxiv_fill on arxiv_fill.work_id = primary_record.work_id
    where primary_record.is_primary
),

from_arxiv as (
    select
        work_id,
        doi,
        title,
        null::bigint as abstract_record_row,
        abstract,
        publication_year,
        publication_date,
        'preprint' as type,
        0::bigint as cited_by_count,
        null::varchar as source_id,
        'arXiv' as source_display_name,
        null::varchar as primary_topic_id,
        null::boolean as is_retracted,
        updated_at as updated_date,
        published_at as created_date,
        record_source,
        source_file,
        line_number,
        ingest_date
    from arxiv_members
    where is_primary
),

final as (
    select * from from_openalex
    union all by name
    select * from from_arxiv
)

select * from final
