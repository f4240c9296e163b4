"""Who works the desk."""


def is_support_agent(user) -> bool:
    """Staff with the permission to work tickets: the only people who may see and join conversations."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm("tickets.change_ticket"))
