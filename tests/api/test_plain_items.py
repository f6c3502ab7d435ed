"""The ingest fast path answers exactly what DRF would, or steps aside."""

import random

import pytest

from api.plain_items import plain_validated
from okrs.api.serializers import ReadingSerializer
from roadmap.api.serializers import EvidenceIngestSerializer

GOOD = {
    "source": "support",
    "text": "Export to CSV takes too long",
    "received_at": "2026-11-01T10:30:00+00:00",
    "external_id": "zd-1",
    "initiative": 3,
    "customer": 7,
    "importance": "critical",
}
ODD_VALUES = [
    None,
    "",
    " ",
    " padded ",
    "x" * 201,
    "x" * 20_001,
    "nul\x00",
    "surrogate \ud800",
    "Ünïcödé ✓",
    0,
    -1,
    1,
    2**40,
    True,
    1.0,
    "1",
    "12",
    [],
    {},
    "support",
    "critical",
    "2026-11-01T10:30:00",  # naive
    "2026-11-01T10:30:00+05:30",
    "2026-11-01 10:30Z",
    "2026-02-30T10:30:00Z",
    "yesterday",
    "9999-12-31T23:59:59-12:00",
]


def _drf(serializer_class, items):
    serializer = serializer_class(data=items, many=True)
    return serializer.validated_data if serializer.is_valid() else None


def _agree(serializer_class, items):
    fast = plain_validated(serializer_class, items, context={})
    if fast is not None:
        assert _drf(serializer_class, items) == fast, items
    return fast


def test_a_well_formed_batch_takes_the_fast_path_with_drfs_answer():
    rng = random.Random(7)
    items = [
        {
            **GOOD,
            "external_id": f"zd-{n}",
            "initiative": rng.randint(1, 10_000),
            "customer": rng.randint(1, 50_000),
        }
        for n in range(500)
    ]
    items[3] = {k: v for k, v in items[3].items() if k not in ("customer", "received_at")}
    items[4]["customer"] = None
    items[5] = {**items[5], "customer": None, "customer_external_id": "crm-9"}
    items[6]["external_id"] = ""
    fast = _agree(EvidenceIngestSerializer, items)
    assert fast is not None
    assert len(fast) == 500
    assert fast[0]["received_at"].isoformat() == "2026-11-01T10:30:00+00:00"
    assert "received_at" not in fast[3]


@pytest.mark.parametrize("field", list(EvidenceIngestSerializer().fields))
def test_every_odd_value_either_agrees_with_drf_or_goes_to_drf(field):
    for value in ODD_VALUES:
        _agree(EvidenceIngestSerializer, [{**GOOD, field: value}])
    missing = {k: v for k, v in GOOD.items() if k != field}
    _agree(EvidenceIngestSerializer, [missing])


def test_random_mixes_agree_with_drf():
    rng = random.Random(11)
    names = list(EvidenceIngestSerializer().fields)
    for _ in range(400):
        item = dict(GOOD)
        for name in rng.sample(names, rng.randint(1, 3)):
            item[name] = rng.choice(ODD_VALUES)
        _agree(EvidenceIngestSerializer, [GOOD, item])


@pytest.mark.parametrize(
    "items",
    [
        [GOOD, "not an object"],
        [GOOD, [GOOD]],
        [{**GOOD, "customer_external_id": "crm-1"}],  # customer named twice: validate() refuses
        [{**GOOD, "source": "carrier pigeon"}],
        [{**GOOD, "received_at": "2026-11-01T10:30:00"}],  # naive: DRF applies TIME_ZONE
    ],
)
def test_what_the_fast_path_cannot_vouch_for_goes_to_drf(items):
    assert plain_validated(EvidenceIngestSerializer, items, context={}) is None


def test_serializers_with_other_field_types_always_go_to_drf():
    reading = {"value": 1.5, "observed_at": "2026-11-01T10:30:00Z", "source": "api"}
    assert plain_validated(ReadingSerializer, [reading], context={}) is None
    assert _drf(ReadingSerializer, [reading]) is not None  # and DRF takes it
