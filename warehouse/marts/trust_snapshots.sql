-- Grain: one row per (author, as_of date). History is append-only: earlier
-- dates come from the history files unchanged, except that an author id merged
-- since then shows under its surviving id (the survivor's own row wins if both
-- exist for a date); the build date's rows come from int_trust_scores and
-- replace any earlier rows of that same date.
with

history as (
    select * exclude (listed_author_id)
    from stg_history__trust_snapshots
    where as_of <> getvariable('as_of')
    qualify row_number() over (
        partition by author_id, as_of
        order by listed_author_id = author_id desc, listed_author_id
    ) = 1
),

today as (
    select * from int_trust_scores
),

final as (
    select author_id, as_of, trust_score, trust_tier, verification_level, claim_status, model_version,
        components::json as components
    from history
    union all
    select author_id, as_of, trust_score, trust_tier, verification_level, claim_status, model_version,
        components::json as components
    from today
)

select * from final
