-- Grain: one row per (author, collaborator), both directions of every edge of
-- collaborator_edges, for convenience. A view, so it reads no build variables.
with

edges as (
    select * from collaborator_edges
),

both_directions as (
    select author_a as author_id, author_b as collaborator_id, shared_works, first_year, last_year, is_close
    from edges
    union all
    select author_b as author_id, author_a as collaborator_id, shared_works, first_year, last_year, is_close
    from edges
),

final as (
    select * from both_directions
)

select * from final
