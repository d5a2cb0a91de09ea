"""Intake as an app of its own: monitoring alerts and inbound e-mail become tickets through one path each,
stored raw first. It calls the ticket services (never the reverse) and reads sent mail through
``notifications.selectors``."""
