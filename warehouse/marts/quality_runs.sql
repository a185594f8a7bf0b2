-- Grain: one row per expectation of every quality-gate run, passed or failed.
-- The run of the gate that let this warehouse through is added after the gate.
with

runs as (
    select * from stg_pipeline__quality_runs
),

final as (
    select * from runs
)

select * from final
