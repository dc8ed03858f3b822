"""The SpiffWorkflow facade (start, complete, fire timers, snapshot) and the restricted script engine."""
