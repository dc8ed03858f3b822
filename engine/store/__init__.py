"""Tables, database engines, the unit of work, and the repositories that own the SQL for instances, tasks, audit."""
