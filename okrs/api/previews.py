"""`?preview=1` on objective and key-result PUT/PATCH: the ranking the edit would give.

The edit is validated exactly as a save would be (same serializer, same
permission, same 400s); then, instead of saving, the answer is the preview
(okrs.previews asks the roadmap's registered previewer). Nothing is written.
"""

from __future__ import annotations

from rest_framework.exceptions import APIException
from rest_framework.response import Response

from okrs import previews


def wants_preview(request) -> bool:
    return request.query_params.get("preview") in ("1", "true")


class PreviewUnavailable(APIException):
    status_code = 503
    default_detail = "Previews are not available."


class PreviewUpdateMixin:
    """PUT/PATCH with `?preview=1`: subclasses implement `preview_edit(instance, data)`."""

    def update(self, request, *args, **kwargs):
        if not wants_preview(request):
            return super().update(request, *args, **kwargs)
        instance = self.get_object()
        serializer = self.get_serializer(
            instance, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        try:
            return Response(self.preview_edit(instance, data))
        except previews.PreviewUnavailable as exc:
            raise PreviewUnavailable(str(exc)) from exc
