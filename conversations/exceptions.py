from helpdesk.exceptions import HelpdeskError


class InvalidConversationTransition(HelpdeskError):
    code = "invalid_conversation_transition"


class InvalidFrame(HelpdeskError):
    code = "invalid_frame"


class ConversationClosed(HelpdeskError):
    code = "conversation_closed"

    def default_message(self):
        return "This conversation is closed. Start a new one to keep chatting."


class InvalidRating(HelpdeskError):
    code = "invalid_rating"
