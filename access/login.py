"""The login page, which says so when this connection cannot log anyone in."""

from django.conf import settings
from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    """Django's login view; warns when the cookies it needs are Secure but the request is not.

    A browser never sends a Secure cookie back over plain HTTP, so the CSRF check
    of the login form fails (or the new session is lost) and logging in silently
    cannot work. Production settings over HTTP (no TLS, or a TLS proxy without
    DJANGO_BEHIND_PROXY) end up there; the page says what to do instead.
    """

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["secure_cookies_over_http"] = not self.request.is_secure() and (
            settings.SESSION_COOKIE_SECURE or settings.CSRF_COOKIE_SECURE
        )
        return context
