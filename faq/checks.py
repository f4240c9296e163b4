"""System checks of the knowledge base (`manage.py check`, and every command that runs the checks)."""

from django.core import checks

from . import meaning


@checks.register()
def sentence_model_installed(app_configs=None, **kwargs):
    """faq.W001: without the sentence model search reads words alone and answers fewer questions (a warning, not
    an error: the helpdesk still serves)."""
    if meaning.available():
        return []
    return [checks.Warning("The FAQ's sentence model is not installed: search reads words alone and answers fewer "
                           "of the questions customers word their own way.", hint=meaning.INSTALL_HINT,
                           id="faq.W001")]
