"""Reads of the store's records that carry no permission check of their own."""

from .models import Customer


def customer_of_user(user) -> Customer | None:
    """The customer record of a logged-in storefront user (None for a guest or a user who is not a customer)."""
    if user is None or not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user).first()
