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
    "status.met": ("đã đạt", "met"),
    "status.on-track": ("đúng tiến độ", "on track"),
    "status.at-risk": ("có nguy cơ chậm", "at risk"),
    "status.behind": ("chậm tiến độ", "behind"),
    "status.missed": ("không đạt", "missed"),
    "target.name": ("Chỉ tiêu", "Target"),
    "target.covered": ("Đạt", "Covered"),
    "target.population": ("Tổng số", "Population"),
    "target.share": ("Tỷ lệ", "Share"),
    "target.required": ("Yêu cầu", "Required"),
    "target.deadline": ("Thời hạn", "Deadline"),
    "target.pace_needed": ("Cần/năm", "Needed/yr"),
    "target.pace_observed": ("12 tháng qua", "Last 12 mo"),
    "target.projected": ("Dự kiến đạt", "Projected"),
    "target.missing": ("Đơn vị chưa đạt", "Units still missing"),
    "target.source": ("Nguồn", "Source"),
    "target.requirement": ("Yêu cầu", "Requirement"),
    "target.policy": ("Kế thừa", "Successors"),
    "target.population_def": ("Đối tượng", "Population"),
    "target.none": (
        "Chưa có chỉ tiêu nào (isotrack target add ...)",
        "No targets yet (isotrack target add ...)",
    ),
    "report.title": ("Báo cáo tình hình áp dụng TCVN ISO 9001", "TCVN ISO 9001 adoption report"),
    "report.as_of": ("Tính đến ngày", "As of"),
    "report.hash": ("Mã băm dữ liệu", "Database content hash"),
    "report.command": ("Lệnh tạo lại báo cáo", "Command to make this report again"),
    "report.illustrative": (
        "DỮ LIỆU MINH HỌA: báo cáo này lập từ bộ dữ liệu mẫu, không phải số liệu thật.",
        "ILLUSTRATIVE DATA: this report is made from the shipped sample, not real figures.",
    ),
    "report.totals": ("Tổng hợp", "Totals"),
    "report.units": ("Số đơn vị", "Units"),
    "report.by_stage": ("Theo giai đoạn", "By stage"),
    "report.by_edition": ("Theo phiên bản", "By edition"),
    "report.procedures": ("Quy trình", "Procedures"),
    "report.targets": ("Chỉ tiêu", "Targets"),
    "report.chart": ("Tỷ lệ đạt theo thời gian", "Coverage over time"),
    "report.tree": ("Theo tổ chức", "By organisation"),
    "report.with_qms": ("Có HTQLCL (áp dụng trở lên)", "With a QMS (applying or beyond)"),
    "report.period": ("Biến động trong kỳ", "Changes in the period"),
    "report.reached": ("Đạt giai đoạn", "Reached stage"),
    "report.editions": ("Chuyển đổi phiên bản", "Edition transitions"),
    "report.procedures_added": ("Quy trình tăng thêm", "Procedures added"),
    "report.founded": ("Thành lập", "Founded"),
    "report.ended": ("Sáp nhập, chia tách, giải thể", "Merged, split or dissolved"),
    "report.under": ("Phạm vi", "Scope"),
    "report.no_edition": ("chưa xác định", "not set"),
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
