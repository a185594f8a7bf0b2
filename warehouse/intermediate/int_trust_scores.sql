-- Grain: one row per author: the trust score as of getvariable('as_of').
-- Trust model v1 (weights are variables set from configuration):
--   verification points by level + min(works * w, cap) + min(topics * w, cap)
--   + min(close collaborators * w, cap) + min(followers * w, cap) + claimed points,
--   rounded half away from zero and clamped to 0..100; the tier is the last
--   tier whose min_score the score reaches.
with

features as (
    select * from int_profile_features
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

final as (
    select
        author_id,
        getvariable('as_of')::date as as_of,
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
)

select * from final
