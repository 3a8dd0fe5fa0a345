"""Demo data: a believable Norwegian B2B customer base with two years of history, for `seed_demo`.

Every random choice is drawn from one `random.Random(seed)` in a fixed order while the data is planned
in memory, before anything is written. A seed therefore plans the same customers, revenue and dialog
(for a given today) whatever ids the database hands out, and the demo looks the same every time.

The plan is shaped so the economics come out the way a demo needs them: exact shares of customers are
aimed at the A, B and C bands with a margin of safety around the thresholds, a few customers get a
negative contribution margin, and service time is sized against each customer's own margin so that
only the customers picked as time thieves (and the loss-makers) cross the tier policy's time-cost share.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import (
    Channel,
    Contact,
    Customer,
    Direction,
    Interaction,
    Language,
    Product,
    RevenueLine,
    Tier,
    TierPolicy,
)
from customers.validators import org_number_check_digit

DEMO_USERNAME = "demo"
# A public login for a local demo, printed by `make run` and the README; never a production secret.
DEMO_PASSWORD = "demo"  # noqa: S105
# RFC 2606 reserves .example: the addresses look like the company's own, but a demo database that
# ends up behind a real mail server can never send a survey to a stranger.
EMAIL_TLD = "example"
# SQLite allows 32 766 bound parameters per statement; 1 000 rows of the widest model stay well inside.
BATCH_SIZE = 1000

# Shares of customers aimed at each band; the rest are C. Roughly 20 % of customers bring most of the money.
_A_SHARE, _B_SHARE = 0.15, 0.25
_NEGATIVE_MARGIN_SHARE, _TIME_THIEF_SHARE = 0.03, 0.04
# A few big customers on thin margins: revenue alone misleads, and the demo should show it.
_THIN_MARGIN_SHARE = 0.01


# --- Word lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    price: int  # list price in NOK per unit (per month for subscriptions)
    margin_offset: (
        float  # margin points above or below the customer's average: licences earn more than hardware
    )
    topic: str  # how a support note refers to it
    recurring: bool = False
    step: float = 1.0  # smallest quantity sold: consulting is billed in half hours


PRODUCTS = (
    DemoProduct("SA-100", "Serviceavtale Basis", "Serviceavtaler", 2_900, 0.15, "serviceavtalen", True),
    DemoProduct("SA-200", "Serviceavtale Pluss", "Serviceavtaler", 6_500, 0.15, "serviceavtalen", True),
    DemoProduct(
        "SA-300", "Serviceavtale Premium 24/7", "Serviceavtaler", 14_500, 0.15, "serviceavtalen", True
    ),
    DemoProduct(
        "SA-400", "Driftsavtale server og nettverk", "Serviceavtaler", 9_800, 0.1, "driftsavtalen", True
    ),
    DemoProduct("LIS-110", "Kontorpakke, per bruker/mnd", "Lisenser", 189, 0.05, "kontorpakken", True),
    DemoProduct("LIS-120", "E-post og samhandling, per bruker/mnd", "Lisenser", 79, 0.05, "e-posten", True),
    DemoProduct("LIS-130", "Endepunktsikkerhet, per enhet/år", "Lisenser", 590, 0.1, "sikkerhetsprogrammet"),
    DemoProduct(
        "LIS-140", "Sikkerhetskopi i sky, per TB/mnd", "Lisenser", 450, 0.1, "sikkerhetskopien", True
    ),
    DemoProduct("LIS-150", "ERP Økonomi, per bruker/mnd", "Lisenser", 690, 0.1, "økonomisystemet", True),
    DemoProduct(
        "LIS-160", "Feltservice-app, per bruker/mnd", "Lisenser", 349, 0.1, "feltservice-appen", True
    ),
    DemoProduct("HW-210", 'Bærbar PC 14", forretningsmodell', "Maskinvare", 13_900, -0.15, "PC-ene"),
    DemoProduct("HW-220", 'Skjerm 27"', "Maskinvare", 3_490, -0.15, "skjermene"),
    DemoProduct("HW-230", "Dokkingstasjon USB-C", "Maskinvare", 2_290, -0.1, "dokkingstasjonene"),
    DemoProduct("HW-240", "Nettverkssvitsj 24 porter", "Maskinvare", 8_900, -0.1, "nettverket"),
    DemoProduct("HW-250", "Trådløst aksesspunkt", "Maskinvare", 3_900, -0.1, "det trådløse nettet"),
    DemoProduct("HW-260", "Mobiltelefon, bedrift", "Maskinvare", 8_490, -0.2, "mobiltelefonene"),
    DemoProduct("HW-270", "Multifunksjonsskriver A3", "Maskinvare", 29_900, -0.1, "skriveren"),
    DemoProduct(
        "KT-310", "Konsulenttime, seniorrådgiver", "Konsulenttimer", 1_650, 0.1, "rådgivningen", step=0.5
    ),
    DemoProduct(
        "KT-320", "Konsulenttime, tekniker", "Konsulenttimer", 1_150, 0.05, "teknikerbesøket", step=0.5
    ),
    DemoProduct("KT-330", "Prosjektledelse, time", "Konsulenttimer", 1_450, 0.1, "prosjektet", step=0.5),
    DemoProduct("KT-340", "Utrykning på stedet", "Konsulenttimer", 2_450, 0.0, "utrykningen"),
    DemoProduct("OPL-410", "Kurs: informasjonssikkerhet, per deltaker", "Opplæring", 3_900, 0.15, "kurset"),
    DemoProduct(
        "OPL-420", "Kurs: kontorpakken videregående, per deltaker", "Opplæring", 2_900, 0.15, "kurset"
    ),
    DemoProduct("SUP-510", "Supportklippekort, 10 timer", "Support", 10_500, 0.05, "klippekortet"),
    DemoProduct("SUP-520", "Migrering til sky, fastpris", "Support", 48_000, 0.0, "skymigreringen"),
)
_SERVICE_AGREEMENTS = tuple(p for p in PRODUCTS if p.sku.startswith("SA-"))
_SUBSCRIPTIONS = tuple(p for p in PRODUCTS if p.recurring and not p.sku.startswith("SA-"))
_ONE_OFFS = tuple(p for p in PRODUCTS if not p.recurring)
_CHEAPEST_ONE_OFF = min(_ONE_OFFS, key=lambda p: p.price * p.step)

ACCOUNT_MANAGERS = (
    ("ingrid.solberg", "Ingrid", "Solberg"),
    ("erik.haugland", "Erik", "Haugland"),
    ("sofie.lund", "Sofie", "Lund"),
    ("magnus.eide", "Magnus", "Eide"),
)

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
class _Industry:
    name: str
    weights: tuple[int, int, int]  # how often an A, B and C customer is in it: A customers share a profile
    business_models: tuple[str, ...]
    suffixes: tuple[str, ...]


INDUSTRIES = (
    _Industry("Bygg og anlegg", (25, 18, 14), ("Entreprenør", "Prosjektbasert", "Underleverandør"),
              ("Bygg", "Entreprenør", "Anlegg", "Betong", "Tømrer", "Graving", "Rør")),
    _Industry("Elektro", (10, 12, 10), ("Installasjon", "Service og vedlikehold", "Entreprenør"),
              ("Elektro", "Elektroinstallasjon", "Automasjon", "Energi")),
    _Industry("Transport og logistikk", (20, 12, 8), ("Tjenesteyting", "Kontraktslogistikk", "Budtjenester"),
              ("Transport", "Logistikk", "Frakt", "Spedisjon", "Lager")),
    _Industry("Varehandel", (8, 14, 16), ("Grossist", "Detaljhandel", "Netthandel"),
              ("Handel", "Engros", "Interiør", "Import", "Kjøkken", "Sport")),
    _Industry("IT-tjenester", (6, 10, 10), ("SaaS", "Konsulenttjenester", "Drift og hosting"),
              ("Data", "IT", "Digital", "Systemer", "Nettverk")),
    _Industry("Industri", (18, 12, 8), ("Produksjon", "Kontraktsproduksjon"),
              ("Mekaniske Verksted", "Industri", "Maskin", "Plast", "Stål", "Sveis")),
    _Industry("Helse", (3, 8, 10), ("Privat klinikk", "Offentlig avtale"),
              ("Helse", "Legesenter", "Tannklinikk", "Fysioterapi")),
    _Industry("Eiendom", (4, 6, 8), ("Utleie", "Forvaltning", "Utvikling"), ("Eiendom", "Forvaltning", "Utleie")),
    _Industry("Havbruk og sjømat", (6, 4, 3), ("Produksjon", "Eksport"), ("Sjømat", "Havbruk", "Fisk")),
    _Industry("Regnskap og rådgivning", (0, 4, 10), ("Konsulenttjenester", "Abonnement"),
              ("Regnskap", "Revisjon", "Rådgivning")),
    _Industry("Reiseliv og servering", (0, 0, 3), ("Hotell", "Servering"), ("Hotell", "Catering", "Gjestegård")),
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
_MONTH_WEIGHTS = (0.9, 1.0, 1.1, 0.9, 1.0, 1.05, 0.35, 0.95, 1.1, 1.1, 1.15, 0.75)

_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.CHAT, Channel.FORM, Channel.MEETING)
_CHANNEL_WEIGHTS = (35, 35, 10, 8, 12)
# Minutes as (shortest, longest, most common): most calls are short, a few drag on.
_DURATIONS = {
    Channel.PHONE: (3, 45, 10),
    Channel.EMAIL: (3, 25, 8),
    Channel.CHAT: (4, 30, 10),
    Channel.FORM: (2, 12, 5),
}
_INBOUND_SHARE = {
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


# --- The plan ---------------------------------------------------------------------------------------


@dataclass
class _ContactPlan:
    name: str
    email: str
    phone: str
    role: str
    language: str
    opted_out_at: datetime | None


@dataclass
class _LinePlan:
    sku: str
    day: date
    quantity: Decimal
    revenue_cents: int
    cost_cents: int


@dataclass
class _InteractionPlan:
    contact_index: int | None
    channel: str
    direction: str
    occurred_at: datetime
    minutes: int
    summary: str
    logged_by: str | None


@dataclass
class _CustomerPlan:
    external_id: str
    name: str
    org_number: str
    industry: str
    employees: int
    business_model: str
    region: str
    account_manager: str | None
    since: date = date.min  # a customer that arrived during the history has neither sales nor dialog before
    contacts: list[_ContactPlan] = field(default_factory=list)
    lines: list[_LinePlan] = field(default_factory=list)
    interactions: list[_InteractionPlan] = field(default_factory=list)


@dataclass(frozen=True)
class DemoSeedResult:
    customers: int
    contacts: int
    products: int
    revenue_lines: int
    interactions: int
    account_managers: int


class DemoDataExists(Exception):
    """The database already holds customers; demo rows mixed into them could not be told apart."""


def ensure_demo_user() -> bool:
    """Create the demo superuser unless a user of that name exists; return whether it was created.

    An existing user is left alone, password included: someone may have changed it on purpose.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=DEMO_USERNAME).exists():
        return False
    try:
        with transaction.atomic():
            user_model.objects.create_superuser(
                username=DEMO_USERNAME,
                email=f"{DEMO_USERNAME}@tilfreds.{EMAIL_TLD}",
                password=DEMO_PASSWORD,
                first_name="Demo",
                last_name="Bruker",
            )
    except IntegrityError:  # a concurrent `make run` created it between the check and the insert
        return False
    return True


