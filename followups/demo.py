"""Demo feedback on top of the demo customer base: a year of survey answers and the follow-ups they caused.

NPS goes out after purchases; CSAT and CES go out by hand the day after a service case (an inbound
interaction with a contact), as account managers send them from the admin. Every contact's
invitations keep the survey policy's cool-down between them, whatever the kind. A customer that
stopped buying (customers.demo plans a few) gets no NPS after its last purchase and no CSAT or CES
after its last service case, and tended to be unhappy before it left.

Like customers.demo, every choice comes from one `random.Random(seed)` while the rows are planned in
memory, then everything is written with bulk inserts in one transaction. The result is a queue an
account manager can work at once: a few open follow-ups (some overdue, some in the shared queue)
and a history of completed ones, some of which recovered the customer's score.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from customers.demo import ACCOUNT_MANAGERS, DEMO_PASSWORD, DEMO_USERNAME
from customers.models import Contact, Customer, Direction, Interaction, RevenueLine
from customers.windows import add_months
from followups.models import PRIORITY_BY_TIER, FollowUpNote, FollowUpPolicy, FollowUpTask, Outcome, Status
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP
from followups.services import due_at
from surveys.models import (
    SCALES,
    Category,
    Source,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyPolicy,
    SurveyResponse,
    SurveySuppression,
    Trigger,
)
from surveys.services import refresh_customer_satisfaction

# The account manager a visitor can log in as to see "My queue" (password: the demo password).
DEMO_ACCOUNT_MANAGER = ACCOUNT_MANAGERS[0][0]

_COMMENTS = {
    Category.DETRACTOR: [
        "Leveransen kom en uke for sent, og ingen sa fra.",
        "Vanskelig å få tak i noen på telefon.",
        "Fakturaen stemte ikke med avtalen, for andre gang.",
        "Support lukket saken uten at problemet var løst.",
        "Prisøkningen kom uten forvarsel.",
        "Vi fikk feil deler og måtte vente på nye.",
        "",
    ],
    Category.PASSIVE: ["Greit nok, men leveringstiden kan bli bedre.", "Stort sett fornøyd.", "", ""],
    Category.PROMOTER: [
        "Alltid rask og hyggelig hjelp.",
        "Kontaktpersonen vår kjenner behovene våre.",
        "Trygg leverandør gjennom mange år.",
        "",
        "",
    ],
}
# What people write after a service case, by kind and category.
_SERVICE_COMMENTS = {
    SurveyKind.CSAT: {
        Category.DETRACTOR: [
            "Saken ble ikke løst, og vi måtte ringe tilbake selv.",
            "Lang ventetid og ingen oppdatering underveis.",
            "Svaret vi fikk var feil.",
            "",
        ],
        Category.PASSIVE: ["Løst til slutt, men det tok tid.", "Greit svar.", "", ""],
        Category.PROMOTER: [
            "Løst på første telefon, takk!",
            "Kunnskapsrik og hyggelig saksbehandler.",
            "",
            "",
            "",
        ],
    },
    SurveyKind.CES: {
        Category.DETRACTOR: [
            "Måtte forklare saken tre ganger til forskjellige personer.",
            "Vanskelig å finne ut hvem vi skulle kontakte.",
            "Skjemaet på nettsiden fungerte ikke.",
            "",
        ],
        Category.PASSIVE: ["Gikk greit, men litt mye fram og tilbake.", "", ""],
        Category.PROMOTER: ["Veldig enkelt.", "Ett kort anrop, så var det ordnet.", "", "", ""],
    },
}
# The mean score after a service case by tier: the big accounts get the most experienced people.
# (CSAT 1-5 where 5 is very satisfied; CES 1-7 where 7 is very easy.)
_SERVICE_MEANS = {
    SurveyKind.CSAT: {"A": 4.45, "B": 4.25, "C": 4.0},
    SurveyKind.CES: {"A": 5.9, "B": 5.6, "C": 5.2},
}
_SERVICE_SPREAD = {SurveyKind.CSAT: 0.9, SurveyKind.CES: 1.2}
# Service got better over the year (a new support desk opened): a year ago the means were this much
# lower, rising evenly to today's, so the CSAT and CES trend charts climb.
_SERVICE_DRIFT = {SurveyKind.CSAT: 0.8, SurveyKind.CES: 1.1}
# The share of service cases a CSAT or CES invitation goes out after; the cool-down drops many more.
_SERVICE_SURVEY_SHARE = 0.9
# A customer on its way out is unhappier than the rest in what it last says.
_LEAVING_MOOD = 3.0

_NOTES = [
    "Ringte kontaktpersonen, la igjen beskjed.",
    "Snakket med kunden: forsinkelsen skyldtes lagerflytting. Tilbød gratis frakt på neste ordre.",
    "Avtalt oppfølgingsmøte neste uke.",
    "Sendt korrigert faktura og beklaget feilen.",
]


_CAMPAIGN_DAYS_AGO = 3


@dataclass(frozen=True)
class FeedbackSeedResult:
    invitations: int
    responses: int
    followups: int
    open_followups: int


def seed_feedback_demo(*, seed: int = 42, today: date | None = None) -> FeedbackSeedResult:
    """Add a year of NPS answers, their invitations and follow-ups to the demo customers, at once."""
    today = today or timezone.localdate()
    rng = random.Random(seed + 1)  # noqa: S311 -- reproducible demo data, not security
    now = timezone.now()
    with transaction.atomic():
        _ensure_roles()
        surveys = {survey.kind: survey for survey in Survey.objects.filter(is_active=True)}
        policy = SurveyPolicy.current()
        customers = {
            c.pk: c for c in Customer.objects.only("pk", "tier", "time_cost_flag", "account_manager_id")
        }
        last_purchases: dict[int, date] = dict(
            RevenueLine.objects.order_by()
            .values("customer_id")
            .annotate(last=Max("date"))
            .values_list("customer_id", "last")
        )
        contacts = list(Contact.objects.filter(opted_out=False).exclude(email="").order_by("pk"))
        cases = _service_cases(today)
        # Left: no purchase in the last three months (the dashboard's default churn window).
        left_before = add_months(today, -3)

        invitations: list[SurveyInvitation] = []
        answers: list[tuple[int, SurveyResponse]] = []
        for contact in contacts:
            customer = customers[contact.customer_id]
            last_purchase = last_purchases.get(customer.pk)
            # Time thieves are unhappier on average, and so are customers nobody looks after.
            mood = rng.gauss(8.4 if not customer.time_cost_flag else 6.0, 1.6)
            if customer.account_manager_id is None:
                mood -= 2.5
            # Purchase-triggered NPS stops with the purchases of a customer that left.
            nps_until = date.max
            if last_purchase is not None and last_purchase < left_before:
                mood -= _LEAVING_MOOD
                nps_until = last_purchase
            nps_days = [day for day in _asked_on(rng, today) if day <= nps_until]
            asks: list[_Ask] = [(day, SurveyKind.NPS, None) for day in nps_days]
            asks += _service_asks(rng, cases.get(contact.pk, []), nps_days, policy.cooldown_days, today)
            for asked_on, kind, case in sorted(asks, key=lambda ask: ask[0]):
                sent_at = _moment(asked_on, rng)
                invitation = SurveyInvitation(
                    survey=surveys[kind],
                    customer_id=customer.pk,
                    contact_id=contact.pk,
                    trigger=Trigger.PURCHASE if case is None else Trigger.MANUAL,
                    trigger_key=f"purchase:{asked_on.isoformat()}"
                    if case is None
                    else f"manual:case:{case[0]}",
                    created_by_id=None if case is None else case[1],
                    created_at=sent_at,
                    sent_at=sent_at,
                    expires_at=sent_at + timedelta(days=policy.invitation_valid_days),
                )
                invitations.append(invitation)
                if rng.random() > 0.45:  # a response rate a little over half, as B2B surveys get
                    continue
                if kind == SurveyKind.NPS:
                    score = max(0, min(10, round(rng.gauss(mood, 1.6))))
                    comments = _COMMENTS
                else:
                    score = _service_score(rng, kind, customer.tier, mood, (today - asked_on).days)
                    comments = _SERVICE_COMMENTS[kind]
                submitted_at = min(sent_at + timedelta(hours=rng.randint(1, 96)), now - timedelta(hours=1))
                invitation.responded_at = submitted_at
                category = policy.categorize(kind, score)
                answers.append(
                    (
                        len(invitations) - 1,
                        SurveyResponse(
                            survey=surveys[kind],
                            kind=kind,
                            customer_id=customer.pk,
                            contact_id=contact.pk,
                            score=score,
                            comment=rng.choice(comments[Category(category)]),
                            category=category,
                            source=Source.LINK,
                            submitted_at=submitted_at,
                        ),
                    )
                )
        SurveyInvitation.objects.bulk_create(invitations, batch_size=1000)
        for index, response in answers:
            response.invitation_id = invitations[index].pk
        responses = SurveyResponse.objects.bulk_create([r for _, r in answers], batch_size=1000)
        followups, notes = _plan_followups(rng, responses, customers, now)
        FollowUpTask.objects.bulk_create(followups, batch_size=1000)
        for note in notes:
            note.task_id = note.task.pk
        FollowUpNote.objects.bulk_create(notes, batch_size=1000)
        SurveySuppression.objects.bulk_create(
            [
                SurveySuppression(customer_id=task.customer_id, reason=f"followup:{task.pk}")
                for task in followups
                if task.status in (Status.OPEN, Status.IN_PROGRESS)
            ],
            ignore_conflicts=True,
        )
    # The answers were bulk-inserted past record_response, so the per-customer figures the sales
    # lists filter on are built here in one set-based pass.
    refresh_customer_satisfaction()
    open_count = sum(task.status in (Status.OPEN, Status.IN_PROGRESS) for task in followups)
    return FeedbackSeedResult(len(invitations), len(responses), len(followups), open_count)


def _asked_on(rng: random.Random, today: date) -> list[date]:
    """The days a contact was asked over the last year: none to three, at least 90 days apart."""
    days = sorted(rng.sample(range(7, 365), rng.choice([0, 1, 1, 2, 2, 3])), reverse=True)
    kept: list[int] = []
    for day in days:
        if not kept or kept[-1] - day >= 90:
            kept.append(day)
    # A quarterly NPS campaign went out three days ago to some of those not asked for a while, so the
    # queue holds fresh work: due today, due this week and, for A customers, already overdue.
    if rng.random() < 0.12 and (not kept or kept[-1] - _CAMPAIGN_DAYS_AGO >= 90):
        kept.append(_CAMPAIGN_DAYS_AGO)
    return [today - timedelta(days=day) for day in kept]


# A service case: (interaction id, who logged it, the Oslo day it happened).
_Case = tuple[int, int | None, date]
# An invitation to send: the day, the kind and the service case behind it (None: a purchase).
_Ask = tuple[date, SurveyKind, _Case | None]


def _service_cases(today: date) -> dict[int, list[_Case]]:
    """Each contact's inbound interactions of the last year, oldest first (one query)."""
    since = timezone.make_aware(datetime.combine(today - timedelta(days=365), time()))
    cases: dict[int, list[_Case]] = {}
    rows = (
        Interaction.objects.filter(direction=Direction.INBOUND, contact__isnull=False, occurred_at__gte=since)
        .order_by("contact_id", "occurred_at", "pk")
        .values_list("pk", "contact_id", "logged_by_id", "occurred_at")
    )
    for pk, contact_id, logged_by_id, occurred_at in rows:
        cases.setdefault(contact_id, []).append((pk, logged_by_id, timezone.localdate(occurred_at)))
    return cases


