"""Word lists of the demo: regions, industries, names and roles, and what the dialog log says."""

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Channel

# Counties since 2024, weighted roughly by population and business count; each has a home account manager.
REGIONS = {
    "Oslo": (18, "ingrid.solberg"),
    "Akershus": (13, "ingrid.solberg"),
    "Vestland": (12, "erik.haugland"),
    "Rogaland": (9, "erik.haugland"),
    "Trøndelag": (9, "sofie.lund"),
    "Innlandet": (7, "magnus.eide"),
    "Agder": (6, "erik.haugland"),
    "Østfold": (6, "magnus.eide"),
    "Buskerud": (5, "magnus.eide"),
    "Vestfold": (5, "magnus.eide"),
    "Møre og Romsdal": (5, "sofie.lund"),
    "Nordland": (5, "sofie.lund"),
    "Telemark": (3, "magnus.eide"),
    "Troms": (3, "sofie.lund"),
    "Finnmark": (1, "sofie.lund"),
}


@dataclass(frozen=True)
class Industry:
    name: str
    weights: tuple[int, int, int]  # how often an A, B and C customer is in it: A customers share a profile
    business_models: tuple[str, ...]
    suffixes: tuple[str, ...]


INDUSTRIES = (
    Industry("Bygg og anlegg", (25, 18, 14), ("Entreprenør", "Prosjektbasert", "Underleverandør"),
              ("Bygg", "Entreprenør", "Anlegg", "Betong", "Tømrer", "Graving", "Rør")),
    Industry("Elektro", (10, 12, 10), ("Installasjon", "Service og vedlikehold", "Entreprenør"),
              ("Elektro", "Elektroinstallasjon", "Automasjon", "Energi")),
    Industry("Transport og logistikk", (20, 12, 8), ("Tjenesteyting", "Kontraktslogistikk", "Budtjenester"),
              ("Transport", "Logistikk", "Frakt", "Spedisjon", "Lager")),
    Industry("Varehandel", (8, 14, 16), ("Grossist", "Detaljhandel", "Netthandel"),
              ("Handel", "Engros", "Interiør", "Import", "Kjøkken", "Sport")),
    Industry("IT-tjenester", (6, 10, 10), ("SaaS", "Konsulenttjenester", "Drift og hosting"),
              ("Data", "IT", "Digital", "Systemer", "Nettverk")),
    Industry("Industri", (18, 12, 8), ("Produksjon", "Kontraktsproduksjon"),
              ("Mekaniske Verksted", "Industri", "Maskin", "Plast", "Stål", "Sveis")),
    Industry("Helse", (3, 8, 10), ("Privat klinikk", "Offentlig avtale"),
              ("Helse", "Legesenter", "Tannklinikk", "Fysioterapi")),
    Industry("Eiendom", (4, 6, 8), ("Utleie", "Forvaltning", "Utvikling"), ("Eiendom", "Forvaltning", "Utleie")),
    Industry("Havbruk og sjømat", (6, 4, 3), ("Produksjon", "Eksport"), ("Sjømat", "Havbruk", "Fisk")),
    Industry("Regnskap og rådgivning", (0, 4, 10), ("Konsulenttjenester", "Abonnement"),
              ("Regnskap", "Revisjon", "Rådgivning")),
    Industry("Reiseliv og servering", (0, 0, 3), ("Hotell", "Servering"), ("Hotell", "Catering", "Gjestegård")),
)  # fmt: skip

PLACE_WORDS = (
    "Fjord", "Nordlys", "Vestkyst", "Fjell", "Bjørke", "Granitt", "Havblikk", "Polar", "Midnattsol",
    "Trollheim", "Kyst", "Elvedal", "Solvind", "Isbre", "Lofot", "Hardanger", "Dovre", "Jotun", "Saga",
    "Tinde", "Bølge", "Eik", "Furu", "Lyngen", "Varanger", "Helgeland", "Sunnmøre", "Romsdal", "Glomma",
    "Mjøs", "Skagerak", "Finnskog", "Valdres", "Hallingdal", "Nidaros", "Bergenhus", "Lysefjord",
    "Nordvest", "Sørvest", "Østlandet", "Fosen", "Senja", "Rondane", "Gausta", "Folgefonn", "Sognefjord",
)  # fmt: skip
SURNAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
    "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen",
    "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Moen", "Gundersen",
    "Iversen", "Strand", "Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken",
    "Mathisen", "Lie", "Amundsen", "Rasmussen", "Lunde", "Solheim", "Berge", "Moe", "Nygård", "Bakke",
    "Fredriksen", "Holm", "Lien", "Hauge", "Aas", "Myhre", "Nguyen", "Ahmed", "Kowalski", "Haugland",
)  # fmt: skip
FIRST_NAMES = (
    "Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Hilde", "Nina", "Silje",
    "Ida", "Nora", "Emma", "Sofie", "Ingeborg", "Camilla", "Kristin", "Hanne", "Tone", "Guro", "Marte",
    "Thea", "Siri", "Randi", "Elisabeth", "Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne",
    "Svein", "Hans", "Geir", "Thomas", "Morten", "Espen", "Anders", "Jonas", "Magnus", "Henrik", "Sindre",
    "Eirik", "Håkon", "Øyvind", "Trond", "Rune", "Stian", "Martin", "Kristian", "Ola", "Sverre", "Amir",
)  # fmt: skip
# Contacts who prefer English: foreign-owned subsidiaries and staff from abroad.
ENGLISH_FIRST_NAMES = ("James", "Emily", "Piotr", "Anna", "Lukas", "Sarah", "David", "Olivia", "Tomasz")
ENGLISH_SURNAMES = ("Wilson", "Clarke", "Nowak", "Schmidt", "Becker", "Mitchell", "Brown", "Taylor")
ROLES = ("Innkjøpssjef", "IT-ansvarlig", "Økonomisjef", "Driftsleder", "Prosjektleder", "Kontorleder",
         "Innkjøper", "HR-leder", "Salgssjef")  # fmt: skip

