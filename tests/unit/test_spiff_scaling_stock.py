"""The benchmarks' "raw SpiffWorkflow" side runs SpiffWorkflow as shipped: `stock()` takes phva's tree-walk patches
off for its block and puts them back after, so the ratios compare against the real library."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.workflow import Workflow

from engine.runtime import spiff_scaling


def test_stock_takes_the_patches_off_for_its_block_and_puts_them_back() -> None:
    patched_walk, patched_join = Workflow.update_waiting_tasks, vars(ParallelGateway)["_update_hook"]
    with spiff_scaling.stock():
        assert Workflow.update_waiting_tasks is not patched_walk
        assert Workflow.update_waiting_tasks.__module__.startswith("SpiffWorkflow")
        assert "_update_hook" not in vars(ParallelGateway)  # the gateway's base class hook, as shipped
    assert Workflow.update_waiting_tasks is patched_walk
    assert vars(ParallelGateway)["_update_hook"] is patched_join
