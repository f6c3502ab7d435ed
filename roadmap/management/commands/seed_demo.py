"""Load a believable demo company: `python manage.py seed_demo`.

Idempotent: a second run finds the data and only makes sure the demo users
exist. The content is roadmap.demo.content; the steps that load it, through
the services, are roadmap.demo.load.
"""

import random

from django.core.management.base import BaseCommand
from django.db import transaction

from roadmap.demo.content import DEMO_PASSWORD
from roadmap.demo.load import demo_load, demo_loaded, demo_users

SEED = 20261123


class Command(BaseCommand):
    help = "Load the demo company (idempotent)."

    def handle(self, *args, **options):
        users = demo_users()
        if demo_loaded():
            self.stdout.write("Demo data already loaded; left as it is.")
        else:
            rng = random.Random(SEED)  # noqa: S311 - the same demo every time, not a secret
            with transaction.atomic():
                demo_load(rng=rng, cpo=users["product"])
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            "Log in as product / marketing / integration"
            f" (password: {DEMO_PASSWORD}); admin / {DEMO_PASSWORD} is a superuser."
        )
