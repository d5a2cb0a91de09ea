# Outage and Problem management (communication plans, RFCs, After-Action Reviews) lives here.
# An outage or problem is a Ticket with children; its own records arrive with that process.
