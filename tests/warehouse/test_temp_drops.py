"""The full build drops each temp model once nothing after it reads it (build.temp_models_done_after)."""

from __future__ import annotations

from pipeline.warehouse.build import temp_models_done_after
from pipeline.warehouse.incremental import STATE_INPUTS
from pipeline.warehouse.inputs import raw_input_names
from pipeline.warehouse.models import Macro, Model, plan


def test_every_temp_model_is_dropped_once_after_its_last_reader_and_the_state_inputs_are_kept():
    steps = plan(raw_input_names())
    models = [step for step in steps if isinstance(step, Model)]
    macros = {step.name: step for step in steps if isinstance(step, Macro)}
    position = {model.name: index for index, model in enumerate(models)}
    done_after = temp_models_done_after(steps, keep=STATE_INPUTS)

    dropped_at = {name: position[after] for after, names in done_after.items() for name in names}
    dropped = [name for names in done_after.values() for name in names]
    temp = {model.name for model in models if model.materialized == "temp"}
    assert sorted(dropped) == sorted(temp - STATE_INPUTS)  # each once, the kept ones never
    assert STATE_INPUTS <= temp
    for model in models:
        reads = set(model.reads).union(*(macros[name].reads for name in model.calls if name in macros))
        for name in reads & set(dropped_at):
            assert dropped_at[name] >= position[model.name], f"{name} dropped before {model.name} reads it"


def test_a_macros_table_lives_until_the_last_model_that_calls_it():
    steps = plan(raw_input_names())
    done_after = temp_models_done_after(steps)
    callers = [step.name for step in steps if isinstance(step, Model) and "merged_author_ids" in step.calls]
    assert callers
    assert "stg_openalex__merged_authors" in done_after[callers[-1]]
