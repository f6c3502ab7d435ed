from django.conf import settings
from django.db import models

from .pages import MAX_QUERY_LENGTH, PAGES


class SavedView(models.Model):
    """A named page + filters + sort, private to its owner or shared with the team."""

    page = models.CharField(max_length=20, choices=[(key, p.label) for key, p in PAGES.items()])
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=MAX_QUERY_LENGTH, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    shared = models.BooleanField(default=False, help_text="Everyone on the team sees it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["page", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "page", "name"], name="saved_view_unique_name"
            ),
        ]
        indexes = [models.Index(fields=["shared", "page"], name="saved_view_shared")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_page_display()})"
