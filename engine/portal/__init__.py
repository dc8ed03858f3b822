"""The citizens' portal: filing without login, tracking by radicado and code, answering a requerimiento, withdrawing, the survey."""
