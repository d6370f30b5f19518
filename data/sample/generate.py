"""Generate the shipped sample organisation (illustrative data) as an event file.

Run from the repository root:  python data/sample/generate.py
It writes data/sample/sample.jsonl. The output depends only on this script (fixed seed, fixed
clock), so running it twice gives the same file byte for byte.

This is a small demonstration organisation: a ministry, two military regions, three provinces
with their district commands, which are merged into regional defence commands on 14 June 2025
(basis 2786/QĐ-BQP), and QMS histories from 2014 on. The names follow the public structure; the
QMS histories are invented for illustration.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from isotrack.catalog import load_catalog, load_targets
from isotrack.eventfile import write_event_file
from isotrack.storage import Store
from isotrack.tracker import Tracker

SEED = 20230420
OUT = Path(__file__).resolve().parent / "sample.jsonl"
REORGANISATION = date(2025, 6, 14)
BASIS = "2786/QĐ-BQP"

STRUCTURE: list[tuple[str, str, str, str | None]] = [
    ("BQP", "Bộ Quốc phòng", "ministry", None),
    ("BTTM", "Bộ Tổng Tham mưu", "strategic-agency", "BQP"),
    ("TCCNQP", "Tổng cục Công nghiệp quốc phòng", "strategic-agency", "BQP"),
    ("TCCNQP-Z111", "Nhà máy Z111", "factory", "TCCNQP"),
    ("TCCNQP-Z113", "Nhà máy Z113", "factory", "TCCNQP"),
    ("TCCNQP-Z121", "Nhà máy Z121", "factory", "TCCNQP"),
    ("BDBP", "Bộ Tư lệnh Bộ đội Biên phòng", "command", "BQP"),
    ("HVQP", "Học viện Quốc phòng", "academy", "BQP"),
    ("BV108", "Bệnh viện Trung ương Quân đội 108", "hospital", "BQP"),
    ("QK2", "Quân khu 2", "military-region", "BQP"),
    ("QK4", "Quân khu 4", "military-region", "BQP"),
    ("QK2-LAOCAI", "Bộ Chỉ huy quân sự tỉnh Lào Cai", "provincial-command", "QK2"),
    ("QK2-YENBAI", "Bộ Chỉ huy quân sự tỉnh Yên Bái", "provincial-command", "QK2"),
    ("QK4-THANHHOA", "Bộ Chỉ huy quân sự tỉnh Thanh Hóa", "provincial-command", "QK4"),
]

DISTRICTS: dict[str, list[tuple[str, str]]] = {
    "QK2-LAOCAI": [
        ("BATHANG", "huyện Bảo Thắng"),
        ("BACHA", "huyện Bắc Hà"),
        ("SAPA", "thị xã Sa Pa"),
        ("BATXAT", "huyện Bát Xát"),
    ],
    "QK2-YENBAI": [
        ("VANYEN", "huyện Văn Yên"),
        ("LUCYEN", "huyện Lục Yên"),
        ("NGHIALO", "thị xã Nghĩa Lộ"),
    ],
    "QK4-THANHHOA": [
        ("SAMSON", "thành phố Sầm Sơn"),
        ("HOANGHOA", "huyện Hoằng Hóa"),
        ("QUANGXUONG", "huyện Quảng Xương"),
        ("NGASON", "huyện Nga Sơn"),
        ("HAULOC", "huyện Hậu Lộc"),
    ],
}


PROVINCE_NAMES = {"QK2-LAOCAI": "Lào Cai", "QK2-YENBAI": "Yên Bái", "QK4-THANHHOA": "Thanh Hóa"}


class _Clock:
    """A fixed, advancing clock and a seeded id source, so the file is reproducible."""

    def __init__(self) -> None:
        self.random = random.Random(SEED)
        self.moment = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)

    def new_id(self) -> str:
        return uuid.UUID(int=self.random.getrandbits(128), version=4).hex

    def tick(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment


def generate(out: Path = OUT) -> int:
    clock = _Clock()
    rng = random.Random(SEED + 1)
    catalog = load_catalog(None)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "sample.json")

        def tracker(command: str) -> Tracker:
            return Tracker(
                store,
                catalog,
                today=date(2025, 7, 1),
                now=clock.tick(),
                command=f"isotrack {command}",
                id_factory=clock.new_id,
            )

        founded = date(2010, 1, 1)
        for code, name, kind, parent in STRUCTURE:
            tracker(f"unit add {code}").add_unit(
                code, name=name, kind=kind, parent=parent, on=founded, dry_run=False
            )
        for province, districts in DISTRICTS.items():
            short = province.split("-")[1]
            for code, place in districts:
                tracker(f"unit add {short}-{code}").add_unit(
                    f"{short}-{code}",
                    name=f"Ban Chỉ huy quân sự {place}",
                    kind="district-command",
                    parent=province,
                    on=founded,
                    dry_run=False,
                )

        qms_units = [code for code, _, kind, _ in STRUCTURE if kind != "ministry"]
        qms_units += [f"{p.split('-')[1]}-{c}" for p, ds in DISTRICTS.items() for c, _ in ds]
        for code in qms_units:
            if rng.random() < 0.25:
                continue  # no QMS yet
            start = date(2014 + rng.randrange(0, 9), rng.randrange(1, 13), 1)
            edition = "2008" if start.year < 2018 else "2015"
            consultant = rng.random() < 0.3
            steps = [
                ("planned", start),
                ("building", start + timedelta(days=120)),
                ("applying", start + timedelta(days=300)),
            ]
            if rng.random() < 0.6:
                steps.append(("announced", start + timedelta(days=420)))
            for stage, when in steps:
                if when >= REORGANISATION:
                    break
                tracker(f"qms stage {code} {stage}").set_stage(
                    code,
                    stage,
                    edition=edition if stage == "building" else None,
                    consultant="Trung tâm Tư vấn ISO"
                    if consultant and stage == "building"
                    else None,
                    no_consultant=not consultant and stage == "building",
                    model=None,
                    decision=f"{rng.randrange(10, 99)}/QĐ-{code.split('-')[0]}"
                    if stage == "announced"
                    else None,
                    on=when,
                    dry_run=False,
                )
                if stage == "applying":
                    tracker(f"procedures set {code}").set_procedures(
                        code,
                        {
                            "tthc": rng.randrange(0, 12),
                            "internal": rng.randrange(8, 40),
                            "product": rng.randrange(5, 30) if code.startswith("TCCNQP-") else None,
                        },
                        on=when,
                        dry_run=False,
                    )
            if edition == "2008" and steps[-1][1] < date(2021, 6, 30):
                moved = date(2019 + rng.randrange(0, 2), rng.randrange(1, 13), 15)
                tracker(f"qms edition {code} 2015").set_edition(
                    code, "2015", on=max(moved, steps[-1][1] + timedelta(days=1)), dry_run=False
                )

        # 14 June 2025: district commands merged many-to-one into regional defence commands.
        for province, districts in DISTRICTS.items():
            short = province.split("-")[1]
            codes = [f"{short}-{code}" for code, _ in districts]
            groups = [codes[: len(codes) // 2 + 1], codes[len(codes) // 2 + 1 :]]
            for number, group in enumerate(groups, start=1):
                target = f"{short}-PTKV{number}"
                tracker(f"unit merge {' '.join(group)} --into {target}").merge_units(
                    group,
                    into=target,
                    basis=BASIS,
                    name=f"Ban Chỉ huy Phòng thủ khu vực {number} - {PROVINCE_NAMES[province]}",
                    kind="regional-defence-command",
                    on=REORGANISATION,
                    dry_run=False,
                )

        # The Ministry's targets of April 2023, as `isotrack target install` adds them.
        tracker("target install").install_targets(load_targets(None), None, dry_run=False)

        snapshot = store.load()
        events: list[dict[str, Any]] = snapshot.table("events")
        changesets: list[dict[str, Any]] = [
            {**record, "sample": True} for record in snapshot.table("changesets")
        ]
    write_event_file(out, events, changesets)
    return len(events)


if __name__ == "__main__":
    count = generate()
    print(f"wrote {OUT} ({count} events)")