def seed_demo_data(*, customers: int = 300, seed: int = 42, today: date | None = None) -> DemoSeedResult:
    """Fill a database without customers with the demo customer base, in one transaction.

    Raises DemoDataExists when any customer exists. Account managers and products that already exist
    (matched by username and SKU) are reused, not duplicated.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        # Checked inside the transaction; two seeds racing on PostgreSQL both pass it, and the second
        # then fails on the unique external IDs and rolls back whole.
        if Customer.objects.exists():
            raise DemoDataExists("The database already has customers; the demo data goes into an empty one.")
        policy = TierPolicy.current()
        plans = _Planner(
            random.Random(seed),  # noqa: S311 -- reproducible demo data, not security
            today=today,
            hourly_cost=float(policy.hourly_service_cost),
            time_cost_share=float(policy.time_cost_share_pct) / 100,
            a_threshold=float(policy.a_threshold),
            b_threshold=float(policy.b_threshold),
        ).plan(customers)
        return _write(plans)


# --- Planning ---------------------------------------------------------------------------------------


class _Planner:
    def __init__(
        self,
        rng: random.Random,
        *,
        today: date,
        hourly_cost: float,
        time_cost_share: float,
        a_threshold: float,
        b_threshold: float,
    ) -> None:
        self.rng = rng
        self.hourly_cost = hourly_cost
        self.time_cost_share = time_cost_share
        self.a_threshold, self.b_threshold = a_threshold, b_threshold
        # The same boundary as the recalculation's window, so "this year" here is its 12 months.
        self.window_start = today - relativedelta(months=12)
        self.history_start = today - relativedelta(months=24)
        # Year 0 is the previous 12 months, year 1 the current window.
        self.years = ((self.history_start, self.window_start), (self.window_start, today))
        self.invoice_days = [_first_weekdays(start, end) for start, end in self.years]
        self.line_days = [self._weighted_weekdays(start, end) for start, end in self.years]
        # Dialog ends yesterday so no interaction is logged later than now.
        self.dialog_days = [
            self._weighted_weekdays(start, min(end, today - timedelta(days=1))) for start, end in self.years
        ]
        self.used_names: set[str] = set()
        self.used_org_numbers: set[str] = set()

    def plan(self, count: int) -> list[_CustomerPlan]:
        rng = self.rng
        n_a, n_b = round(count * _A_SHARE), round(count * _B_SHARE)
        tiers = [Tier.A] * n_a + [Tier.B] * n_b + [Tier.C] * (count - n_a - n_b)
        rng.shuffle(tiers)
        # Loss-makers and time thieves are picked from the B and C customers, mostly C: the small
        # customer that calls every week is the familiar case, and an A customer with a loss would
        # swamp the totals.
        candidates = [i for i, tier in enumerate(tiers) if tier != Tier.A]
        rng.shuffle(candidates)
        # A stable sort keeps the shuffle within each group; three B customers in ten join the C ones.
        candidates.sort(key=lambda i: tiers[i] == Tier.B and rng.random() < 0.7)
        n_negative = max(1, round(count * _NEGATIVE_MARGIN_SHARE)) if count >= 10 else 0
        n_thieves = max(1, round(count * _TIME_THIEF_SHARE)) if count >= 3 else 0
        negative = set(candidates[:n_negative])
        thieves = set(candidates[n_negative : n_negative + n_thieves])
        big = [i for i, tier in enumerate(tiers) if tier == Tier.A]
        thin = set(rng.sample(big, min(len(big), max(1, round(count * _THIN_MARGIN_SHARE)))))
        return [
            self._customer(
                i, tiers[i], negative_margin=i in negative, thin_margin=i in thin, time_thief=i in thieves
            )
            for i in range(count)
        ]

    def _customer(
        self, index: int, tier: str, *, negative_margin: bool, thin_margin: bool, time_thief: bool
    ) -> _CustomerPlan:
        rng = self.rng
        industry = rng.choices(INDUSTRIES, weights=[ind.weights["ABC".index(tier)] for ind in INDUSTRIES])[0]
        region = rng.choices(list(REGIONS), weights=[w for w, _ in REGIONS.values()])[0]
        employees = self._employees(tier)
        name, domain = self._company_name(industry, tier, employees)
        assigned = rng.random() < {Tier.A: 1.0, Tier.B: 0.92, Tier.C: 0.8}[tier]
        # Managers mostly cover their home region; a few customers follow a person, not a map.
        home_manager = REGIONS[region][1]
        manager = (
            (home_manager if rng.random() < 0.85 else rng.choice(ACCOUNT_MANAGERS)[0]) if assigned else None
        )
        plan = _CustomerPlan(
            external_id=f"K{10_001 + index}",
            name=name,
            org_number=self._org_number(),
            industry=industry.name,
            employees=employees,
            business_model=rng.choice(industry.business_models),
            region=region,
            account_manager=manager,
        )
        plan.contacts = self._contacts(tier, employees, domain)
        products = self._revenue(plan, tier, negative_margin=negative_margin, thin_margin=thin_margin)
        self._dialog(plan, products, tier, time_thief=time_thief)
        return plan

    def _employees(self, tier: str) -> int:
        # Log-normal: most firms are small, a few are large, as in the Brønnøysund registers.
        median, sigma, low, high = {
            Tier.A: (120, 0.8, 20, 2500),
            Tier.B: (35, 0.7, 5, 400),
            Tier.C: (8, 0.9, 1, 150),
        }[tier]
        return max(low, min(high, round(self.rng.lognormvariate(math.log(median), sigma))))

    def _company_name(self, industry: _Industry, tier: str, employees: int) -> tuple[str, str]:
        rng = self.rng
        for attempt in itertools.count():
            suffix = rng.choice(industry.suffixes)
            shape = rng.random()
            if shape < 0.6:
                stem = f"{rng.choice(PLACE_WORDS)} {suffix}"
            elif shape < 0.82:
                stem = f"{rng.choice(SURNAMES)} {suffix}"
            elif shape < 0.9:
                stem = f"{rng.choice(SURNAMES)} & Sønner"
            elif shape < 0.95:
                stem = f"Brødrene {rng.choice(SURNAMES)}"
            else:
                stem = f"{rng.choice(PLACE_WORDS)}{suffix.lower()}" if " " not in suffix else f"{suffix} Nord"
            # The word lists give a few thousand names; past that, firms add a district, then a number.
            if attempt >= 20:
                stem = f"{stem} {rng.choice(('Nord', 'Sør', 'Øst', 'Vest', 'Midt'))}"
            if attempt >= 100:
                stem = f"{stem} {attempt}"
            if stem in self.used_names:  # "Fjord Bygg AS" and "Fjord Bygg ANS" would share a domain
                continue
            self.used_names.add(stem)
            legal = "AS"
            if tier == Tier.A and employees > 300 and rng.random() < 0.3:
                legal = "ASA"
            elif employees <= 3 and rng.random() < 0.3:
                legal = "ANS"
            return f"{stem} {legal}", f"{_ascii_slug(stem)}.{EMAIL_TLD}"
        raise AssertionError("unreachable: itertools.count() never ends")

    def _org_number(self) -> str:
        # Nine digits starting with 9, like every company registered since 1995, with a MOD11 check.
        while True:
            first_eight = str(self.rng.randrange(91_000_000, 100_000_000))
            check = org_number_check_digit(first_eight)
            number = f"{first_eight}{check}"
            if check is not None and number not in self.used_org_numbers:
                self.used_org_numbers.add(number)
                return number

    def _contacts(self, tier: str, employees: int, domain: str) -> list[_ContactPlan]:
        rng = self.rng
        weights = {Tier.A: (0, 10, 30, 60), Tier.B: (5, 15, 35, 45), Tier.C: (10, 20, 35, 35)}[tier]
        count = rng.choices((1, 2, 3, 4), weights=weights)[0]
        first_role = "Daglig leder" if employees < 20 else rng.choice(("Innkjøpssjef", "Økonomisjef"))
        roles = [first_role, *rng.sample(ROLES, 3)]
        contacts: list[_ContactPlan] = []
        names: set[str] = set()
        while len(contacts) < count:
            english = rng.random() < 0.07
            first = rng.choice(ENGLISH_FIRST_NAMES if english else FIRST_NAMES)
            last = rng.choice(ENGLISH_SURNAMES if english else SURNAMES)
            name = f"{first} {last}"
            if name in names:  # one address per person and customer: the unique email constraint
                continue
            names.add(name)
            opted_out = rng.random() < 0.04
            contacts.append(
                _ContactPlan(
                    name=name,
                    email=f"{_ascii_slug(first)}.{_ascii_slug(last)}@{domain}",
                    phone=f"+47 {rng.choice('49')}{rng.randrange(100):02d} {rng.randrange(100):02d} "
                    f"{rng.randrange(1000):03d}",
                    role=roles[len(contacts)],
                    language=Language.EN if english else Language.NB,
                    opted_out_at=self._moment(rng.choice(self.dialog_days[1])) if opted_out else None,
                )
            )
        return contacts

    def _revenue(
        self, plan: _CustomerPlan, tier: str, *, negative_margin: bool, thin_margin: bool
    ) -> list[DemoProduct]:
        """Plan two years of revenue lines aimed at a 12-month revenue well inside the tier's band."""
        rng = self.rng
        # 12 % clear of each threshold, so rounding and the recurring/one-off split never cross a band.
        a_floor, b_low, b_high, c_high = (
            self.a_threshold * 1.12,
            self.b_threshold * 1.12,
            self.a_threshold * 0.9,
            self.b_threshold * 0.88,
        )
        if tier == Tier.A:
            target = min(a_floor * math.exp(rng.expovariate(2.0)), 8_000_000)
        elif tier == Tier.B:
            target = rng.uniform(b_low, b_high)
        else:
            target = math.exp(rng.uniform(math.log(12_000), math.log(c_high)))
        growth = rng.lognormvariate(0.06, 0.25)
        # One customer in twelve arrived during the previous year, with only part of a year behind it.
        since = self.history_start
        if rng.random() < 1 / 12:
            since += timedelta(days=rng.randrange(20, 330))
        plan.since = since
        discount = rng.uniform(0, 0.25 if tier == Tier.A else 0.18)
        if negative_margin:
            margin = rng.uniform(-0.18, -0.05)
        elif thin_margin:
            margin = rng.uniform(-0.03, 0.02)  # the product mix adds a few points on top
        else:
            margin = rng.triangular(0.1, 0.5, 0.27)

        monthly = target * rng.uniform(0.25, 0.7) / 12
        subscriptions: list[tuple[DemoProduct, float]] = []  # (product, current quantity)
        if rng.random() < 0.65:
            fitting = [p for p in _SERVICE_AGREEMENTS if p.price * (1 - discount) <= monthly * 0.5]
            if fitting:
                agreement = max(fitting, key=lambda p: p.price)
                subscriptions.append((agreement, 1.0))
                monthly -= agreement.price * (1 - discount)
        licences = rng.sample(_SUBSCRIPTIONS, rng.randint(1, 3))
        shares = [rng.uniform(0.5, 1.5) for _ in licences]
        for product, share in zip(licences, shares, strict=True):
            seats = monthly * share / sum(shares) / (product.price * (1 - discount))
            subscriptions.append((product, max(1.0, round(seats))))
        one_offs = rng.sample(_ONE_OFFS, rng.randint(3, 7))

        def add(product: DemoProduct, day: date, quantity: float, year: int) -> int:
            # Prices rose about 4 % at the turn of the window, as Norwegian suppliers adjust yearly.
            unit = product.price * (1 - discount) * (1.0 if year else 0.96)
            revenue = round(quantity * unit * 100)
            rate = margin if negative_margin else margin + product.margin_offset
            rate = min(0.85, rate + rng.uniform(-0.04, 0.04))
            plan.lines.append(
                _LinePlan(product.sku, day, Decimal(str(quantity)), revenue, round(revenue * (1 - rate)))
            )
            return revenue

        for year, (start, end) in enumerate(self.years):
            year_target = target if year else target / growth
            recurring = 0
            for invoice_day in self.invoice_days[year]:
                if invoice_day <= since:
                    continue
                for product, quantity in subscriptions:
                    # Fewer seats last year for a growing customer, more for a shrinking one.
                    seats = (
                        quantity
                        if year or product in _SERVICE_AGREEMENTS
                        else max(1.0, round(quantity / growth))
                    )
                    recurring += add(product, invoice_day, seats, year)
            active = min(1.0, (end - max(start, since)).days / 365)
            # One-off sales fill what the subscriptions leave of the year's target, at least a tenth of it.
            target_cents = year_target * active * 100
            budget = max(target_cents - recurring, target_cents * 0.1)
            count = round(active * rng.randint(*{Tier.A: (30, 70), Tier.B: (15, 35), Tier.C: (6, 16)}[tier]))
            # Exponential weights: many small orders and the odd large one.
            weights = [rng.expovariate(1.0) for _ in range(count)]
            total_weight = sum(weights)
            for weight in weights:
                amount = budget * weight / total_weight / 100
                affordable = [p for p in one_offs if p.price * (1 - discount) * p.step <= amount * 1.2]
                product = rng.choice(affordable) if affordable else _CHEAPEST_ONE_OFF
                units = amount / (product.price * (1 - discount) * product.step)
                day = rng.choice(self.line_days[year])
                while day <= since:
                    day = rng.choice(self.line_days[year])
                add(product, day, max(1, round(units)) * product.step, year)
        return [p for p, _ in subscriptions] + one_offs

    def _dialog(
        self, plan: _CustomerPlan, products: list[DemoProduct], tier: str, *, time_thief: bool
    ) -> None:
        """Plan each year's interactions, sized against that year's contribution margin."""
        rng = self.rng
        for year in range(len(self.years)):
            year_lines = [line for line in plan.lines if (line.day > self.window_start) == bool(year)]
            margin = sum(line.revenue_cents - line.cost_cents for line in year_lines) / 100
            limit = margin * self.time_cost_share  # service cost above this flags a time thief
            count = rng.randint(*{Tier.A: (10, 26), Tier.B: (5, 14), Tier.C: (2, 7)}[tier])
            if not year_lines:
                count = 0
            planned = [self._interaction(plan, products, year, time_thief=False) for _ in range(count)]
            if time_thief and margin > 0:
                # Disproportionate time: complaints and repeated questions until the service cost
                # is well past the policy's share of what the customer earns the company.
                excess = rng.uniform(1.3, 2.0)
                while self._cost(planned) < limit * excess:
                    planned.append(self._interaction(plan, products, year, time_thief=True))
            elif margin > 0:
                # An ordinary customer stays comfortably below the share, whatever its size.
                while len(planned) > 1 and self._cost(planned) > limit * 0.6:
                    planned.remove(max(planned, key=lambda item: item.minutes))
                if planned and self._cost(planned) > limit * 0.6:
                    planned[0].minutes = max(0, math.floor(limit * 0.6 * 60 / self.hourly_cost))
                    if planned[0].minutes == 0:
                        planned.clear()
            # A loss-making customer keeps its ordinary dialog: any service time then flags it.
            plan.interactions.extend(sorted(planned, key=lambda item: item.occurred_at))

    def _cost(self, planned: list[_InteractionPlan]) -> float:
        return sum(item.minutes for item in planned) * self.hourly_cost / 60

    def _interaction(
        self, plan: _CustomerPlan, products: list[DemoProduct], year: int, *, time_thief: bool
    ) -> _InteractionPlan:
        rng = self.rng
        if time_thief:
            channel = rng.choices((Channel.PHONE, Channel.EMAIL, Channel.MEETING), weights=(6, 3, 1))[0]
            inbound = channel != Channel.MEETING
            minutes = {Channel.PHONE: rng.randint(25, 75), Channel.EMAIL: rng.randint(20, 45)}.get(
                channel, 90
            )
            template = rng.choice(TIME_THIEF_SUMMARIES)
        else:
            channel = rng.choices(_CHANNELS, weights=_CHANNEL_WEIGHTS)[0]
            inbound = rng.random() < _INBOUND_SHARE[channel]
            if channel == Channel.MEETING:
                minutes = rng.choice((30, 45, 60, 60, 90, 120))  # booked in calendar slots
            else:
                minutes = round(rng.triangular(*_DURATIONS[channel]))
            template = rng.choice(SUMMARIES[channel][0 if inbound else 1])
        day = rng.choice(self.dialog_days[year])
        while day <= plan.since:
            day = rng.choice(self.dialog_days[year])
        contact_index = rng.randrange(len(plan.contacts)) if plan.contacts and rng.random() < 0.9 else None
        # Outbound work is the account manager's; inbound cases land on whoever answers.
        logged_by = plan.account_manager
        if inbound or logged_by is None:
            logged_by = logged_by if logged_by and rng.random() < 0.5 else rng.choice(ACCOUNT_MANAGERS)[0]
        return _InteractionPlan(
            contact_index=contact_index,
            channel=channel,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            occurred_at=self._moment(day),
            minutes=minutes,
            summary=template.format(topic=rng.choice(products).topic),
            logged_by=logged_by,
        )

    def _moment(self, day: date) -> datetime:
        """An aware moment in Oslo office hours on the day (never inside a DST gap, which is at night)."""
        clock = time(self.rng.randint(8, 15), self.rng.randrange(0, 60, 5))
        return timezone.make_aware(datetime.combine(day, clock), timezone.get_default_timezone())

    def _weighted_weekdays(self, start: date, end: date) -> list[date]:
        """Weekdays in start < day <= end, each repeated by its month's weight (in tenths) for rng.choice."""
        days: list[date] = []
        day = start + timedelta(days=1)
        while day <= end:
            if day.weekday() < 5:
                days.extend([day] * round(_MONTH_WEIGHTS[day.month - 1] * 10))
            day += timedelta(days=1)
        return days


