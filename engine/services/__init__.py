"""Use cases, one transaction each. The CLI, the web app and the scheduler all call these."""
