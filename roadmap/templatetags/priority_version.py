"""The release of Priority, for the footer of every signed-in page."""

from django import template

from config.version import __version__

register = template.Library()


@register.simple_tag
def priority_version() -> str:
    return __version__
