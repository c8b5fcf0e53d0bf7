"""The word lists behind typed-question search (bot/search.py), folded (no accents).

Stop words carry no topic; weak words carry a little: general ones ("ayuda", "help") and the
words nearly every question here has ("ice", "migra"); abbreviations are
spelled out before anything else, as people type them in chats.
"""

from __future__ import annotations

from bot.i18n import fold


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(text).split())


LANGUAGE_STOPWORDS = {
    "es": _words("""
        a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada casi
        como con contra cual cuales cualquier cuando cuanto cuanta cuantos cuantas de del desde
        donde dos el ella ellas ello ellos en entre era eran eres es esa esas ese eso esos esta
        estaba estan estar estas este esto estos estoy fue fueron ha han has hasta hay he la las
        le les lo los mas me mi mis mio mucho muy nada ni no nos nosotros nuestra nuestro o otra
        otro otros para pero poco por porque pues que quien quienes se sea ser si sido sin sobre
        solo son soy su sus tal tambien te tengo tiene tienen tu tus un una uno unos unas usted
        ustedes y ya yo vos ud eh oye hola buenas buenos dias tardes noches gracias favor porfa
        puedo puede pueden podria debo debe deben hacer hago hace hacen quiero quiere necesito
        necesita saber se sabe pasa paso ir voy va van tener tenemos
        estamos esto alguien otra vez ahi alla aca cosa cosas entonces osea pues bueno ok oki
        verdad cierto tipo ese mero este onda
    """),
    "en": _words("""
        a about above after again all am an and any are as at be because been before being
        but by can could did do does doing done down during each few for from further had has
        have having he her here hers him his how i if in into is it its itself just me more
        most my myself no nor not of off on once only or other our ours out over own same
        she should so some such than that the their theirs them then there these they this
        those through to too under until up very was we were what when where which while who
        whom why will with would you your yours hi hello hey thanks thank please pls ok okay
        need needs want wants know get got go going gonna wanna someone
        somebody anyone thing things something really like just also still yes yeah u ur im
        dont cant doesnt didnt wont isnt
    """),
}
STOPWORDS = LANGUAGE_STOPWORDS["es"] | LANGUAGE_STOPWORDS["en"]

WEAK_WORDS = _words("""
    ayuda ayudar ayudame ayudarme ayudan ayuden informacion info duda dudas problema problemas
    persona personas gente caso situacion urgente ice migra inmigracion agente agentes
    help helping helps information problem problems person people case situation urgent
    immigration agent agents
""")

ABBREVIATIONS = {
    # Spanish chat writing.
    "q": "que", "k": "que", "ke": "que", "qe": "que", "xq": "porque", "pq": "porque",
    "porq": "porque", "xk": "porque", "ntp": "no te preocupes", "tb": "tambien",
    "tmb": "tambien", "tbn": "tambien", "x": "por", "d": "de", "pa": "para", "pal": "para el",
    "dnd": "donde", "tng": "tengo", "toy": "estoy", "nd": "nada", "ns": "no se", "msj": "mensaje",
    "cel": "celular", "cmo": "como", "kien": "quien", "qien": "quien", "aki": "aqui",
    "sq": "es que", "bn": "bien", "xfa": "por favor", "xfavor": "por favor", "plis": "por favor",
    "migracion": "inmigracion", "uds": "ustedes", "poli": "policia",
    # English chat writing.
    "u": "you", "r": "are", "ur": "your", "im": "i am", "ive": "i have", "dont": "do not",
    "cant": "can not", "wont": "will not", "didnt": "did not", "doesnt": "does not",
    "idk": "i do not know", "abt": "about", "w": "with", "bc": "because", "cuz": "because",
    "bcuz": "because", "thru": "through", "ppl": "people", "govt": "government",
    "atty": "attorney", "immi": "immigration", "imm": "immigration", "docs": "documents",
    "doc": "document", "lic": "license", "dl": "license", "ssn": "social security",
    "plz": "please", "rn": "right now", "asap": "right now", "hrs": "hours", "tmrw": "tomorrow",
    "tmr": "tomorrow", "2moro": "tomorrow", "4th": "fourth", "5th": "fifth",
}
