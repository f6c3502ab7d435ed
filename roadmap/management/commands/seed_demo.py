"""Load a believable demo company: `python manage.py seed_demo`.

Idempotent: a second run finds the data and only makes sure the demo users
exist. Every write that moves a score goes through the services, so the demo
priorities are computed exactly as they would be in production.
"""

import random
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from okrs import services as okr_services
from okrs.models import Objective
from roadmap import services
from roadmap.models import Customer, Initiative, Segment
from roadmap.permissions import Role

DEMO_PASSWORD = "priority-demo"  # noqa: S105 - demo accounts on a laptop database
MARKER_TITLE = "Become the product teams cannot work without"

METRICS = [
    ("nps", "Net Promoter Score", "pts", "increase"),
    ("wau", "Weekly active users", "users", "increase"),
    ("churn_rate", "Monthly logo churn", "%", "decrease"),
    ("expansion_revenue", "Expansion revenue (monthly)", "k$", "increase"),
    ("activation_rate", "Activation within 7 days", "%", "increase"),
    ("ticket_volume", "Support tickets per 100 accounts", "tickets", "decrease"),
]
# metric key -> 12 weekly values, oldest first
READINGS = {
    "nps": [28, 29, 29, 31, 30, 32, 33, 33, 34, 36, 35, 37],
    "wau": [18200, 18400, 18900, 19100, 19000, 19600, 20100, 20300, 20800, 21000, 21400, 21900],
    "churn_rate": [3.9, 3.8, 3.9, 3.7, 3.6, 3.6, 3.5, 3.4, 3.5, 3.3, 3.2, 3.2],
    "expansion_revenue": [92, 95, 94, 99, 101, 104, 103, 108, 111, 113, 117, 119],
    "activation_rate": [41, 41, 42, 43, 43, 44, 46, 45, 47, 48, 48, 49],
    "ticket_volume": [14.1, 13.8, 14.3, 13.5, 13.1, 12.9, 12.8, 12.2, 12.4, 11.9, 11.7, 11.5],
}

OBJECTIVES = [
    {
        "title": MARKER_TITLE,
        "weight": 3.0,
        "team": "",
        "krs": [
            ("Raise NPS from 28 to 45", "increase", "nps", 28, 45, 2.0),
            ("Grow weekly active users from 18k to 25k", "increase", "wau", 18000, 25000, 1.0),
        ],
    },
    {
        "title": "Keep the customers we have",
        "weight": 2.0,
        "team": "Retention",
        "parent": 0,
        "krs": [
            ("Cut monthly logo churn from 4% to 2.5%", "decrease", "churn_rate", 4.0, 2.5, 2.0),
            ("Support tickets per 100 accounts below 10", "decrease", "ticket_volume", 14, 10, 1.0),
            ("Ship the customer health dashboard", "milestone", None, 0, 1, 1.0),
        ],
    },
    {
        "title": "Grow revenue inside existing accounts",
        "weight": 2.5,
        "team": "Growth",
        "parent": 0,
        "krs": [
            (
                "Expansion revenue from $90k to $150k a month",
                "increase",
                "expansion_revenue",
                90,
                150,
                2.0,
            ),
            ("Keep NPS of paying admins at or above 30", "maintain", "nps", 35, 30, 1.0),
        ],
    },
    {
        "title": "Get new teams to value in their first week",
        "weight": 1.5,
        "team": "Onboarding",
        "parent": 0,
        "krs": [
            (
                "Activation within 7 days from 40% to 60%",
                "increase",
                "activation_rate",
                40,
                60,
                2.0,
            ),
            ("Guided setup used by 70% of new workspaces", "increase", None, 0, 70, 1.0),
            ("Launch the template gallery", "milestone", None, 0, 1, 1.0),
        ],
    },
]

