"""What the bench data is made of: names, subjects, teams and shares, the mixes."""

SEED = 20260401
YEARS = 2
BENCH_PASSWORD = "bench"
ALIAS_DOMAIN = "bench.example.com"
PEER_ALIAS = "support"

CATEGORIES = {
    "Faktura og betaling": [
        "Feil på faktura",
        "Purring og inkasso",
        "E-faktura og AvtaleGiro",
        "Kreditnota",
    ],
    "Levering": ["Forsinket levering", "Skadet sending", "Endre leveringsadresse"],
    "Produkt": ["Produktspørsmål", "Reklamasjon", "Garanti", "Reservedeler"],
    "Avtale": ["Ny avtale", "Oppsigelse", "Prisendring"],
    "Teknisk hjelp": ["Innlogging og tilgang", "Feilmelding", "Integrasjon"],
    "Konto og profil": ["Endre kontaktinfo", "Personvern"],
    "Klage": ["Klage på kundeservice", "Klage på pris"],
    "Generelt": ["Tilbakemelding"],
}
SUBJECTS = [
    "Spørsmål om faktura",
    "Feil beløp på faktura",
    "Fått purring på betalt faktura",
    "Hvor er pakken min?",
    "Varen kom i stykker",
    "Ønsker å si opp avtalen",
    "Får ikke logget inn",
    "Appen krasjer ved innlogging",
    "Ønsker e-faktura",
    "Endre leveringsadresse",
    "Spørsmål om garanti",
    "Har dere dette på lager?",
    "Betalt to ganger",
    "Feil vare levert",
    "Ber om betalingsutsettelse",
    "Trenger tilgang for ny ansatt",
    "Tilbakemelding på service",
    "Ønsker å bli kontaktet",
]
TAGS = [
    "VIP",
    "Gjentakende",
    "Eskalert",
    "Ny kunde",
    "Bedrift",
    "Privat",
    "Haster svar",
    "Venter på leverandør",
    "Feil i system",
    "Kompensasjon",
]
# (name, share of the cases, agents whose first team it is)
TEAMS = [
    ("Kundeservice", 0.30, 16),
    ("Faktura", 0.15, 9),
    ("Teknisk support", 0.10, 7),
    ("Bedrift", 0.065, 4),
    ("Levering", 0.065, 4),
    ("Reklamasjon", 0.064, 4),
    ("Avtaler", 0.064, 4),
    ("Nettbutikk", 0.064, 4),
    ("Partnere", 0.064, 4),
    ("Eskalering", 0.064, 4),
]
FIRST_NAMES = (
    "Anne Per Kari Jon Marit Erik Silje Håkon Nora Magnus Ingrid Ole Lars Sofie "
    "Jonas Ida Emil Thea Sander Maja Henrik Emma Tobias Sara Kristian Julie Martin "
    "Hanna Andreas Ingeborg Sindre Tone Geir Hilde Bjørn Randi Trond Liv Knut Åse"
).split()
LAST_NAMES = (
    "Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen "
    "Dahl Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen "
    "Iversen Strand Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken "
    "Kristoffersen Mathisen Lie Amundsen"
).split()
COMPANY_WORDS = (
    "Nord Sør Vest Øst Fjord Fjell Kyst Elv Skog Bre Havn Lys Stein Tind Vik Dal "
    "Nes Berg Hav Sol"
).split()
COMPANY_TRADES = (
    "Bakeri Elektro Bygg Sykkel Reiseliv Trykkeri Marine Gartneri Regnskap Møbler "
    "Design Dekk Kaffe Sport Fisk Transport Data Rør Maling Eiendom"
).split()
CITIES = (
    "Oslo Bergen Trondheim Stavanger Tromsø Bodø Ålesund Kristiansand Drammen "
    "Fredrikstad Hamar Molde Lillehammer Førde Svolvær"
).split()
CHANNELS = [
    ("email", 45),
    ("phone", 25),
    ("portal", 12),
    ("web", 10),
    ("chat", 5),
    ("letter", 2),
    ("other", 1),
]
PRIORITIES = [("0", 75), ("1", 18), ("2", 7)]
# Age of the case (days) -> probabilities of (new, in progress, waiting, solved).
STAGE_BY_AGE = [
    (3, (0.60, 0.20, 0.05)),
    (30, (0.35, 0.15, 0.10)),
    (120, (0.08, 0.04, 0.04)),
    (None, (0.01, 0.005, 0.005)),
]
# kunde_crm -> helpdesk_mgmt
PEER_PRIORITY = {"0": "1", "1": "2", "2": "3"}
PEER_STAGE_XMLID = {
    "new": "helpdesk_mgmt.helpdesk_ticket_stage_new",
    "progress": "helpdesk_mgmt.helpdesk_ticket_stage_in_progress",
    "waiting": "helpdesk_mgmt.helpdesk_ticket_stage_awaiting",
    "solved": "helpdesk_mgmt.helpdesk_ticket_stage_done",
}
PEER_CHANNEL_XMLID = {
    "email": "helpdesk_mgmt.helpdesk_ticket_channel_email",
    "phone": "helpdesk_mgmt.helpdesk_ticket_channel_phone",
    "web": "helpdesk_mgmt.helpdesk_ticket_channel_web",
    "other": "helpdesk_mgmt.helpdesk_ticket_channel_other",
}
