-- Grain: one row per author. works_count counts works in this warehouse;
-- OpenAlex's own figure is kept as openalex_works_count. Trust is the build
-- date's score (the same rows trust_snapshots publishes for that date).
with

features as (
    select * from int_profile_features
),

trust as (
    select * from int_trust_scores
),

final as (
    select
        features.author_id,
        features.display_name,
        features.orcid,
        features.works_count,
        features.cited_by_count,
        features.openalex_works_count,
        features.openalex_cited_by_count,
        features.h_index,
        features.first_publication_year,
        features.last_publication_year,
        features.topics_count,
        features.collaborators_count,
        features.close_collaborators_count,
        features.followers_count,
        features.claim_status,
        features.verification_level,
        trust.trust_score,
        trust.trust_tier,
        trust.model_version as trust_model_version,
        trust.as_of as trust_as_of
    from features
    left join trust on trust.author_id = features.author_id
)

select * from final