SEGMENTS = [
    ("Enterprise", 2.0, "1,000+ seats, security review, procurement, SSO mandatory."),
    ("Mid-market", 1.5, "100-1,000 seats; a product ops lead owns the tool."),
    ("Startup", 1.0, "Under 100 seats; founders and the first PMs."),
    ("Agency", 0.5, "Consultancies running roadmaps for several clients."),
]
COMPANY_NAMES = [
    "Northwind Logistics",
    "Brightline Health",
    "Cobalt Robotics",
    "Fernhill Bank",
    "Atlas Freight",
    "Quillpoint",
    "Lumen Analytics",
    "Harbor & Vale",
    "Kestrel Insurance",
    "Orbital Foods",
    "Meridian Telecom",
    "Pinecrest Schools",
    "Redwood Payroll",
    "Solstice Energy",
    "Tidewater Media",
    "Umbra Security",
    "Vantage Retail",
    "Willow Care",
    "Xylo Games",
    "Yardbird Studio",
    "Zephyr Mobility",
    "Acorn Legal",
    "Beacon Travel",
    "Cinder Labs",
    "Driftwood Hotels",
    "Ember Fitness",
    "Foxglove Pharma",
    "Granite Construction",
    "Helio Solar",
    "Iris Vision",
    "Juniper Clinics",
    "Keel Marine",
    "Larkspur Finance",
    "Mosaic HR",
    "Nimbus Cloudworks",
    "Oakline Furniture",
    "Prism Design Co",
    "Quarry Data",
    "Rivet Manufacturing",
    "Sable Studios",
    "Tandem Bikes",
    "Upland Farms",
    "Verdant Grocers",
    "Wavelength Audio",
    "Xenon Chips",
    "Yonder Outdoors",
    "Zinc Commerce",
    "Aurora Dental",
    "Bluebird Tax",
    "Copperleaf Wealth",
    "Dune Apparel",
    "Evergreen Realty",
    "Fathom Research",
    "Glimmer Cosmetics",
    "Halcyon Spa",
    "Indigo Print",
    "Jetstream Courier",
    "Kindred Pets",
    "Lattice Software",
    "Monarch Events",
]

