"""A select that searches as you type instead of listing every row.

A page that offered every customer (50,000) and every initiative (10,000) in
its selects weighed megabytes. This widget renders the chosen row and the
first `limit` of its queryset; typing in the search box beside it asks
`search_url` (htmx) for the matching rows as <option>s.
"""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join


class SearchSelect(forms.Select):
    def __init__(self, *, search_url: str, limit: int = 50, placeholder: str = "Search…"):
        super().__init__()
        self.search_url = search_url
        self.limit = limit
        self.placeholder = placeholder

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        select_id = attrs.get("id") or f"id_{name}"
        field = self.choices.field
        queryset = self.choices.queryset
        chosen = [] if value in (None, "") else list(queryset.filter(pk=value)[:1])
        rest = [obj for obj in queryset[: self.limit] if not chosen or obj.pk != chosen[0].pk]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (obj.pk, " selected" if obj in chosen else "", field.label_from_instance(obj))
                for obj in chosen + rest
            ),
        )
        empty = field.empty_label if field.empty_label is not None else "—"
        return format_html(
            '<span class="search-select">'
            '<input type="search" class="input-sm search-select-term" name="{}_term" '
            'placeholder="{}" aria-label="Search {}" autocomplete="off" '
            'hx-get="{}" hx-trigger="input changed delay:250ms, search" '
            'hx-target="#{}" hx-swap="innerHTML" hx-sync="this:replace">'
            '<select name="{}" id="{}"><option value="">{}</option>{}</select></span>',
            name,
            self.placeholder,
            field.label or name,
            self.search_url,
            select_id,
            name,
            select_id,
            empty,
            options,
        )


def option_list(rows, *, empty_label: str, label=str) -> str:
    """The <option>s a search endpoint answers with."""
    return format_html('<option value="">{}</option>', empty_label) + format_html_join(
        "", '<option value="{}">{}</option>', ((row.pk, label(row)) for row in rows)
    )
