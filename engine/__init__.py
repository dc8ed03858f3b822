"""phva engine: definitions, runtime, legal calendar and persistence. Never imports Flask."""