# (title, lane, status, team, quarter, reach, impact, confidence, effort, reach_source,
#  [(kr index, contribution)], [customer quotes])
INITIATIVES = [
    (
        "SAML single sign-on and SCIM provisioning",
        "now",
        "in_progress",
        "Platform",
        "2026-Q4",
        1800,
        2,
        80,
        4,
        "manual",
        [(5, "medium"), (2, "weak")],
        [
            "Our security team won't sign off until we have SAML SSO. This is blocking the rollout "
            "to the other 900 seats.",
            "We have to deprovision leavers by hand in three tools. SCIM would save IT a day a month.",
            "Procurement asked again whether you support Okta. Right now it's the only thing holding "
            "up the renewal.",
        ],
    ),
    (
        "Customer health dashboard",
        "now",
        "in_progress",
        "Retention",
        "2026-Q4",
        900,
        2,
        80,
        3,
        "manual",
        [(4, "strong"), (2, "strong")],
        [
            "I only find out an account is unhappy when they cancel. Give me a view of who's slipping.",
            "CSMs keep their own spreadsheets of at-risk accounts because there's nothing in the app.",
        ],
    ),
    (
        "Slack notifications for roadmap changes",
        "now",
        "planned",
        "Integrations",
        "2026-Q4",
        0,
        1,
        80,
        1,
        "evidence",
        [(1, "medium")],
        [
            "Nobody opens the app to check what moved. If it posted in Slack we'd actually see it.",
            "Our sales team asks 'is X still planned?' ten times a week. A Slack digest would end that.",
            "Please let us pick which channel gets which lane, the #general spam would be too much.",
        ],
    ),
    (
        "Interactive onboarding checklist",
        "now",
        "in_progress",
        "Onboarding",
        "2026-Q4",
        2400,
        1,
        80,
        2,
        "manual",
        [(7, "strong"), (8, "strong")],
        [
            "The first week I had no idea what to set up first. A checklist would have helped a lot.",
            "We invited the team before creating objectives and everyone was confused by an empty app.",
        ],
    ),
    (
        "Template gallery for roadmaps and OKRs",
        "next",
        "planned",
        "Onboarding",
        "2027-Q1",
        1500,
        1,
        50,
        2,
        "manual",
        [(9, "strong"), (7, "medium")],
        [
            "Do you have an example of a good OKR set for a B2B SaaS? Starting from blank is hard.",
            "A template for quarterly planning would save me half a day every quarter.",
        ],
    ),
    (
        "Usage-based seat upgrades in-app",
        "next",
        "planned",
        "Growth",
        "2027-Q1",
        600,
        2,
        80,
        3,
        "manual",
        [(5, "strong")],
        [
            "We wanted to add 15 viewers last month and it took two weeks with your sales team.",
            "Let admins buy more seats themselves, we'd have upgraded in March.",
        ],
    ),
    (
        "Jira two-way sync",
        "now",
        "planned",
        "Integrations",
        "2026-Q4",
        0,
        2,
        80,
        5,
        "evidence",
        [(1, "strong"), (3, "medium")],
        [
            "Engineers live in Jira. If status doesn't flow back, our roadmap is stale within a week.",
            "The one-way export means I update two tools every Friday. Two-way sync, please.",
            "We almost churned over the Jira integration. It duplicates epics when we re-run it.",
        ],
    ),
    (
        "Faster board loading for large workspaces",
        "now",
        "in_progress",
        "Platform",
        "2026-Q4",
        1200,
        1,
        100,
        2,
        "manual",
        [(3, "medium"), (0, "medium")],
        [
            "The board takes 8 seconds to load with our 600 initiatives. People give up.",
            "Everything is fine until you have a few hundred cards, then scrolling is painful.",
        ],
    ),
    (
        "Custom fields on initiatives",
        "next",
        "idea",
        "Platform",
        "2027-Q1",
        0,
        1,
        50,
        3,
        "evidence",
        [(1, "weak")],
        [
            "We need a 'regulatory' flag on initiatives; right now we put [REG] in the title.",
            "Let us add a cost-center field so finance can read the roadmap.",
            "A dropdown for 'customer promise' would let us track commitments made in deals.",
        ],
    ),
    (
        "Public roadmap portal",
        "later",
        "idea",
        "Growth",
        "2027-Q2",
        3000,
        1,
        50,
        4,
        "manual",
        [(0, "medium"), (5, "weak")],
        [
            "Our customers keep asking what's coming. A public page we control would be great.",
            "Productboard's portal is the only reason we still pay for it.",
        ],
    ),
    (
        "NPS survey in-app with follow-up",
        "next",
        "planned",
        "Retention",
        "2027-Q1",
        0,
        1,
        80,
        2,
        "evidence",
        [(0, "strong"), (6, "medium")],
        [
            "We run NPS through a separate tool and then paste comments in by hand.",
            "Would love to ask a follow-up question when someone scores us 6 or lower.",
        ],
    ),
    (
        "Bulk edit in the priority table",
        "now",
        "planned",
        "Core",
        "2026-Q4",
        0,
        0.5,
        100,
        1,
        "evidence",
        [(0, "weak")],
        [
            "Changing the lane of 20 items one by one is tedious. Let me select and move them.",
            "Bulk edit for confidence after a planning session would save us an hour.",
        ],
    ),
    (
        "Audit log export",
        "later",
        "idea",
        "Platform",
        "2027-Q2",
        300,
        0.5,
        80,
        1,
        "manual",
        [(2, "weak")],
        ["Compliance wants a record of who changed priorities and when, exportable as CSV."],
    ),
    (
        "Mobile-friendly roadmap view",
        "later",
        "idea",
        "Core",
        "2027-Q2",
        0,
        0.5,
        50,
        3,
        "evidence",
        [],
        [
            "I review the roadmap on my phone before leadership meetings and it's unreadable.",
            "Executives only look at it on iPad. The board doesn't fit.",
        ],
    ),
    (
        "AI summary of customer feedback",
        "next",
        "idea",
        "Insights",
        "2027-Q1",
        2000,
        2,
        50,
        4,
        "manual",
        [(0, "medium"), (1, "medium")],
        [
            "I have 300 interview notes and no time to read them. Summaries per theme would be magic.",
            "Show me the top 5 complaints this month without me tagging everything.",
        ],
    ),
    (
        "Feedback deduplication",
        "next",
        "planned",
        "Insights",
        "2027-Q1",
        0,
        1,
        80,
        2,
        "evidence",
        [(3, "weak")],
        [
            "The same request comes in from support and sales and we count it twice.",
            "Merge duplicates please, our inbox has the SSO request 40 times.",
        ],
    ),
    (
        "Salesforce opportunity linking",
        "next",
        "planned",
        "Integrations",
        "2027-Q1",
        500,
        2,
        80,
        3,
        "manual",
        [(5, "strong")],
        [
            "Sales wants to see how much pipeline is waiting on a feature. Link it to opportunities.",
            "We lost a $200k deal over a missing feature and nobody on product knew.",
        ],
    ),
    (
        "Dark mode",
        "later",
        "idea",
        "Core",
        "",
        0,
        0.25,
        80,
        1,
        "evidence",
        [],
        [
            "Dark mode please, my eyes at 11pm planning sessions.",
            "Honestly a small thing but dark mode would make me happy.",
        ],
    ),
    (
        "Quarterly planning workspace",
        "next",
        "planned",
        "Core",
        "2027-Q1",
        1100,
        2,
        50,
        5,
        "manual",
        [(0, "medium"), (5, "medium")],
        [
            "Planning week is chaos: spreadsheets, slides and your app. Bring it into one place.",
            "A scenario view to compare two versions of next quarter's plan would be amazing.",
        ],
    ),
    (
        "Webhooks and public API v2",
        "now",
        "planned",
        "Integrations",
        "2026-Q4",
        700,
        1,
        80,
        2,
        "manual",
        [(1, "weak"), (3, "weak")],
        [
            "We want to push our data warehouse metrics in automatically instead of CSV uploads.",
            "Our BI team needs the priority list via API to join with revenue data.",
        ],
    ),
    (
        "Guided OKR check-in reminders",
        "now",
        "planned",
        "Onboarding",
        "2026-Q4",
        1600,
        0.5,
        80,
        1,
        "manual",
        [(8, "medium"), (7, "weak")],
        [
            "Half the team forgets check-ins. A Friday reminder with a one-click form would fix that.",
            "Key results go stale for weeks because nobody is nudged to update them.",
        ],
    ),
    (
        "Permission tiers for viewers",
        "next",
        "idea",
        "Platform",
        "2027-Q1",
        0,
        1,
        80,
        2,
        "evidence",
        [(6, "weak")],
        [
            "We need read-only stakeholders who can comment but not edit.",
            "Agencies need to give clients a view of just their roadmap.",
        ],
    ),
    (
        "Churn risk alerts",
        "next",
        "planned",
        "Retention",
        "2027-Q1",
        800,
        2,
        50,
        3,
        "manual",
        [(2, "strong")],
        ["Warn us when usage drops for a big account; we found out too late twice this year."],
    ),
    (
        "Roadmap PDF and slide export",
        "later",
        "idea",
        "Core",
        "2027-Q2",
        0,
        0.5,
        80,
        1,
        "evidence",
        [],
        [
            "Board meeting next week; I need the roadmap as slides, not screenshots.",
            "An export to Google Slides would save me from rebuilding the deck every month.",
        ],
    ),
    (
        "Customer segment weighting in scores",
        "now",
        "shipped",
        "Insights",
        "2026-Q3",
        400,
        1,
        100,
        1,
        "manual",
        [(5, "medium")],
        ["Enterprise requests should count more than free-plan requests in the score."],
    ),
    (
        "Localization: German and French",
        "later",
        "idea",
        "Growth",
        "2027-Q3",
        900,
        1,
        50,
        4,
        "manual",
        [(1, "weak")],
        ["Our product teams in Lyon and Munich would adopt faster with a localized UI."],
    ),
    (
        "Zendesk ticket import",
        "now",
        "planned",
        "Integrations",
        "2026-Q4",
        0,
        1,
        80,
        1,
        "evidence",
        [(3, "medium"), (2, "weak")],
        [
            "Support already tags feature requests in Zendesk. Pull them in automatically.",
            "Copy-pasting tickets into the inbox is the most boring part of my week.",
        ],
    ),
    (
        "Dependencies between initiatives",
        "later",
        "idea",
        "Core",
        "2027-Q2",
        0,
        1,
        50,
        3,
        "evidence",
        [],
        [
            "We need to show that the billing revamp depends on SSO. Today it's a comment.",
            "Blocked-by links on the board would help our engineering leads a lot.",
        ],
    ),
    (
        "Weekly priority digest email",
        "later",
        "idea",
        "Growth",
        "2027-Q2",
        1400,
        0.5,
        80,
        1,
        "manual",
        [(1, "weak")],
        ["A Monday email of what moved up and why would keep execs in the loop."],
    ),
    (
        "Archive legacy v1 importer",
        "later",
        "archived",
        "Platform",
        "",
        50,
        0.25,
        100,
        1,
        "manual",
        [],
        ["Nobody uses the v1 importer anymore; it confuses new admins."],
    ),
]

