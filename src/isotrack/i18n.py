"""Labels in Vietnamese and English. Kinds' labels live in the kinds catalog (data/kinds.toml)."""

from __future__ import annotations

import locale
import os

LANGS = ("vi", "en")

_LABELS: dict[str, tuple[str, str]] = {
    # key: (vi, en)
    "stage.none": ("chưa triển khai", "none"),
    "stage.planned": ("lập kế hoạch", "planned"),
    "stage.building": ("đang xây dựng", "building"),
    "stage.applying": ("đang áp dụng", "applying"),
    "stage.announced": ("đã công bố", "announced"),
    "stage.lapsed": ("ngừng duy trì", "lapsed"),
    "end.merged": ("sáp nhập vào", "merged into"),
    "end.split": ("chia tách thành", "split into"),
    "end.dissolved": ("giải thể", "dissolved"),
    "from.merged": ("sáp nhập từ", "merged from"),
    "from.split": ("tách ra từ", "split from"),
    "from.dissolved": ("kế thừa từ", "successor of"),
    "audit.internal": ("đánh giá nội bộ", "internal audit"),
    "audit.review": ("xem xét của lãnh đạo", "management review"),
    "audit.inspection": ("kiểm tra", "inspection"),
    "proc.tthc": ("thủ tục hành chính", "administrative procedures"),
    "proc.internal": ("nội bộ", "internal"),
    "proc.product": ("chất lượng sản phẩm", "product quality"),
    "proc.total": ("tổng", "total"),
    "col.code": ("Mã", "Code"),
    "col.name": ("Tên đơn vị", "Name"),
    "col.kind": ("Loại", "Kind"),
    "col.parent": ("Cấp trên", "Parent"),
    "col.stage": ("Giai đoạn", "Stage"),
    "col.edition": ("Phiên bản", "Edition"),
    "col.procedures": ("Quy trình", "Procedures"),
    "col.status": ("Tình trạng", "Status"),
    "card.identity": ("Đơn vị", "Unit"),
    "card.founded": ("Thành lập", "Founded"),
    "card.ended": ("Kết thúc", "Ended"),
    "card.live": ("đang hoạt động", "active"),
    "card.lineage": ("Kế thừa", "Lineage"),
    "card.qms": ("Hệ thống quản lý chất lượng", "Quality management system"),
    "card.consultant": ("Tư vấn", "Consultant"),
    "card.no_consultant": ("tự xây dựng, không thuê tư vấn", "built without a consultant"),
    "card.model": ("Mô hình khung", "Framework model"),
    "card.decision": ("Quyết định công bố", "Announcement decision"),
    "card.scope": ("Phạm vi", "Scope"),
    "card.audits": ("Đánh giá", "Audits"),
    "card.timeline": ("Diễn biến", "Timeline"),
    "card.as_of": ("tính đến ngày", "as of"),
    "card.since": ("từ", "since"),
    "card.basis": ("căn cứ", "basis"),
    "card.findings": ("phát hiện", "findings"),
    "card.children": ("Đơn vị trực thuộc", "Sub-units"),
    "list.count": ("đơn vị", "units"),
    "none": ("—", "—"),
}


def t(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang`` (the key itself when there is none)."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "vi" else pair[1]


def stage_label(stage: str, lang: str) -> str:
    return t(f"stage.{stage}", lang)


def default_lang() -> str:
    """Vietnamese when the user's locale is Vietnamese, English otherwise."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    current = locale.getlocale()[0] or ""
    return "vi" if current.lower().startswith("vi") else "en"
