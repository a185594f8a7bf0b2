-- A merged (retired) author id resolves to the id that finally survives; any
-- other id is its own survivor. Written once here; every staging model that
-- reads an author id calls it.
coalesce(
    (
        select merged.surviving_id
        from stg_openalex__merged_authors as merged
        where merged.merged_id = author_id
    ),
    author_id
)
