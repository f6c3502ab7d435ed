import os

from django.core.wsgi import get_wsgi_application

# A server or worker started without DJANGO_SETTINGS_MODULE gets production
# settings: it refuses to start without DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS
# rather than serving with DEBUG and the public development key. (manage.py,
# for development, defaults to config.settings.local.)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
