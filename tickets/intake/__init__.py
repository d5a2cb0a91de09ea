"""Intake: monitoring alerts and inbound e-mail become tickets through one path each, stored raw first."""
