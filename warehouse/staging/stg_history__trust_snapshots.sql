-- Grain: one row per (listed author id, as_of date) of the trust history files,
-- with merged author ids resolved.
with

history as (
    select * from raw_trust_history
),

final as (
    select
        coalesce(merged.surviving_id, history.author_id) as author_id,
        author_id as listed_author_id,
        as_of,
        trust_score,
        trust_tier,
        verification_level,
        claim_status,
        model_version,
        components
    from history
    left join merged_author_ids() as merged on merged.merged_id = history.author_id
)

select * from final
