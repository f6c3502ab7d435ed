"""CSV files uploaded in the browser, kept between the import's steps.

A file is stored under a random token in the `csv_imports` storage, and the
token is remembered in the uploader's session: another account (or another
session) cannot reach it. Files are deleted once imported, and any older
than a day at the next upload.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.storage import storages
from django.utils import timezone

SESSION_KEY = "csv_imports"
KEEP = timedelta(days=1)
FOLDER = "uploads"


def _storage():
    return storages["csv_imports"]


@dataclass(frozen=True)
class StoredUpload:
    token: str
    kind: str
    name: str
    size: int

    @property
    def path(self) -> str:
        return f"{FOLDER}/{self.token}.csv"

    def open(self):
        return _storage().open(self.path, "rb")

    def delete(self, request) -> None:
        _storage().delete(self.path)
        uploads = dict(request.session.get(SESSION_KEY, {}))
        uploads.pop(self.token, None)
        request.session[SESSION_KEY] = uploads


def _sweep() -> None:
    storage = _storage()
    try:
        _, files = storage.listdir(FOLDER)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - KEEP
    for name in files:
        path = f"{FOLDER}/{name}"
        try:
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
        except FileNotFoundError:  # another process swept it
            continue


def save_upload(request, kind: str, upload) -> StoredUpload:
    _sweep()
    token = secrets.token_urlsafe(18)
    stored = StoredUpload(token=token, kind=kind, name=upload.name[:200], size=upload.size)
    _storage().save(stored.path, upload)
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads[token] = {"kind": kind, "name": stored.name, "size": stored.size}
    request.session[SESSION_KEY] = uploads
    return stored


class UploadGone(LookupError):
    """No upload of this session under this token (unknown, another's, imported or swept)."""


def get_upload(request, kind: str, token: str) -> StoredUpload:
    meta = request.session.get(SESSION_KEY, {}).get(token)
    if not meta or meta["kind"] != kind:
        raise UploadGone(token)
    stored = StoredUpload(token=token, kind=kind, name=meta["name"], size=meta["size"])
    if not _storage().exists(stored.path):
        raise UploadGone(token)
    return stored
