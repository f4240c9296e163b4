"""Who works the desk."""


def is_support_agent(user) -> bool:
    """Staff with the permission to work tickets: the only people who may see and join conversations."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm("tickets.change_ticket"))


def may_decide_refunds(user) -> bool:
    """Active staff allowed to change refunds (the Refunds list's permission): the people who approve or decline."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm("orders.change_refund"))
