"""Coverage of targets as text and JSON (the shape of product.md's ``check --json``)."""

from __future__ import annotations

from typing import Any

from isotrack.coverage import Coverage, Target
from isotrack.i18n import stage_label

BAR_WIDTH = 20


def successor_note(c: Coverage, lang: str) -> str:
    """What the successor policy did to the population, in words."""
    lineage, vi = c.count.lineage, lang == "vi"
    reach = stage_label(c.target.reach, lang)
    if lineage.policy == "follow":
        if not lineage.replaced and not lineage.dropped:
            return (
                "Theo dõi kế thừa: chưa có đơn vị nào trong diện bị sáp nhập, chia tách hay "
                "giải thể."
                if vi
                else "Successors followed: no counted unit has been merged, split or dissolved."
            )
        parts = []
        if lineage.replaced:
            heirs = short_list(lineage.successors)
            ended, counted = len(lineage.replaced), len(lineage.successors)
            if vi:
                parts.append(
                    f"{ended} đơn vị trong diện đã kết thúc; {counted} đơn vị kế thừa được tính "
                    f"thay ({heirs}). HTQLCL không tự chuyển sang đơn vị kế thừa: đơn vị kế "
                    f"thừa chỉ được tính là đạt khi chính nó có HTQLCL ở giai đoạn '{reach}' "
                    "trở lên (ghi nhận bằng 'isotrack qms stage')."
                )
            else:
                parts.append(
                    f"{ended} counted units ended; {counted} successor units are counted in "
                    f"their place ({heirs}). A QMS does not carry over: a successor counts as "
                    f"covered only once its own QMS is recorded at '{reach}' or beyond (record "
                    "it with 'isotrack qms stage')."
                )
        if lineage.dropped:
            parts.append(
                f"{len(lineage.dropped)} đơn vị kết thúc không có đơn vị kế thừa, không còn tính."
                if vi
                else f"{len(lineage.dropped)} counted units ended without a successor and left the "
                "population."
            )
        return " ".join(parts)
    if lineage.policy == "freeze":
        on = c.target.frozen_on
        return (
            f"Giữ nguyên danh sách đơn vị như ngày {on}; {len(lineage.kept)} đơn vị đã kết "
            "thúc vẫn được tính với HTQLCL như lúc kết thúc."
            if vi
            else f"Population frozen as on {on}; {len(lineage.kept)} of its units have since ended "
            "and are counted with the QMS they had then."
        )
    return (
        f"Đơn vị kết thúc thì không còn tính: {len(lineage.dropped)} đơn vị."
        if vi
        else f"Units that ended leave the population: {len(lineage.dropped)} did."
    )


def short_list(codes: tuple[str, ...] | list[str], limit: int = 12) -> str:
    """Codes joined by commas, the list cut after ``limit`` with the number left out."""
    shown = ", ".join(codes[:limit])
    return shown + (f" … +{len(codes) - limit}" if len(codes) > limit else "")


def requirement(target: Target, lang: str) -> str:
    vi = lang == "vi"
    text = (
        ("giai đoạn " if vi else "stage ")
        + stage_label(target.reach, lang)
        + (" trở lên" if vi else " or beyond")
    )
    if target.edition:
        text += f", ISO 9001:{target.edition}" + (" trở lên" if vi else " or later")
    if target.no_consultant:
        text += ", không thuê tư vấn" if vi else ", without a consultant"
    return text


def population_text(target: Target, lang: str, kind_labels: dict[str, str] | None = None) -> str:
    """The population in words; ``kind_labels`` maps kind codes to labels in ``lang``."""
    vi = lang == "vi"
    labels = kind_labels or {}
    if target.codes:
        what = ", ".join(target.codes)
    elif target.kinds:
        what = ", ".join(labels.get(k, k) for k in target.kinds)
    else:
        what = "mọi đơn vị" if vi else "all units"
    if target.under:
        what += (" thuộc " if vi else " under ") + target.under
    if target.with_stage:
        what += (" có HTQLCL từ giai đoạn " if vi else " whose QMS reached ") + stage_label(
            target.with_stage, lang
        )
    return what


def coverage_json(c: Coverage, lang: str) -> dict[str, Any]:
    target = c.target
    return {
        "name": target.name,
        "population": c.population,
        "covered": c.covered,
        "share": round(c.share, 4),
        "required_share": target.share,
        "deadline": target.deadline,
        "status": c.status,
        "pace_needed_per_year": c.pace_needed_per_year,
        "pace_observed_per_year": c.pace_observed_per_year,
        "pace_since_start_per_year": c.pace_since_start_per_year,
        "projected": c.projected,
        "missing": c.missing,
        "successor_note": successor_note(c, lang),
        "successors": {
            "policy": c.count.lineage.policy,
            "replaced": list(c.count.lineage.replaced),
            "counted_instead": list(c.count.lineage.successors),
            "dropped": list(c.count.lineage.dropped),
            "kept_after_end": list(c.count.lineage.kept),
        },
        "target": target.to_data(),
    }


def bar(share: float, required: float, width: int = BAR_WIDTH) -> str:
    """A text progress bar with a mark at the required share: ``[#####.....|...]``."""
    filled = round(min(max(share, 0.0), 1.0) * width)
    cells = ["#" if i < filled else "." for i in range(width)]
    mark = min(width - 1, round(required * width) - 1) if required < 1 else None
    if mark is not None and mark >= 0 and cells[mark] == ".":
        cells[mark] = "|"
    return "[" + "".join(cells) + "]"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"
