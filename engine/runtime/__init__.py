"""The SpiffWorkflow facade (start, complete, fire timers, snapshot) and the restricted script engine."""

from engine.runtime.messages import install as _install_messages

_install_messages()  # a message's variables become process variables, as in Camunda 7
