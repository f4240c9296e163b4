from helpdesk.exceptions import HelpdeskError


class InvalidTicketTransition(HelpdeskError):
    code = "invalid_ticket_transition"


class TicketNotAllowed(HelpdeskError):
    code = "ticket_not_allowed"


class AlreadyTaken(HelpdeskError):
    code = "already_taken"
