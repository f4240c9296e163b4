from helpdesk.exceptions import HelpdeskError


class OrderNotFound(HelpdeskError):
    """Raised for a missing order AND for one that is not the caller's: the two must look the same."""

    code = "order_not_found"

    def default_message(self):
        return "I couldn't find an order with that number and email address."


class VerificationLocked(HelpdeskError):
    code = "verification_locked"

    def default_message(self):
        return "Too many failed order look-ups. A member of our team can help you instead."


class IdentityRequired(HelpdeskError):
    code = "identity_required"

    def default_message(self):
        return "Please give the order number and the email address used for the order, so I can verify it's yours."


class RefundNotAllowed(HelpdeskError):
    code = "refund_not_allowed"


class InvalidStatusTransition(HelpdeskError):
    code = "invalid_status_transition"
