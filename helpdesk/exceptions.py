"""The one base error of the helpdesk.

Each app subclasses it in its own exceptions.py. `message` is safe to show to a customer (it never names another
customer's data); `code` is stable and machine-readable: the consumer sends it as `{"type": "error", "code": …}`,
the tool loop returns it in an is_error tool_result, the admin shows the message.
"""


class HelpdeskError(Exception):
    code = "error"

    def __init__(self, message: str = "", code: str | None = None):
        super().__init__(message)
        self.message = message or self.default_message()
        if code:
            self.code = code

    def default_message(self) -> str:
        return "Something went wrong."

    def __str__(self) -> str:
        return self.message
