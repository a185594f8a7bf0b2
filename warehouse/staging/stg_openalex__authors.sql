-- Grain: one row per surviving author id. Records of merged ids fold into the
-- survivor; the survivor's own record wins over a retired one, then the newest.
with

authors as (
    select * from raw_authors
),

merged as (
    select * from stg_openalex__merged_authors
),

resolved as (
    select
        coalesce(merged.surviving_id, authors.author_id) as author_id,
        merged.surviving_id is null as is_own_record,
        authors.* exclude (author_id)
    from authors
    left join merged on merged.merged_id = authors.author_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by author_id
            order by is_own_record desc, updated_date desc nulls last, ingest_date desc,
                regexp_extract(location, '^(.*):\d+$', 1) desc,
                try_cast(regexp_extract(location, ':(\d+)$', 1) as bigint) desc
        ) as version_rank
    from resolved
),

final as (
    select * exclude (version_rank, is_own_record)
    from ranked
    where version_rank = 1
)

select * from final