def _service_asks(
    rng: random.Random, cases: list[_Case], nps_days: list[date], cooldown_days: int, today: date
) -> list[_Ask]:
    """The CSAT and CES invitations sent the day after some of a contact's service cases.

    Only where the survey policy's cool-down allows: never within `cooldown_days` of another
    invitation to the same person, NPS included, as invite_contacts would refuse it.
    """
    taken = list(nps_days)
    asks: list[_Ask] = []
    for case in cases:
        if rng.random() >= _SERVICE_SURVEY_SHARE:
            continue
        kind = rng.choice((SurveyKind.CSAT, SurveyKind.CES))
        day = case[2] + timedelta(days=1)
        # Strictly more days apart than the cool-down, so the hour of sending cannot bring two
        # invitations inside it.
        if day >= today or any(abs((day - other).days) <= cooldown_days for other in taken):
            continue
        taken.append(day)
        asks.append((day, kind, case))
    return asks


def _service_score(rng: random.Random, kind: SurveyKind, tier: str, mood: float, days_ago: int) -> int:
    """A CSAT or CES score: the tier's mean, lower a year ago, moved a little by the contact's mood."""
    low, high = SCALES[kind]
    mean = _SERVICE_MEANS[kind].get(tier, _SERVICE_MEANS[kind]["C"])
    mean -= _SERVICE_DRIFT[kind] * min(days_ago, 365) / 365
    # The NPS mood is on a 0-10 scale around 8.4; a point of it is worth a fraction of a point here.
    mean += (mood - 8.4) * (high - low) / 10 * 0.35
    return max(low, min(high, round(rng.gauss(mean, _SERVICE_SPREAD[kind]))))