def _first_weekdays(start: date, end: date) -> list[date]:
    """The first weekday of each month in start < day <= end: the day subscriptions are invoiced."""
    days: list[date] = []
    month = start.replace(day=1)
    while month <= end:
        day = month
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if start < day <= end:
            days.append(day)
        month += relativedelta(months=1)
    return days


def _ascii_slug(text: str) -> str:
    """'Bølge & Sønner' -> 'bolgesonner': what a Norwegian company turns its name into for a domain."""
    text = text.lower()
    for norwegian, ascii_ in (("æ", "ae"), ("ø", "o"), ("å", "a"), ("é", "e"), ("ü", "u")):
        text = text.replace(norwegian, ascii_)
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch == "-"))


# --- Writing ----------------------------------------------------------------------------------------


def _write(plans: list[_CustomerPlan]) -> DemoSeedResult:
    managers = _ensure_account_managers()
    products = _ensure_products()
    customers = [
        Customer(
            external_id=p.external_id,
            name=p.name,
            org_number=p.org_number,
            industry=p.industry,
            employees=p.employees,
            business_model=p.business_model,
            region=p.region,
            account_manager=managers.get(p.account_manager) if p.account_manager else None,
        )
        for p in plans
    ]
    # Both backends return the new primary keys from a bulk insert (SQLite >= 3.35 via RETURNING).
    Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
    contacts = [
        [
            Contact(
                customer=customer,
                name=c.name,
                email=c.email,
                phone=c.phone,
                role=c.role,
                language=c.language,
                opted_out=c.opted_out_at is not None,
                opted_out_at=c.opted_out_at,
            )
            for c in plan.contacts
        ]
        for plan, customer in zip(plans, customers, strict=True)
    ]
    Contact.objects.bulk_create([c for group in contacts for c in group], batch_size=BATCH_SIZE)
    lines = [
        RevenueLine(
            customer_id=customer.pk,
            product_id=products[line.sku].pk,
            date=line.day,
            quantity=line.quantity,
            revenue=Decimal(line.revenue_cents).scaleb(-2),
            cost=Decimal(line.cost_cents).scaleb(-2),
        )
        for plan, customer in zip(plans, customers, strict=True)
        for line in plan.lines
    ]
    RevenueLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
    interactions = [
        Interaction(
            customer_id=customer.pk,
            contact_id=group[item.contact_index].pk if item.contact_index is not None else None,
            channel=item.channel,
            direction=item.direction,
            occurred_at=item.occurred_at,
            duration_minutes=item.minutes,
            summary=item.summary,
            logged_by_id=managers[item.logged_by].pk if item.logged_by else None,
        )
        for plan, customer, group in zip(plans, customers, contacts, strict=True)
        for item in plan.interactions
    ]
    Interaction.objects.bulk_create(interactions, batch_size=BATCH_SIZE)
    return DemoSeedResult(
        customers=len(customers),
        contacts=sum(len(group) for group in contacts),
        products=len(products),
        revenue_lines=len(lines),
        interactions=len(interactions),
        account_managers=len(managers),
    )


def _ensure_account_managers() -> dict[str, AbstractBaseUser]:
    """Create the demo account managers that are missing (staff, no groups) and return all of them."""
    user_model = get_user_model()
    new_users = []
    for username, first_name, last_name in ACCOUNT_MANAGERS:
        user = user_model(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@tilfreds.{EMAIL_TLD}",
            is_staff=True,
        )
        # They are characters in the demo, not logins: no password until someone sets one in the admin.
        user.set_unusable_password()
        new_users.append(user)
    user_model.objects.bulk_create(new_users, ignore_conflicts=True)
    usernames = [username for username, _, _ in ACCOUNT_MANAGERS]
    return {user.get_username(): user for user in user_model.objects.filter(username__in=usernames)}


def _ensure_products() -> dict[str, Product]:
    """Create the catalogue's missing products and return every catalogue product by SKU."""
    Product.objects.bulk_create(
        [Product(sku=p.sku, name=p.name, category=p.category) for p in PRODUCTS], ignore_conflicts=True
    )
    return {p.sku: p for p in Product.objects.filter(sku__in=[p.sku for p in PRODUCTS])}
