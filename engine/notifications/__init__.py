"""Notifications: in-app rows and the mail outbox, written in the transaction of the event that causes them."""
