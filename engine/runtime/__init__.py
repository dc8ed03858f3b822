"""The SpiffWorkflow facade (start, complete, fire timers, snapshot) and the restricted script engine."""

from engine.runtime.messages import install as _install_messages
from engine.runtime.spiff_scaling import install as _install_scaling

_install_messages()  # a message's variables become process variables, as in Camunda 7
_install_scaling()  # starting a 3,333-branch split or a 5,000-task chain without O(n²) tree walks