# Fellesferie empties July; Christmas and Easter thin out December and April.
MONTH_WEIGHTS = (0.9, 1.0, 1.1, 0.9, 1.0, 1.05, 0.35, 0.95, 1.1, 1.1, 1.15, 0.75)

CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.CHAT, Channel.FORM, Channel.MEETING)
CHANNEL_WEIGHTS = (35, 35, 10, 8, 12)
# Minutes as (shortest, longest, most common): most calls are short, a few drag on.
DURATIONS = {
    Channel.PHONE: (3, 45, 10),
    Channel.EMAIL: (3, 25, 8),
    Channel.CHAT: (4, 30, 10),
    Channel.FORM: (2, 12, 5),
}
INBOUND_SHARE = {
    Channel.PHONE: 0.7,
    Channel.EMAIL: 0.6,
    Channel.CHAT: 1.0,
    Channel.FORM: 1.0,
    Channel.MEETING: 0.0,
}
# What the log says, by channel and by who started the conversation: (inbound, outbound).
SUMMARIES = {
    Channel.PHONE: (
        (
            "Ringte om faktura for {topic}; forklarte fakturaperioden.",
            "Spørsmål om oppsett av {topic}. Løst på telefon.",
            "Meldte feil på {topic}; feilsøkt sammen med kunden, løst.",
            "Ønsket pristilbud på utvidelse av {topic}.",
            "Kunden purret på levering; bekreftet ny leveringsdato.",
        ),
        (
            "Oppfølgingssamtale etter levering. Kunden er fornøyd med {topic}.",
            "Ringte for å avtale fornyelse av avtalen.",
            "Ringte for å høre om behov fremover; kunden vurderer mer av {topic}.",
        ),
    ),
    Channel.EMAIL: (
        (
            "E-post om endring av fakturaadresse. Oppdatert.",
            "Bestilling på e-post; bekreftet leveringsdato for {topic}.",
            "Spørsmål om pris og vilkår for {topic}.",
            "Kunden ba om kopi av faktura og avtalevilkår.",
        ),
        (
            "Sendt tilbud på {topic} etter forespørsel.",
            "Sendt oppsummering fra møtet og forslag til neste steg.",
            "Varslet om planlagt vedlikehold som berører {topic}.",
        ),
    ),
    Channel.CHAT: (
        (
            "Chat: hjelp med pålogging, passord tilbakestilt.",
            "Chat: spørsmål om status på åpen sak.",
            "Chat: hvordan legge til nye brukere i {topic}.",
        ),
        (),
    ),
    Channel.FORM: (
        (
            "Kontaktskjema: ønsker å bli kontaktet om {topic}.",
            "Serviceskjema: feilmelding på {topic}.",
            "Skjema: endring av kontaktperson hos kunden.",
        ),
        (),
    ),
    Channel.MEETING: (
        (),
        (
            "Kvartalsmøte: gjennomgang av avtale, leveranser og behov fremover.",
            "Oppstartsmøte for {topic}.",
            "Befaring hos kunden før installasjon av {topic}.",
            "Årlig avtalemøte; kunden vurderer å utvide {topic}.",
        ),
    ),
}
TIME_THIEF_SUMMARIES = (
    "Gjentatt henvendelse om samme feil på {topic}; ikke reprodusert hos oss.",
    "Kunden ber om enda en gratis gjennomgang av {topic}.",
    "Lang samtale om faktura; kunden bestrider fakturerte timer.",
    "Eskalert klage på responstid; krever møte med ledelsen.",
    "Hasteoppdrag utenfor avtalen på {topic}, ingen fakturering avtalt.",
    "Kunden ringte igjen om {topic}; samme spørsmål som forrige uke.",
)
