"""Business rule tasks and call activities bound when they run, as in Camunda 7 (applied on import).

- A business rule task evaluates its decision with engine/runtime/decisions.py: the version its
  `camunda:decisionRefBinding` names (latest by default, looked up through engine/runtime/bindings.py;
  `deployment`: the models its own deployment carried). `camunda:resultVariable` gets the result mapped by
  `camunda:mapDecisionResult` (resultList by default); without one, the outputs merge into the data.
- A call activity starts the version of `calledElement` its `camunda:calledElementBinding` names; a key
  with no version yet is an incident (retried once it is deployed). `camunda:in` / `camunda:out` pass
  variables as Camunda does: only what they name (`variables="all"` for everything); none, nothing.
  The called process runs inside the caller's instance, so it shares its business key (`businessKey`
  mappings are accepted and have nothing to set).
Specs deployed before this (no phva decision models, no in/out read) keep SpiffWorkflow's behaviour.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.util.task import TaskState

from engine.runtime import bindings
from engine.runtime.bindings import Binding
from engine.runtime.decisions import DecisionError, evaluate_decision, map_result, merged_outputs

_stock_rule_hook = BusinessRuleTaskMixin._run_hook
_stock_start_workflow = CallActivity.start_workflow
_stock_copy_data = CallActivity.copy_data
_stock_update_data = CallActivity.update_data


def _extensions(spec: Any) -> Mapping[str, Any]:
    ext = getattr(spec, "extensions", None)
    return ext if isinstance(ext, dict) else {}


# ---- business rule tasks ----------------------------------------------------------------------------
def _rule_hook(self: Any, my_task: Any) -> bool:
    ext = _extensions(self)
    ref = ext.get("decisionRef")
    if not ref or ("decisions" not in ext and self.dmnEngine.decision_table.rules):
        return bool(_stock_rule_hook(self, my_task))  # a spec deployed with SpiffWorkflow's own DMN tables
    binding = Binding.of(ext, ref, "decisionRef")
    models = _decision_models(ext, binding)
    if models is None:
        raise WorkflowTaskException(
            f"La decisión «{ref}» ({binding.describe()}) no está desplegada: despliegue su archivo DMN y "
            "reintente.",
            task=my_task,
        )
    environment = my_task.workflow.script_engine.environment

    def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
        try:
            return environment.evaluate(expression, dict(context))
        except Exception as error:
            raise DecisionError(f"Error al evaluar «{expression}» en la decisión «{ref}»: {error}") from error

    try:
        result = evaluate_decision(models, ref, my_task.data, evaluate)
        variable = ext.get("resultVariable")
        if variable:
            my_task.data[variable] = copy.deepcopy(map_result(result, ext.get("mapDecisionResult"), ref))
        else:
            my_task.data.update(copy.deepcopy(merged_outputs(result)))
    except DecisionError as error:
        raise WorkflowTaskException(str(error), task=my_task) from error
    super(BusinessRuleTaskMixin, self)._run_hook(my_task)
    return True


def _decision_models(ext: Mapping[str, Any], binding: Binding) -> Mapping[str, Mapping[str, Any]] | None:
    carried = ext.get("decisions")
    definitions = bindings.current()
    if binding.binding == "deployment" or definitions is None:
        return carried if carried and (binding.binding in ("deployment", "latest")) else None
    return definitions.decision(binding)


# ---- call activities ----------------------------------------------------------------------------------
def _start_workflow(self: Any, my_task: Any) -> None:
    if "call_in" not in _extensions(self):
        # An embedded subProcess (CamundaParser gives it this class too), or a spec from before this.
        _stock_start_workflow(self, my_task)
        return
    top = my_task.workflow.top_workflow
    name = _called_spec(self, my_task, top)
    subworkflow = top.create_subprocess(my_task, name)
    if name != self.spec:
        subworkflow.phva_spec = name  # kept by the serializer (engine/modeling/spiff_registry.py)
    subworkflow.completed_event.connect(self._on_subworkflow_completed, my_task)
    self.copy_data(my_task, subworkflow)
    start = subworkflow.get_next_task(spec_name="Start")
    start.run()


def _called_spec(spec: Any, my_task: Any, top: Any) -> str:
    ext = _extensions(spec)
    binding = Binding.of(ext, spec.spec, "calledElement")
    definitions = bindings.current()
    if binding.binding == "deployment" or definitions is None:
        if spec.spec in top.subprocess_specs:
            return str(spec.spec)
        called = None
    else:
        called = definitions.process(binding)
    if called is None:
        my_task.error()
        raise WorkflowTaskException(
            f"El proceso llamado «{spec.spec}» ({binding.describe()}) no está desplegado: despliéguelo y "
            "reintente la actividad.",
            task=my_task,
        )
    top.subprocess_specs[called.name] = called.spec
    for name, sub in called.subprocess_specs.items():
        top.subprocess_specs.setdefault(name, sub)
    return called.name


def _copy_data(self: Any, my_task: Any, subworkflow: Any) -> None:
    mappings = _extensions(self).get("call_in")
    if mappings is None:
        _stock_copy_data(self, my_task, subworkflow)
        return
    data = _mapped(
        mappings, my_task.data, {}, lambda expr: my_task.workflow.script_engine.evaluate(my_task, expr)
    )
    start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
    start.set_data(**data)


def _update_data(self: Any, my_task: Any, subworkflow: Any) -> None:
    mappings = _extensions(self).get("call_out")
    if mappings is None:
        _stock_update_data(self, my_task, subworkflow)
        return
    source = subworkflow.last_task.data if subworkflow.last_task is not None else subworkflow.data
    environment = my_task.workflow.script_engine.environment
    my_task.data = _mapped(
        mappings, source, my_task.data, lambda expr: environment.evaluate(expr, dict(source))
    )


def _mapped(
    mappings: list[Mapping[str, Any]], source: Mapping[str, Any], base: Mapping[str, Any], evaluate: Any
) -> dict[str, Any]:
    data = copy.deepcopy(dict(base))
    for mapping in mappings:
        if mapping.get("all"):
            data.update(copy.deepcopy(dict(source)))
        elif "expression" in mapping:
            data[mapping["target"]] = copy.deepcopy(evaluate(mapping["expression"]))
        elif mapping.get("source"):
            data[mapping["target"]] = copy.deepcopy(source.get(mapping["source"]))
    return data


BusinessRuleTaskMixin._run_hook = _rule_hook  # type: ignore[method-assign]
CallActivity.start_workflow = _start_workflow  # type: ignore[method-assign]
CallActivity.copy_data = _copy_data  # type: ignore[method-assign]
CallActivity.update_data = _update_data  # type: ignore[method-assign]


def bound(definitions: bindings.Definitions | None) -> Any:
    """The engine steps run inside this: decisions and called processes are looked up in `definitions`."""
    return bindings.using(definitions)


def restart(task: Any) -> bool:
    """A call activity that failed to start waits to start again (retrying an incident); False otherwise."""
    top = task.workflow.top_workflow
    if not isinstance(task.task_spec, CallActivity) or top.get_subprocess(task) is not None:
        return False
    task._set_state(TaskState.WAITING)
    top.phva_restart_calls = True  # in memory: the retry's own advance starts it
    return True


def start_waiting(workflow: Any) -> bool:
    """Start the called processes of call activities put back to wait by `restart`; True if any started."""
    if not getattr(workflow, "phva_restart_calls", False):
        return False  # nothing to look for: no task walk on every engine round
    workflow.phva_restart_calls = False
    started = False
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        if isinstance(spec, CallActivity) and workflow.top_workflow.get_subprocess(task) is None:
            spec._update(task)
            started = True
    return started
