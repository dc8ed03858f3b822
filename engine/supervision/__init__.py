"""What supervisors see and do: the deadline dashboard, its lists, reassignment and the heatmap."""
