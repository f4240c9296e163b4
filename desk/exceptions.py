from helpdesk.exceptions import HelpdeskError


class TransferRefused(HelpdeskError):
    """A transfer the holder cannot make: to themselves, to someone who is no support agent, to an agent away."""

    code = "transfer_refused"


class NoTicketForNote(HelpdeskError):
    """An internal note needs a ticket to live on, and the conversation has none."""

    code = "no_ticket"