# Relative share of the linked feedback each initiative above attracts.
POPULARITY = [
    9,
    6,
    7,
    3,
    2,
    2,
    8,
    5,
    4,
    3,
    4,
    2,
    1,
    2,
    3,
    3,
    2,
    3,
    1,
    1,
    1,
    2,
    2,
    1,
    1,
    1,
    6,
    2,
    1,
    1,
]

UNLINKED = [
    "Can we get a calendar view of when things ship? Our marketing team plans launches around it.",
    "Search doesn't find initiatives by their description, only the title.",
    "It would be great to comment on an initiative and @mention a colleague.",
    "The export to CSV cuts off long descriptions.",
    "Could the OKR page show last quarter next to this one?",
    "We'd pay extra for a sandbox workspace to try planning scenarios.",
    "Keyboard shortcuts for moving cards would make planning sessions much faster.",
    "Our finance team wants to see effort in dollars, not person-months.",
    "Please add a way to attach the original interview recording to feedback.",
    "I'd love to see which customers asked for something, grouped by ARR.",
    "Email-in feedback: forward a customer email to an address and it lands in the inbox.",
    "The timeline view should let me drag items between quarters.",
    "Give us a way to mark feedback as 'won't do' with a reason we can send back.",
    "We need Teams notifications, not everyone is on Slack.",
    "The confidence field is confusing, maybe explain 50/80/100 in the form.",
]
OPENERS = {
    "interview": ["In the call, the head of product said: ", "From our interview: ", ""],
    "survey": ["Survey answer: ", "Q3 survey, free text: ", ""],
    "support": ["Ticket: ", "Support chat: ", "Escalated ticket: "],
    "nps": ["NPS 6 — ", "NPS 8 — ", "NPS 3 — ", "NPS 9 — "],
    "sales": ["From a renewal call: ", "Lost-deal notes: ", "Prospect demo: "],
    "in_app": ["", "Feedback widget: "],
}


