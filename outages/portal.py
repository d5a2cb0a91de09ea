"""Current outages as customers and the service desk see them: the banner and \"This is affecting me too\"."""

urlpatterns: list = []
