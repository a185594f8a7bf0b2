-- Grain: one row per (author, as_of date). History is append-only: earlier
-- dates come from the history files unchanged, except that an author id merged
-- since then shows under its surviving id (the survivor's own row wins if both
-- exist for a date); the build date's rows are computed here and replace any
-- earlier rows of that same date.
-- Trust model v1 (weights are variables set from configuration):
--   verification points by level + min(works * w, cap) + min(topics * w, cap)
--   + min(close collaborators * w, cap) + min(followers * w, cap) + claimed points,
--   rounded half away from zero and clamped to 0..100; the tier is the last
--   tier whose min_score the score reaches.
with

features as (
    select * from int_profile_features
),

merged as (
    select * from stg_openalex__merged_authors
),

history as (
    select
        coalesce(merged.surviving_id, past.author_id) as author_id,
        past.* exclude (author_id)
    from raw_trust_history as past
    left join merged on merged.merged_id = past.author_id
    where past.as_of <> getvariable('as_of')
    qualify row_number() over (
        partition by coalesce(merged.surviving_id, past.author_id), past.as_of
        order by merged.surviving_id is null desc
    ) = 1
),

components as (
    select
        author_id,
        verification_level,
        claim_status,
        coalesce(getvariable('trust_verification_points')[verification_level], 0) as verification_points,
        least(works_count * getvariable('trust_works_per_unit'), getvariable('trust_works_cap')) as works_points,
        least(topics_count * getvariable('trust_topics_per_unit'), getvariable('trust_topics_cap')) as topics_points,
        least(
            close_collaborators_count * getvariable('trust_close_collaborators_per_unit'),
            getvariable('trust_close_collaborators_cap')
        ) as close_collaborators_points,
        least(followers_count * getvariable('trust_followers_per_unit'), getvariable('trust_followers_cap')) as followers_points,
        case when claim_status = 'claimed' then getvariable('trust_claimed_points') else 0 end as claim_points
    from features
),

scored as (
    select
        *,
        least(100, greatest(0, round(
            verification_points + works_points + topics_points
            + close_collaborators_points + followers_points + claim_points
        )))::integer as trust_score
    from components
),

today as (
    select
        author_id,
        getvariable('as_of') as as_of,
        trust_score,
        list_filter(getvariable('trust_tiers'), lambda t: t.min_score <= trust_score)[-1].tier as trust_tier,
        verification_level,
        claim_status,
        getvariable('trust_model_version') as model_version,
        to_json({
            'verification': verification_points,
            'works': works_points,
            'topics': topics_points,
            'close_collaborators': close_collaborators_points,
            'followers': followers_points,
            'claim': claim_points
        }) as components
    from scored
),

final as (
    select author_id, as_of, trust_score, trust_tier, verification_level, claim_status, model_version,
        components::json as components
    from history
    union all
    select * from today
)

select * from final