class Command(BaseCommand):
    help = "Load the demo company (idempotent)."

    def handle(self, *args, **options):
        rng = random.Random(20261123)
        users = self._users()
        if Objective.objects.filter(title=MARKER_TITLE).exists():
            self.stdout.write("Demo data already loaded; left as it is.")
        else:
            with transaction.atomic():
                self._load(rng, users["product"])
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            "Log in at http://127.0.0.1:8000/ as product / marketing / integration"
            f" (password: {DEMO_PASSWORD}); admin / {DEMO_PASSWORD} is a superuser."
        )

    def _users(self) -> dict[str, User]:
        users = {}
        for role in Role:
            group, _ = Group.objects.get_or_create(name=role.value)
            user, created = User.objects.get_or_create(
                username=role.value,
                defaults={"first_name": role.label, "email": f"{role.value}@example.com"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(group)
            users[role.value] = user
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        users["product"].first_name, users["product"].last_name = "Priya", "Raman"
        users["product"].save(update_fields=["first_name", "last_name"])
        return users

    def _load(self, rng: random.Random, cpo: User) -> None:
        now = timezone.now()
        period = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
        metrics = {}
        for key, name, unit, direction in METRICS:
            metrics[key] = okr_services.metric_create(
                actor=cpo, key=key, name=name, unit=unit, direction=direction
            )
        key_results = []
        objectives = []
        for spec in OBJECTIVES:
            parent = objectives[spec["parent"]] if "parent" in spec else None
            objective = okr_services.objective_create(
                actor=cpo,
                title=spec["title"],
                weight=spec["weight"],
                team=spec["team"],
                period=period,
                parent=parent,
            )
            objectives.append(objective)
            for title, kind, metric_key, start, target, weight in spec["krs"]:
                key_results.append(
                    okr_services.key_result_create(
                        actor=cpo,
                        objective=objective,
                        title=title,
                        kind=kind,
                        metric=metrics.get(metric_key),
                        start=start,
                        target=target,
                        current=start,
                        unit=metrics[metric_key].unit if metric_key else "",
                        weight=weight,
                    )
                )

        segments = [
            services.segment_save(actor=cpo, segment=Segment(name=n, weight=w, description=d))
            for n, w, d in SEGMENTS
        ]
        customers = []
        for index, name in enumerate(COMPANY_NAMES):
            segment = segments[index % len(segments)]
            revenue = {"Enterprise": 240_000, "Mid-market": 60_000, "Startup": 9_000}.get(
                segment.name, 18_000
            )
            customers.append(
                services.customer_save(
                    actor=cpo,
                    customer=Customer(
                        name=name,
                        external_id=f"crm-{1000 + index}",
                        segment=segment,
                        annual_revenue=round(revenue * rng.uniform(0.5, 1.8), -2),
                    ),
                )
            )

        initiatives = []
        for spec in INITIATIVES:
            (
                title,
                lane,
                status,
                team,
                quarter,
                reach,
                impact,
                confidence,
                effort,
                source,
                links,
                _quotes,
            ) = spec
            initiative = services.initiative_create(
                actor=cpo,
                title=title,
                lane=lane,
                status=status,
                team=team,
                target_quarter=quarter,
                # The table lists seats reached; reach counts accounts, like the
                # evidence-derived reach does (about 50 seats an account).
                reach=round(reach / 50),
                impact=float(impact),
                confidence=confidence,
                effort=effort,
                reach_source=source,
                description=f"{title}. Owned by the {team} team.",
            )
            initiatives.append(initiative)
            for kr_index, contribution in links:
                services.alignment_set(
                    actor=cpo,
                    initiative=initiative,
                    key_result=key_results[kr_index],
                    contribution=contribution,
                )

        items = []
        sources = list(OPENERS)
        for n in range(400):
            if n < 340:
                # Feedback is lopsided: a few asks (SSO, Jira, health) come up
                # again and again, the long tail a handful of times each.
                index = (
                    n % len(initiatives)
                    if n < 3 * len(initiatives)
                    else rng.choices(range(len(initiatives)), weights=POPULARITY)[0]
                )
                initiative = initiatives[index]
                quotes = INITIATIVES[index][11]
                quote = quotes[rng.randrange(len(quotes))]
            else:
                initiative = None
                quote = UNLINKED[n % len(UNLINKED)]
            source = sources[rng.randrange(len(sources))]
            opener = rng.choice(OPENERS[source])
            customer = rng.choice(customers) if rng.random() < 0.9 else None
            items.append(
                {
                    "source": source,
                    "text": opener + quote,
                    "customer": customer,
                    "importance": rng.choice(
                        ["nice_to_have", "important", "important", "critical"]
                    ),
                    "received_at": now
                    - timedelta(days=rng.uniform(0, 150), hours=rng.uniform(0, 23)),
                    "initiative": initiative,
                    "external_id": f"demo-{n}",
                }
            )
        services.evidence_ingest(actor=cpo, items=items)

        for key, values in READINGS.items():
            okr_services.metric_readings_ingest(
                actor=cpo,
                metric=metrics[key],
                items=[
                    {
                        "value": value,
                        "observed_at": now - timedelta(weeks=len(values) - 1 - week),
                        "source": "warehouse",
                        "external_id": f"demo-{key}-{week}",
                    }
                    for week, value in enumerate(values)
                ],
            )
        # The milestones and the manual key result get a check-in each.
        for kr in key_results:
            if kr.metric_id is None:
                value = 1 if kr.title.startswith("Ship") else (38 if kr.kind == "increase" else 0)
                okr_services.check_in_create(
                    actor=cpo,
                    key_result=kr,
                    value=value,
                    confidence="at_risk" if value == 0 else "on_track",
                    note="Weekly check-in from the planning meeting.",
                )
        Initiative.objects.filter(pk__in=[i.pk for i in initiatives]).update(owner=cpo)
