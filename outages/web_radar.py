"""The dispatcher's outage radar: similar tickets arriving together, and raising the outage from them."""

urlpatterns: list = []
