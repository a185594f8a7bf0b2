-- A merged (retired) author id resolves to the id that finally survives; any
-- other id is its own survivor. For a few ids at a time (the incremental
-- build's changed authors): a staging model resolving a whole input joins
-- merged_author_ids() instead: the same ids, by a hash join.
coalesce(
    (
        select merged.surviving_id
        from stg_openalex__merged_authors as merged
        where merged.merged_id = author_id
    ),
    author_id
)
