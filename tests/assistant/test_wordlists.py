"""Insults and threats in English and French, from the maintained word lists (assistant/wordlists/)."""

import pytest

from assistant import wordlists
from assistant.language import is_threat
from assistant.sentiment import lexicon_flags, lexicon_score

INSULTS_EN = [
    "you're a clown",
    "You are such a clown",
    "you guys are a bunch of clowns",
    "dickhead",
    "You idiot",
    "what a moron",
    "you're useless",
    "you are all completely incompetent",
    "you suck",
    "Are you stupid?",
    "you liars",
    "you're thieves and scammers",
    "asshole",
    "Stupid bot, you scammers",
    "Pathetic crooks",
    "go to hell",
    "screw you",
    "kiss my ass",
    "you're a joke",
    "shut it, you pig",
    "fuck this shop",
    "I'm fucking tired of this",
    "what the fuck is going on",
    "bullshit",
    "wtf",
]
INSULTS_FR = [
    "tocard",
    "enculé",
    "va te faire foutre",
    "t'es nul",
    "T'es vraiment nul",
    "bande de nuls",
    "vous êtes des escrocs",
    "Vous êtes vraiment des incapables",
    "vous n'êtes que des voleurs",
    "espèce de con",
    "pov con",
    "gros con",
    "sale con",
    "t'es con ou quoi",
    "connard",
    "connasse",
    "abruti",
    "crétin",
    "fdp",
    "ntm",
    "ta gueule",
    "ferme ta gueule",
    "bande d'amateurs",
    "quels guignols",
    "putain de service",
    "service de merde",
    "fils de pute",
    "je vous emmerde",
    "c'est des escrocs",
]
DISGUISED = [
    "f*ck you",
    "f**k off",
    "sh1t",
    "$hit service",
    "what a pi3ce of sh!t",
    "you 1d10t",
    "b!tch",
    "fuuuuuck",
    "f u c k",
    "i.d.i.o.t",
    "c0nnard",
    "enc*lé",
    "T'ES NUUUUL",
    "conna\u200brd",
    "Ｆｕｃｋ",
]
THREATS_EN = [
    "I'll see you in court",
    "I will find you",
    "My lawyer will contact you",
    "I'm going to sue you",
    "I will sue",
    "I'll report you to the BBB",
    "I'm filing a chargeback",
    "I will dispute the charge with my bank",
    "you'll regret this",
    "I know where you live",
    "I'm taking legal action",
    "I'll take you to small claims",
    "I'll call the police on you",
    "Reporting you to trading standards",
    "I'll kill you",
]
THREATS_FR = [
    "je vais vous poursuivre",
    "vous allez le regretter",
    "je vais porter plainte",
    "je vais signaler à la DGCCRF",
    "Je vais déposer plainte contre vous",
    "Mon avocat va vous contacter",
    "on se verra au tribunal",
    "je vais faire opposition auprès de ma banque",
    "je vais saisir le médiateur de la consommation",
    "je vous envoie une mise en demeure",
    "je vais faire un signalement sur SignalConso",
    "vous allez me le payer",
    "je sais où vous habitez",
    "je vais vous poursuivre en justice",
    "j'appelle la gendarmerie",
]
INNOCENT_EN = [
    "The parcel was damaged when it arrived",
    "This product sucks at battery life",
    "The app is useless on my old phone",
    "Your service is a joke",
    "Is this a scam?",
    "This is crap, it broke after two days",
    "Damn, it's still not here",
    "What the hell happened to my order?",
    "I'm such an idiot, I typed the wrong address",
    "I feel like an idiot, I can't find the reset button",
    "Sorry, stupid question: do you ship to Canada?",
    "I'm not stupid, I followed the manual",
    "I live in Scunthorpe, can you deliver there?",
    "I'm not successful at logging in",
    "Is the Assassin's Creed bundle in stock?",
    "What are the pros and cons of the two models?",
    "My money is tied up until the refund arrives",
    "The screw on the stand is loose",
    "The cocktail shaker arrived without its lid",
    "Someone stole my parcel from the porch, thieves are everywhere",
    "I got a text from scammers pretending to be you",
    "I sent you the fraud report from my bank",
    "Is the instruction manual idiot-proof?",
    "My wife Sue placed the order",
    "I filed a police report for the stolen parcel",
    "The charger got really hot, could it burn?",
    "I'll report back once I've tried it",
    "I'm not going to sue, I just want my money back",
    "We ate at the food court while waiting for the courier",
    "Thank you so much, useless question but: is it waterproof?",
    "Thank you, that was helpful",
]
INNOCENT_FR = [
    "Le colis est arrivé abîmé",
    "Je suis déçu par la qualité",
    "C'est nul, ça ne marche pas",
    "Le son est nul sur ce casque",
    "C'est débile, ce formulaire",
    "Quelle arnaque",
    "C'est du foutage de gueule",
    "Je suis nul en informatique, pouvez-vous m'aider ?",
    "Je me sens bête, j'ai oublié mon mot de passe",
    "Je ne suis pas un idiot, j'ai suivi la notice",
    "T'es pas nul, merci pour l'aide",
    "J'ai raté le concert à cause du retard de livraison",
    "Ma connexion Bluetooth ne fonctionne pas",
    "Le casque se déconnecte tout seul",
    "Je voyage en classe économique, livrez-vous à l'hôtel ?",
    "Mon colis est en retard",
    "Je veux faire une plainte, le colis est abîmé",
    "La police de la facture est illisible",
    "Pouvez-vous poursuivre la livraison demain ?",
    "J'habite au fond d'un cul-de-sac",
    "J'ai acheté une tapette à souris, elle est cassée",
    "Je ne veux pas porter plainte, juste être remboursé",
    "Le match est nul, mais la livraison était parfaite",
    "Merci beaucoup, bonne journée",
]


