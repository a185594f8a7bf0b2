-- Grain: one row per unordered author pair (author_a < author_b) that shares at
-- least one work; see int_collaborator_edges for the rules.
with

edges as (
    select * from int_collaborator_edges
),

final as (
    select author_a, author_b, shared_works, first_year, last_year, is_close
    from edges
)

select * from final
