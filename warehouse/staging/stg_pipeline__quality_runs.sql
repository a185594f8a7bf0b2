-- Grain: one row per expectation of every quality-gate run recorded in the history.
with

runs as (
    select * from raw_quality_runs
),

final as (
    select
        run_id,
        checked_at,
        gate,
        suite,
        suite_success,
        expectation,
        column_name,
        arguments,
        success,
        element_count,
        unexpected_count,
        observed_value
    from runs
)

select * from final
