from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What whoever runs the helpdesk needs: the serve command (graceful shutdown) and the metrics page."""

    name = "operations"
