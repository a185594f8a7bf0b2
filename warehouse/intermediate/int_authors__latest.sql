-- Grain: one row per surviving author id. Records of merged ids fold into the
-- survivor; the survivor's own record wins over a retired one, then the newest.
with

records as (
    select * from stg_openalex__authors
),

final as (
    select * exclude (listed_author_id, is_own_record)
    from records
    qualify row_number() over (
        partition by author_id
        order by is_own_record desc, updated_date desc nulls last, ingest_date desc,
            source_file desc, line_number desc
    ) = 1
)

select * from final
