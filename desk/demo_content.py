"""The demo's canned replies (manage.py seed_demo), in English and French: a handful an agent uses every day.

Each entry: shortcut, English title, French title, English text, French text."""

CANNED_REPLIES = [
    ("hello", "Introduce yourself", "Se présenter",
     "Hi {first_name}, I'm {agent_name} from the {store_name} team. I've read your conversation with our assistant, "
     "and I'm taking it from here.",
     "Bonjour {first_name}, je suis {agent_name}, de l'équipe {store_name}. J'ai lu votre échange avec notre "
     "assistant et je prends le relais."),
    ("wait", "Ask for a moment", "Demander un instant",
     "Thanks for your patience, {first_name}. I'm looking into this now and will be back with you in a couple of "
     "minutes.",
     "Merci de votre patience, {first_name}. Je regarde cela tout de suite et je reviens vers vous dans quelques "
     "minutes."),
    ("tracking", "Checking a delivery", "Vérifier une livraison",
     "I'm checking the delivery of your order {order_number} with the carrier right now. I'll tell you what I find "
     "in a few minutes.",
     "Je vérifie en ce moment la livraison de votre commande {order_number} auprès du transporteur. Je vous dis ce "
     "que j'ai trouvé dans quelques minutes."),
    ("refund", "Refund sent for approval", "Remboursement à valider",
     "I've passed the refund request for your order {order_number} to the person who approves refunds. You'll get "
     "an email as soon as it's decided, usually within one business day.",
     "J'ai transmis la demande de remboursement de votre commande {order_number} à la personne qui valide les "
     "remboursements. Vous recevrez un e-mail dès qu'elle sera décidée, en général sous un jour ouvré."),
    ("ticket", "Follow-up by email", "Suivi par e-mail",
     "I've written everything down in ticket {ticket_number}. We'll follow up by email, and you can answer that "
     "email at any time.",
     "J'ai tout noté dans le ticket {ticket_number}. Nous reviendrons vers vous par e-mail, et vous pouvez répondre "
     "à cet e-mail à tout moment."),
    ("bye", "Close the conversation", "Clore la conversation",
     "Thank you for contacting {store_name}, {first_name}! Is there anything else I can help you with today?",
     "Merci d'avoir contacté {store_name}, {first_name} ! Puis-je vous aider pour autre chose aujourd'hui ?"),
]
