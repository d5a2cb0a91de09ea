"""The web pages of the tickets room: role homes, the technician's work, the dispatcher's board,
the service desk's intake and the customers' portal. Each module owns its pages and URL patterns."""