@pytest.mark.parametrize("text", INSULTS_EN + INSULTS_FR)
def test_an_insult_or_strong_swearing_makes_the_message_abusive(text):
    assert "abusive" in lexicon_flags(text)


@pytest.mark.parametrize("text", DISGUISED)
def test_a_disguised_insult_is_recognised(text):
    assert wordlists.find_insult(text)


@pytest.mark.parametrize("text", THREATS_EN + THREATS_FR)
def test_a_threat_is_recognised(text):
    assert is_threat(text)
    assert "threat" in lexicon_flags(text)


@pytest.mark.parametrize("text", INNOCENT_EN + INNOCENT_FR)
def test_an_ordinary_support_message_is_neither_abusive_nor_a_threat(text):
    assert not {"abusive", "threat"} & lexicon_flags(text), (wordlists.find_insult(text), wordlists.find_threat(text))


@pytest.mark.parametrize("text", ["This product sucks", "The app is useless", "Is this a scam?", "C'est nul",
                                  "C'est du foutage de gueule"])
def test_a_complaint_about_a_thing_counts_as_negative_not_as_abuse(text):
    score = lexicon_score(text)
    assert score.score < -0.2 and not score.abusive


@pytest.mark.parametrize("word", ["concert", "connexion", "déconnecté", "classe", "Scunthorpe", "successful",
                                  "assassin", "cone", "cocktail", "shiitake", "retardé", "null", "cumulative"])
def test_a_listed_word_inside_another_word_does_not_match(word):
    assert wordlists.find_insult(word) is None and wordlists.find_threat(word) is None


def test_a_doubled_letter_stays_doubled_so_conne_does_not_match_cone():
    assert wordlists.find_insult("quelle conne") and wordlists.find_insult("an ice cream cone") is None


@pytest.mark.parametrize("name", ["insults.en.txt", "insults.fr.txt", "threats.en.txt", "threats.fr.txt"])
def test_each_word_list_has_its_maintenance_header_and_no_term_twice_in_a_section(name):
    path = wordlists.FOLDER / name
    assert path.read_text(encoding="utf-8").startswith("#")
    sections = wordlists.INSULT_SECTIONS if name.startswith("insults") else wordlists.THREAT_SECTIONS
    for section, terms in wordlists.read_list(path, sections).items():
        assert len(terms) == len(set(terms)), f"{name} [{section}] lists a term twice"


def test_an_unknown_section_in_a_word_list_is_refused(tmp_path):
    path = tmp_path / "insults.xx.txt"
    path.write_text("[insult]\nidiot\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown section"):
        wordlists.read_list(path, wordlists.INSULT_SECTIONS)


def test_the_lists_are_read_and_compiled_once():
    assert wordlists.insults() is wordlists.insults() and wordlists.threats() is wordlists.threats()
