"""Customers known only by an e-mail address (phone calls, walk-ins, mail to the service desk)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from .models import User


def customer_for_email(address: str, *, name: str = "") -> User:
    """The user with this address (any case), or a new customer account that cannot sign in yet.

    The new account has an unusable password: the person sets one through password reset, so an
    address typed by a technician never grants anyone access by itself.
    """
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"requester_email": ["Enter a valid e-mail address."]}) from None
    existing = User.objects.filter(email__iexact=address).first()
    if existing is not None:
        return existing
    first, _, last = name.strip().partition(" ")
    user = User(username=address.lower()[:150], email=address, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    try:
        # A savepoint, so losing a race with another request leaves the caller's transaction usable.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return User.objects.get(email__iexact=address)
    return user
