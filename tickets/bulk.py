"""The bulk writers moved to ``itsm.bulk``: the ticket services and the notifications outbox share them.

This name is kept only for ``sla.sweep``, which still imports it until the sweep's ticket writes move
into a ticket service; nothing new should import it.
"""

from itsm.bulk import insert_many, update_many

__all__ = ["insert_many", "update_many"]
