"""A year of realistic PQRSD through the real services, moving the clock (phva demo)."""
