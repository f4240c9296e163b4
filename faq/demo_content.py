"""The demo FAQ that `manage.py seed_demo` loads: 22 topics, each in English and French.

`key` ties the two translations of one topic together (FaqEntry.key); the answers follow the store's policies as
the code enforces them (30-day refund window, refunds above 200 reviewed by a person, 5-7 business days to the
original payment method).
"""

FAQ_ENTRIES: list[dict] = [
    # --- shipping -----------------------------------------------------------------------------------------------
    {"key": "shipping-times", "category": "shipping", "language": "en",
     "question": "How long does delivery take?",
     "answer": "Standard shipping takes 3 to 5 business days and express shipping 1 to 2 business days after your "
               "order ships. Orders placed before 2 pm on a business day usually leave our warehouse the same day."},
    {"key": "shipping-times", "category": "shipping", "language": "fr",
     "question": "Quels sont les délais de livraison ?",
     "answer": "La livraison standard prend 3 à 5 jours ouvrés et la livraison express 1 à 2 jours ouvrés après "
               "l'expédition. Les commandes passées avant 14 h un jour ouvré partent généralement le jour même."},
    {"key": "shipping-cost", "category": "shipping", "language": "en",
     "question": "How much does shipping cost?",
     "answer": "Standard shipping is free on orders over $50; below that it costs $4.99. Express shipping costs "
               "$12.99 whatever the amount of your order."},
    {"key": "shipping-cost", "category": "shipping", "language": "fr",
     "question": "Combien coûtent les frais de port ?",
     "answer": "La livraison standard est offerte dès 50 € d'achat ; en dessous, elle coûte 4,99 €. La livraison "
               "express coûte 12,99 €, quel que soit le montant de la commande."},
    {"key": "shipping-tracking", "category": "shipping", "language": "en",
     "question": "How can I track my package?",
     "answer": "When your order ships we email you the carrier (UPS, DHL, Colissimo or La Poste) and a tracking "
               "number. You can also ask our assistant in the chat: give your order number and it shows the "
               "status and tracking of your parcel."},
    {"key": "shipping-tracking", "category": "shipping", "language": "fr",
     "question": "Comment suivre mon colis ?",
     "answer": "Dès l'expédition, nous vous envoyons par e-mail le transporteur (UPS, DHL, Colissimo ou La Poste) et "
               "un numéro de suivi. Vous pouvez aussi demander à notre assistant dans le chat : donnez votre numéro "
               "de commande et il vous indique le statut et le suivi de votre colis."},
    {"key": "shipping-countries", "category": "shipping", "language": "en",
     "question": "Which countries do you ship to?",
     "answer": "We ship to the United States, Canada, the United Kingdom and every country of the European Union. "
               "Customs duties for the UK and Canada are shown at checkout, so there is nothing to pay on delivery."},
    {"key": "shipping-countries", "category": "shipping", "language": "fr",
     "question": "Dans quels pays livrez-vous ?",
     "answer": "Nous livrons aux États-Unis, au Canada, au Royaume-Uni et dans tous les pays de l'Union européenne. "
               "Les droits de douane pour le Royaume-Uni et le Canada sont affichés lors du paiement : vous n'avez "
               "rien à régler à la livraison."},
    {"key": "shipping-late", "category": "shipping", "language": "en",
     "question": "My package is late. What should I do?",
     "answer": "First check the tracking link in your shipping email: carriers sometimes need an extra day or two. "
               "If your order is past its expected delivery date, our assistant can look it up and, if it never "
               "arrives, refund it as not received."},
    {"key": "shipping-late", "category": "shipping", "language": "fr",
     "question": "Mon colis est en retard, que faire ?",
     "answer": "Consultez d'abord le lien de suivi de votre e-mail d'expédition : les transporteurs ont parfois "
               "besoin d'un ou deux jours de plus. Si la date de livraison prévue est dépassée, notre assistant peut "
               "retrouver votre commande et, si elle n'arrive jamais, la rembourser comme non reçue."},
    # --- returns ----------------------------------------------------------------------------------------------------
    {"key": "returns-window", "category": "returns", "language": "en",
     "question": "What is your return policy?",
     "answer": "You can return an item within 30 days of delivery if it is unused, or at any point in those 30 days "
               "if it is defective. Refunds go back to your original payment method within 5-7 business days."},
    {"key": "returns-window", "category": "returns", "language": "fr",
     "question": "Quelle est votre politique de retour ?",
     "answer": "Vous pouvez retourner un article dans les 30 jours suivant la livraison s'il n'a pas été utilisé, ou "
               "s'il est défectueux. Le remboursement est effectué sur votre moyen de paiement d'origine sous 5 à 7 "
               "jours ouvrés."},
    {"key": "returns-how", "category": "returns", "language": "en",
     "question": "How do I return an item?",
     "answer": "Ask our assistant for a refund with your order number: it checks eligibility and starts the refund "
               "right away. For an unused item, pack it in its original box; we email you a prepaid return label. "
               "A defective item usually doesn't need to be sent back."},
    {"key": "returns-how", "category": "returns", "language": "fr",
     "question": "Comment retourner un article ?",
     "answer": "Demandez un remboursement à notre assistant avec votre numéro de commande : il vérifie l'éligibilité "
               "et lance le remboursement immédiatement. Pour un article non utilisé, remettez-le dans son emballage "
               "d'origine ; nous vous envoyons une étiquette de retour prépayée. Un article défectueux n'a en "
               "général pas besoin d'être renvoyé."},
    {"key": "refund-timing", "category": "returns", "language": "en",
     "question": "When will I get my refund?",
     "answer": "Once a refund is made, the money reaches your original payment method within 5-7 business days, "
               "depending on your bank. Refunds above 200 are reviewed by a member of our team first, usually the "
               "same day."},
    {"key": "refund-timing", "category": "returns", "language": "fr",
     "question": "Quand vais-je recevoir mon remboursement ?",
     "answer": "Une fois le remboursement effectué, l'argent arrive sur votre moyen de paiement d'origine sous 5 à 7 "
               "jours ouvrés, selon votre banque. Les remboursements de plus de 200 sont d'abord vérifiés par un "
               "membre de notre équipe, en général le jour même."},
    {"key": "exchange", "category": "returns", "language": "en",
     "question": "Can I exchange an item for another size or colour?",
     "answer": "We don't do direct exchanges: return the item for a refund within 30 days and place a new order for "
               "the one you want. That way the new item ships right away instead of waiting for the return."},
    {"key": "exchange", "category": "returns", "language": "fr",
     "question": "Puis-je échanger un article contre une autre taille ou couleur ?",
     "answer": "Nous ne faisons pas d'échange direct : retournez l'article pour être remboursé dans les 30 jours et "
               "passez une nouvelle commande. Ainsi, le nouvel article part tout de suite sans attendre le retour."},
    {"key": "order-cancel", "category": "returns", "language": "en",
     "question": "Can I cancel my order?",
     "answer": "Yes, as long as it hasn't shipped: an order that is pending or paid can be cancelled and nothing is "
               "charged, or the payment is released. Once shipped, you can refuse the parcel or return it within 30 "
               "days."},
    {"key": "order-cancel", "category": "returns", "language": "fr",
     "question": "Puis-je annuler ma commande ?",
     "answer": "Oui, tant qu'elle n'est pas expédiée : une commande en attente ou payée peut être annulée, sans "
               "aucun débit, ou le paiement est libéré. Une fois expédiée, vous pouvez refuser le colis ou le "
               "retourner dans les 30 jours."},
    # --- products -----------------------------------------------------------------------------------------------
    {"key": "headphones-bluetooth-pairing", "category": "products", "language": "en",
     "question": "My ProMax headphones won't connect over Bluetooth. What can I do?",
     "answer": "Try these steps:\n"
               "1. Hold the power button for 10 seconds to reset Bluetooth.\n"
               "2. Put the headphones in pairing mode: the LED blinks blue.\n"
               "3. Remove the old ProMax pairing from your phone or computer, then pair again.\n"
               "4. Update the firmware with the ProMax app if the problem continues."},
    {"key": "headphones-bluetooth-pairing", "category": "products", "language": "fr",
     "question": "Mon casque ProMax ne se connecte pas en Bluetooth. Que faire ?",
     "answer": "Essayez ces étapes :\n"
               "1. Maintenez le bouton d'alimentation 10 secondes pour réinitialiser le Bluetooth.\n"
               "2. Mettez le casque en mode appairage : le voyant clignote en bleu.\n"
               "3. Supprimez l'ancien appairage ProMax de votre téléphone ou ordinateur, puis appairez à nouveau.\n"
               "4. Mettez à jour le micrologiciel avec l'application ProMax si le problème persiste."},
    {"key": "warranty", "category": "products", "language": "en",
     "question": "What warranty do your products have?",
     "answer": "All electronics come with a 2-year warranty against manufacturing defects. Within 30 days of "
               "delivery we refund a defective item directly; after that, contact us and we repair or replace it "
               "under warranty."},
    {"key": "warranty", "category": "products", "language": "fr",
     "question": "Quelle garantie ont vos produits ?",
     "answer": "Tous les produits électroniques sont garantis 2 ans contre les défauts de fabrication. Dans les 30 "
               "jours suivant la livraison, nous remboursons directement un article défectueux ; au-delà, "
               "contactez-nous et nous le réparons ou le remplaçons sous garantie."},
    {"key": "battery-charging", "category": "products", "language": "en",
     "question": "My headphones or earbuds won't charge. What should I check?",
     "answer": "Use the supplied USB-C cable and a charger of at least 5 W, and let them charge for 30 minutes: a "
               "fully drained battery can take a while to show the charging light. Clean the charging contacts of "
               "earbuds and their case with a dry cloth."},
    {"key": "battery-charging", "category": "products", "language": "fr",
     "question": "Mon casque ou mes écouteurs ne chargent pas. Que vérifier ?",
     "answer": "Utilisez le câble USB-C fourni et un chargeur d'au moins 5 W, et laissez charger 30 minutes : une "
               "batterie complètement vide met du temps à allumer le voyant de charge. Nettoyez les contacts de "
               "charge des écouteurs et de leur boîtier avec un chiffon sec."},
    {"key": "stock-restock", "category": "products", "language": "en",
     "question": "An item is out of stock. When will it be back?",
     "answer": "Most items are restocked within 2 to 3 weeks. On the product page, click \"Notify me\" and we email "
               "you as soon as it is available again."},
    {"key": "stock-restock", "category": "products", "language": "fr",
     "question": "Un article est en rupture de stock. Quand sera-t-il de retour ?",
     "answer": "La plupart des articles sont réapprovisionnés sous 2 à 3 semaines. Sur la fiche produit, cliquez sur "
               "« M'avertir » et nous vous écrivons dès qu'il est de nouveau disponible."},
    {"key": "compatibility", "category": "products", "language": "en",
     "question": "Are your accessories compatible with iPhone and Android?",
     "answer": "Our Bluetooth headphones, earbuds and speakers work with any iPhone, Android phone or computer with "
               "Bluetooth. Chargers and cables are USB-C; to charge an older iPhone you need a USB-C to Lightning "
               "cable."},
    {"key": "compatibility", "category": "products", "language": "fr",
     "question": "Vos accessoires sont-ils compatibles iPhone et Android ?",
     "answer": "Nos casques, écouteurs et enceintes Bluetooth fonctionnent avec tout iPhone, téléphone Android ou "
               "ordinateur équipé du Bluetooth. Les chargeurs et câbles sont en USB-C ; pour charger un ancien iPhone, "
               "il faut un câble USB-C vers Lightning."},
    # --- account ------------------------------------------------------------------------------------------------
    {"key": "password-reset", "category": "account", "language": "en",
     "question": "I forgot my password. How do I reset it?",
     "answer": "On the login page, click \"Forgot password\" and enter your email: we send you a link to choose a "
               "new password, valid for one hour. We never ask for your password in the chat or by email."},
    {"key": "password-reset", "category": "account", "language": "fr",
     "question": "J'ai oublié mon mot de passe. Comment le réinitialiser ?",
     "answer": "Sur la page de connexion, cliquez sur « Mot de passe oublié » et saisissez votre e-mail : nous vous "
               "envoyons un lien valable une heure pour choisir un nouveau mot de passe. Nous ne demandons jamais "
               "votre mot de passe dans le chat ni par e-mail."},
    {"key": "change-email", "category": "account", "language": "en",
     "question": "How do I change the email address of my account?",
     "answer": "Log in, open **My account**, then **Email**, and enter the new address: we send a confirmation link "
               "to it. Your orders and their history stay attached to your account."},
    {"key": "change-email", "category": "account", "language": "fr",
     "question": "Comment changer l'adresse e-mail de mon compte ?",
     "answer": "Connectez-vous, ouvrez **Mon compte** puis **E-mail**, et saisissez la nouvelle adresse : nous y "
               "envoyons un lien de confirmation. Vos commandes et leur historique restent liés à votre compte."},
    {"key": "delete-account", "category": "account", "language": "en",
     "question": "How do I delete my account and my data?",
     "answer": "In **My account**, choose **Delete my account**. We delete your personal data within 30 days, "
               "except what the law requires us to keep for invoices. You can also ask our team in the chat."},
    {"key": "delete-account", "category": "account", "language": "fr",
     "question": "Comment supprimer mon compte et mes données ?",
     "answer": "Dans **Mon compte**, choisissez **Supprimer mon compte**. Nous effaçons vos données personnelles sous "
               "30 jours, sauf ce que la loi nous oblige à conserver pour les factures. Vous pouvez aussi le demander "
               "à notre équipe dans le chat."},
    {"key": "order-history", "category": "account", "language": "en",
     "question": "Where can I see my past orders?",
     "answer": "Log in and open **My orders**: every order is listed with its status, tracking and invoice. Logged "
               "in, our chat assistant can also look up your orders without asking for your email."},
    {"key": "order-history", "category": "account", "language": "fr",
     "question": "Où voir mes commandes passées ?",
     "answer": "Connectez-vous et ouvrez **Mes commandes** : chaque commande y figure avec son statut, son suivi et "
               "sa facture. Une fois connecté, notre assistant peut aussi retrouver vos commandes sans vous demander "
               "votre e-mail."},
    # --- payment ------------------------------------------------------------------------------------------------
    {"key": "payment-methods", "category": "payment", "language": "en",
     "question": "Which payment methods do you accept?",
     "answer": "We accept Visa, Mastercard, American Express, PayPal and Apple Pay. Please never send your card "
               "number in the chat: we will never ask for it."},
    {"key": "payment-methods", "category": "payment", "language": "fr",
     "question": "Quels moyens de paiement acceptez-vous ?",
     "answer": "Nous acceptons Visa, Mastercard, American Express, PayPal et Apple Pay. N'envoyez jamais votre numéro "
               "de carte dans le chat : nous ne vous le demanderons jamais."},
    {"key": "payment-charged", "category": "payment", "language": "en",
     "question": "When is my card charged?",
     "answer": "Your payment is taken when you place the order. If an order is cancelled before it ships, the "
               "amount is released or refunded in full."},
    {"key": "payment-charged", "category": "payment", "language": "fr",
     "question": "Quand ma carte est-elle débitée ?",
     "answer": "Le paiement est prélevé au moment de la commande. Si la commande est annulée avant l'expédition, le "
               "montant est libéré ou remboursé intégralement."},
    {"key": "payment-declined", "category": "payment", "language": "en",
     "question": "Why was my payment declined?",
     "answer": "Check the card number, expiry date and billing address, and that your bank allows online payments. "
               "Some banks ask you to confirm the payment in their app. If it still fails, try PayPal or another "
               "card."},
    {"key": "payment-declined", "category": "payment", "language": "fr",
     "question": "Pourquoi mon paiement a-t-il été refusé ?",
     "answer": "Vérifiez le numéro de carte, la date d'expiration et l'adresse de facturation, et que votre banque "
               "autorise les paiements en ligne. Certaines banques demandent une validation dans leur application. "
               "Si le paiement échoue encore, essayez PayPal ou une autre carte."},
    {"key": "invoice", "category": "payment", "language": "en",
     "question": "How do I get an invoice for my order?",
     "answer": "Your invoice is in **My orders**, next to each order, as a PDF. For a company invoice with a VAT "
               "number, ask our team and we issue it within one business day."},
    {"key": "invoice", "category": "payment", "language": "fr",
     "question": "Comment obtenir une facture pour ma commande ?",
     "answer": "Votre facture se trouve dans **Mes commandes**, à côté de chaque commande, au format PDF. Pour une "
               "facture d'entreprise avec numéro de TVA, demandez-la à notre équipe : nous l'émettons sous un jour "
               "ouvré."},
]
