-- Every merged (retired) OpenAlex author id and the id it survives as, chains
-- followed (stg_openalex__merged_authors): one row per merged id. A model
-- resolves ids with a left join on merged_id and
-- coalesce(merged.surviving_id, <the id>): a hash join, where the scalar
-- resolve_author_id's correlated subquery costs a de-duplication of every id
-- (at 2M works: 8M authorship entries, ~4x slower).
select merged_id, surviving_id from stg_openalex__merged_authors
