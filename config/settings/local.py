"""Laptop settings: `make run`. Debug on, embedded SQLite, eager Celery by default."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
