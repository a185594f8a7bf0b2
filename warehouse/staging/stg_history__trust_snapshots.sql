-- Grain: one row per (listed author id, as_of date) of the trust history files,
-- with merged author ids resolved.
with

history as (
    select * from raw_trust_history
),

final as (
    select
        coalesce(merged.surviving_id, history.author_id) as author_id,
        history.author_id as listed_author_id,
        history.as_of,
        history.trust_score,
        history.trust_tier,
        history.verification_level,
        history.claim_status,
        history.model_version,
        history.components
    from history
    left join merged_author_ids() as merged on merged.merged_id = history.author_id
)

select * from final
