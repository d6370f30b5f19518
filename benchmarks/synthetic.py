"""Synthetic databases for benchmarks: a realistic shape at any scale, written in one write.

The organisation: a ministry, military regions, provinces, districts (merged into regional
defence commands on 2025-06-14), communes, each with a QMS history (stages, editions, procedure
counts, audits) spread from 2014 on. Deterministic for a given size.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from isotrack import events as ev
from isotrack.events import Changeset, Draft, stamp
from isotrack.storage import Store

REORGANISATION = date(2025, 6, 14)


def build(path: Path, units: int, events: int, seed: int = 1) -> tuple[int, int]:
    """Write a database of about ``units`` units and ``events`` events to ``path``."""
    rng = random.Random(seed)
    drafts: list[Draft] = []
    founded = date(2010, 1, 1)

    def add(code: str, name: str, kind: str, parent: str | None) -> None:
        drafts.append(
            Draft(code, ev.FOUNDED, founded, {"name": name, "kind": kind, "parent": parent})
        )

    add("BQP", "Bộ Quốc phòng", "ministry", None)
    codes: list[str] = []
    regions = max(1, units // 300)
    provinces_per_region = 6
    districts_per_province = max(
        1, (units - regions * (1 + provinces_per_region)) // (regions * provinces_per_region) // 2
    )
    districts: dict[str, list[str]] = {}
    for r in range(regions):
        region = f"QK{r + 1}"
        add(region, f"Quân khu {r + 1}", "military-region", "BQP")
        codes.append(region)
        for p in range(provinces_per_region):
            province = f"{region}-P{p + 1}"
            add(province, f"Bộ CHQS tỉnh số {p + 1} Quân khu {r + 1}", "provincial-command", region)
            codes.append(province)
            districts[province] = []
            for d in range(districts_per_province):
                district = f"{province}-D{d + 1}"
                add(
                    district,
                    f"Ban CHQS huyện {d + 1} tỉnh {p + 1} QK{r + 1}",
                    "district-command",
                    province,
                )
                codes.append(district)
                districts[province].append(district)
                if len(codes) >= units:
                    break
    commune_count = max(0, units - len(codes) - 1)
    all_districts = [d for ds in districts.values() for d in ds]
    communes: dict[str, list[str]] = {}  # district -> its communes
    for c in range(commune_count):
        parent = all_districts[c % len(all_districts)]
        code = f"{parent}-X{c // len(all_districts) + 1}"
        add(code, f"Ban CHQS xã {c + 1}", "commune-command", parent)
        codes.append(code)
        communes.setdefault(parent, []).append(code)

    per_unit = max(1, (events - len(drafts)) // max(1, len(codes)))
    for code in codes:
        is_district = "-D" in code and "-X" not in code
        start = date(2014 + rng.randrange(0, 8), rng.randrange(1, 13), 1)
        stage_steps = [("planned", 0), ("building", 120), ("applying", 300), ("announced", 420)]
        day = start
        written = 0
        for stage, offset in stage_steps:
            day = start + timedelta(days=offset)
            if is_district and day >= REORGANISATION:
                break
            data: dict[str, Any] = {"stage": stage}
            if stage == "building":
                data["edition"] = "2008" if day.year < 2018 else "2015"
                data["consultant"] = "" if rng.random() < 0.7 else "Trung tâm Tư vấn"
            drafts.append(Draft(code, ev.STAGE, day, data))
            written += 1
        month = 0
        while written < per_unit:
            month += 1
            when = start + timedelta(days=30 * month)
            if is_district and when >= REORGANISATION:
                break
            if month % 6 == 0:
                drafts.append(Draft(code, ev.AUDIT, when, {"kind": "internal", "findings": 2}))
            else:
                drafts.append(
                    Draft(
                        code,
                        ev.PROCEDURES,
                        when,
                        {"internal": rng.randrange(5, 60), "tthc": rng.randrange(0, 9)},
                    )
                )
            written += 1

    for province, members in districts.items():
        for index in range(0, len(members), 4):
            group = members[index : index + 4]
            regional = f"{province}-R{index // 4 + 1}"
            drafts.append(
                Draft(
                    regional,
                    ev.FOUNDED,
                    REORGANISATION,
                    {
                        "name": f"Ban CHPTKV {index // 4 + 1} {province}",
                        "kind": "regional-defence-command",
                        "parent": province,
                    },
                )
            )
            for member in group:
                for child in communes.get(member, ()):
                    drafts.append(Draft(child, ev.MOVED, REORGANISATION, {"parent": regional}))
                drafts.append(
                    Draft(
                        member,
                        ev.MERGED,
                        REORGANISATION,
                        {"into": regional, "basis": "2786/QĐ-BQP"},
                    )
                )

    counter = iter(range(10**9))
    stamped = stamp(
        drafts,
        changeset="bench",
        recorded=datetime(2026, 1, 1, tzinfo=UTC),
        ids=lambda: f"{next(counter):032x}",
    )
    changeset = Changeset("bench", "2026-01-01T00:00:00.000000+00:00", "benchmark", len(stamped))
    store = Store(path)
    with store.transaction() as tx:
        tx.insert("events", [e.to_record() for e in stamped])
        tx.insert("changesets", [changeset.to_record()])
    return len(codes) + 1, len(stamped)
