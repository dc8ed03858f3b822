"""Processes at work: deploy, start, human tasks, timers, messages, incidents, service-task handlers.

Use cases (one transaction each): deployments, instances, start_forms, tasks, timers, start_timers,
incidents, handlers. Read models (SELECT only): views, task_views, inbox, diagrams. `runs` and
`task_forms` are shared steps between the engine and the repository; `guards` reads what a model asks of
a user task (four eyes, confirmation, a callout) for the use cases and the task page.
"""