def _moment(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 15), rng.randint(0, 59))))


def _plan_followups(
    rng: random.Random,
    responses: list[SurveyResponse],
    customers: dict[int, Customer],
    now: datetime,
) -> tuple[list[FollowUpTask], list[FollowUpNote]]:
    policy = FollowUpPolicy.current()
    tasks: list[FollowUpTask] = []
    notes: list[FollowUpNote] = []
    for response in responses:
        if response.category != Category.DETRACTOR:
            continue
        customer = customers[response.customer_id]
        created = response.submitted_at + timedelta(minutes=rng.randint(1, 5))
        task = FollowUpTask(
            customer_id=customer.pk,
            response=response,
            contact_id=response.contact_id,
            assigned_to_id=customer.account_manager_id,
            tier=customer.tier,
            priority=PRIORITY_BY_TIER.get(customer.tier, 3),
            created_at=created,
            notified_at=created,
            due_at=due_at(
                created=created, business_days=policy.business_days_for(customer.tier), hour=policy.due_hour
            ),
        )
        age = now - created
        # Older than three weeks: handled. The last three weeks: some still open, so the queue shows
        # work due soon and work overdue.
        if age > timedelta(days=21) or (age > timedelta(days=4) and rng.random() < 0.4):
            # History: handled, mostly in time, with the outcomes account managers report.
            task.completed_at = created + timedelta(hours=rng.randint(2, 130))
            if rng.random() < 0.15:
                # Cancelled ones (a duplicate complaint, a contact who left) are the recovery
                # figures' comparison group: detractors without a completed follow-up.
                task.status = Status.CANCELLED
            else:
                task.status = Status.DONE
                task.first_contact_at = task.completed_at - timedelta(hours=rng.randint(0, 48))
                task.first_contact_at = max(task.first_contact_at, created + timedelta(minutes=30))
                task.outcome = rng.choices(
                    [Outcome.RECOVERED, Outcome.CONTACTED, Outcome.UNREACHABLE, Outcome.CHURN_RISK],
                    weights=[5, 3, 1, 1],
                )[0]
            if task.due_at < task.completed_at:
                task.escalated_at = task.due_at + timedelta(minutes=5)
        elif task.assigned_to_id is not None and rng.random() < 0.4:
            task.status = Status.IN_PROGRESS
            task.first_contact_at = created + timedelta(hours=rng.randint(1, 20))
            notes.append(
                FollowUpNote(
                    task=task,
                    author_id=task.assigned_to_id,
                    text=rng.choice(_NOTES),
                    created_at=task.first_contact_at,
                )
            )
        tasks.append(task)
    return tasks, notes


def _ensure_roles() -> None:
    """Put the demo account managers and the demo user in their groups; one manager can log in."""
    users = get_user_model().objects
    managers = list(
        users.filter(username__in=[username for username, _, _ in ACCOUNT_MANAGERS]).order_by("pk")
    )
    Group.objects.get(name=ACCOUNT_MANAGERS_GROUP).user_set.add(*managers)
    leads = list(users.filter(username=DEMO_USERNAME))
    Group.objects.get(name=LEADS_GROUP).user_set.add(*leads)
    login = next((user for user in managers if user.get_username() == DEMO_ACCOUNT_MANAGER), None)
    if login is not None and not login.has_usable_password():
        login.set_password(DEMO_PASSWORD)
        login.save(update_fields=["password"])
