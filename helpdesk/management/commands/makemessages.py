"""makemessages that also extracts strings passed to the consumers' `self.translate(...)`."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=translate"]
