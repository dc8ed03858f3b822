"""Who is who: users, roles and dependencias, sign-in, API tokens, and the access rules (`access`, one place)."""
