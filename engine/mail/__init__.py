"""Outgoing mail: plain messages and the SMTP sender; no database."""
