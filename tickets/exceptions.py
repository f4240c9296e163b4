from helpdesk.exceptions import HelpdeskError


class InvalidTicketTransition(HelpdeskError):
    code = "invalid_ticket_transition"


class TicketNotAllowed(HelpdeskError):
    code = "ticket_not_allowed"


class AlreadyTaken(HelpdeskError):
    code = "already_taken"


class InvalidTicketReply(HelpdeskError):
    code = "invalid_ticket_reply"

    def default_message(self):
        return "Please write a message (up to 5,000 characters)."


class InvalidTicketLink(HelpdeskError):
    code = "invalid_ticket_link"

    def default_message(self):
        return "This link is not valid. Please use the link from your latest email."


class ExpiredTicketLink(InvalidTicketLink):
    code = "expired_ticket_link"

    def default_message(self):
        return "This link has expired."


class InvalidTicketRating(HelpdeskError):
    code = "invalid_rating"


class InvalidAvailability(HelpdeskError):
    code = "invalid_availability"

    def default_message(self):
        return "An agent is either available or away."
