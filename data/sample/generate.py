"""Generate the shipped sample organisation (illustrative data) as an event file.

Run from the repository root:  python data/sample/generate.py
It writes data/sample/sample.jsonl, then folds what it wrote, refuses to finish if the fold finds
any error, and prints the calibration figures. The output depends only on this script (fixed
seed, fixed recorded times, seeded ids), so every run gives the same file byte for byte.

What is real, and what is not
-----------------------------
The structure follows the public organisation of the Ministry of National Defence (see
../shared/domain.md): the Ministry and its agencies; the General Staff and the general
departments (the General Department of Defence Industry with its factories, institutes and
corporations); the military regions 1-5, 7 and 9 and the Capital Command; services, arms,
commands and corps; academies, schools, hospitals, institutes and enterprises; the provincial
military commands; the district military commands; the provincial Border Guard commands.

- Provinces: the 63 provinces as they stood before 1 July 2025, each under its military region;
  Hà Nội's provincial-level command is the Capital Command (Bộ Tư lệnh Thủ đô Hà Nội, kind
  ``provincial-command``, directly under the Ministry) and Hồ Chí Minh City's is the Bộ Tư lệnh
  Thành phố Hồ Chí Minh (under Military Region 7). On 2025-07-01 they merge into 34 as the 2025
  reorganisation of provinces did (the commands of absorbed provinces merge into the command of
  the province whose name the new province keeps). Hòa Bình (Military Region 3) joins Phú Thọ
  (Military Region 2) and Đắk Nông (Military Region 5) joins Lâm Đồng (Military Region 7), so
  their commands change military region with the merger: an assumption, as is the region of each
  new province.
- Districts: the 696 district-level units of the national list of administrative units as it
  stood in early 2025 (Thừa Thiên Huế's already as the city of Huế's), shown as existing
  throughout 2014-2025: the district mergers of 2019-2025 are not modelled. Where two
  provinces have a district of the same name, its command's name says the province. Every
  district command is merged into a regional defence command on 2025-06-14 (basis
  2786/QĐ-BQP). How the 696 became 145 is published only in part (Thanh Hóa 26 -> 5; Military
  Region 4 85 -> 21); the rest is a plausible grouping: neighbours in the list's order, about
  five districts each, at least one regional command per old province. Regional commands are
  numbered within the new (34) province and named after the first city or town of their group
  ("Ban Chỉ huy Phòng thủ khu vực 3 - Ngọc Lặc" is the published style); from 2025-06-14 to
  2025-07-01 each sits under the command of the old province its districts were in.
- Border Guard: the 44 provinces with a land border or a coast had a provincial Border Guard
  command under the Border Guard Command; on 2025-07-01 those of a merged province merge (into
  the surviving province's, or into a new one when only absorbed provinces had one), move under
  the new provincial military command and take the name Ban Chỉ huy Bộ đội Biên phòng tỉnh ...
- Other changes: Corps 1 and 2 merged into Corps 12 (6012/QĐ-BQP, 2023-11-21); Corps 3 and 4
  into Corps 34 (5989/QĐ-BQP, 2024-12-10); the General Departments of Logistics and of
  Technology into the General Department of Logistics and Technology (366/QĐ-BQP, dated here
  2025-03-01); Thừa Thiên Huế renamed Huế on 2025-01-01.
- The lists of agencies, departments, factories, schools, hospitals and enterprises are a
  plausible subset of the real ones; names are Vietnamese (NFC). Codes are stable and ASCII:
  ``QK2-LAOCAI`` (provincial command), ``LAOCAI-BAOTHANG`` (district command),
  ``LAOCAI-PTKV1`` (regional defence command, numbered in the new province), ``BP-LAOCAI``
  (Border Guard), ``TCCNQP-Z111`` (factory), ``BTLTD`` (Capital Command).

Everything about QMS (stages, dates, editions, consultants, framework models, decision
numbers, procedure counts, audits) is invented, the consultants' names say so ("minh họa"), and
the changesets are dated as an office would have entered them (a yearly import each January);
the histories are calibrated so that isotrack's own report reproduces the published
figures (checked at the end of ``generate``):

- Ministry-wide on 2023-04-20: 280-300 units applying or announced; 11,000-11,300 procedures.
- General Department of Defence Industry on 2020-12-15: every unit with a QMS on :2015; 26
  announced; 531 procedures, 251 of them product quality.
- Border Guard on 2023-04-20: 84 administrative-procedure (tthc) procedures.
- Military Region 2 on 2024-06-30: every provincial command with a QMS on :2015, and exactly 27
  district commands building or applying :2015.
- No unit on :2008 after 2021-06-30; the 2015 edition for every first-time adopter from 2018.
- Regional defence commands start their QMS from the second half of 2025.

The Ministry's three targets of 20 April 2023 (data/targets.toml) are installed as
``isotrack target install`` would install them. Every changeset is flagged ``sample``, so every
report made from the sample says the data is illustrative.
"""

from __future__ import annotations

import random
import tempfile
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from isotrack import events as ev
from isotrack.catalog import load_catalog, load_targets
from isotrack.eventfile import write_event_file
from isotrack.events import Changeset, Draft, Event, stamp
from isotrack.report import totals
from isotrack.storage import Store
from isotrack.text import fold, name_key
from isotrack.timeline import Registry
from isotrack.timeline import fold as fold_events
from isotrack.tracker import Tracker

SEED = 20230420
OUT = Path(__file__).resolve().parent / "sample.jsonl"

START = date(2014, 1, 1)  # the sample's first day: the units that existed then are founded on it
END = date(2026, 10, 31)  # nothing happens after this day
DEADLINE_2015 = date(2021, 6, 30)  # every :2008 QMS has moved to :2015 by then
EDITION_2015_FROM = date(2016, 1, 1)  # TCVN ISO 9001:2015 published 2015-12-31
EDITION_2015_ONLY = date(2018, 2, 21)  # letter 419/BKHCN-TĐC: first-time adopters use :2015
DISTRICTS_END = date(2025, 6, 14)  # 2786/QĐ-BQP
PROVINCES_MERGE = date(2025, 7, 1)
BASIS_DISTRICTS = "2786/QĐ-BQP"
BASIS_PROVINCES = "Nghị quyết 202/2025/QH15"

# The published figures the sample reproduces (see the module docstring).
MINISTRY_DAY = date(2023, 4, 20)
MINISTRY_PROCEDURES = 11_260
DEFENCE_INDUSTRY_DAY = date(2020, 12, 15)
DEFENCE_INDUSTRY_ANNOUNCED = 26
DEFENCE_INDUSTRY_PROCEDURES = 531
DEFENCE_INDUSTRY_PRODUCT = 251
BORDER_GUARD_TTHC = 84
MR2_DAY = date(2024, 6, 30)
MR2_DISTRICTS = 27
REGIONAL_COMMANDS = 145

CONSULTANTS = (
    "Trung tâm Tư vấn Quản lý chất lượng (minh họa)",
    "Công ty Tư vấn ISO Thăng Long (minh họa)",
    "Công ty Tư vấn Năng suất Chất lượng Phương Nam (minh họa)",
)
MODELS = {
    "agency": "Mô hình khung HTQLCL cơ quan, đơn vị (BQP)",
    "province": "Mô hình khung HTQLCL Bộ CHQS tỉnh (BQP)",
    "district": "Mô hình khung HTQLCL Ban CHQS cấp huyện (BQP)",
    "border": "Mô hình khung HTQLCL BĐBP tỉnh (BQP)",
}
MODELS_FROM = date(2020, 1, 1)  # the Ministry's framework models, used by units built after

# --------------------------------------------------------------------------------------------
# Provinces: code, name, military region (or BTLTD), city?, Border Guard command?, merged into
# on 2025-07-01 (None: the province keeps its name and absorbs others, or is unchanged).

PROVINCES: list[tuple[str, str, str, bool, bool, str | None]] = [
    ("HANOI", "Hà Nội", "BTLTD", True, False, None),
    ("HAGIANG", "Hà Giang", "QK2", False, True, "TUYENQUANG"),
    ("CAOBANG", "Cao Bằng", "QK1", False, True, None),
    ("BACKAN", "Bắc Kạn", "QK1", False, False, "THAINGUYEN"),
    ("TUYENQUANG", "Tuyên Quang", "QK2", False, False, None),
    ("LAOCAI", "Lào Cai", "QK2", False, True, None),
    ("DIENBIEN", "Điện Biên", "QK2", False, True, None),
    ("LAICHAU", "Lai Châu", "QK2", False, True, None),
    ("SONLA", "Sơn La", "QK2", False, True, None),
    ("YENBAI", "Yên Bái", "QK2", False, False, "LAOCAI"),
    ("HOABINH", "Hòa Bình", "QK3", False, False, "PHUTHO"),
    ("THAINGUYEN", "Thái Nguyên", "QK1", False, False, None),
    ("LANGSON", "Lạng Sơn", "QK1", False, True, None),
    ("QUANGNINH", "Quảng Ninh", "QK3", False, True, None),
    ("BACGIANG", "Bắc Giang", "QK1", False, False, "BACNINH"),
    ("PHUTHO", "Phú Thọ", "QK2", False, False, None),
    ("VINHPHUC", "Vĩnh Phúc", "QK2", False, False, "PHUTHO"),
    ("BACNINH", "Bắc Ninh", "QK1", False, False, None),
    ("HAIDUONG", "Hải Dương", "QK3", False, False, "HAIPHONG"),
    ("HAIPHONG", "Hải Phòng", "QK3", True, True, None),
    ("HUNGYEN", "Hưng Yên", "QK3", False, False, None),
    ("THAIBINH", "Thái Bình", "QK3", False, True, "HUNGYEN"),
    ("HANAM", "Hà Nam", "QK3", False, False, "NINHBINH"),
    ("NAMDINH", "Nam Định", "QK3", False, True, "NINHBINH"),
    ("NINHBINH", "Ninh Bình", "QK3", False, True, None),
    ("THANHHOA", "Thanh Hóa", "QK4", False, True, None),
    ("NGHEAN", "Nghệ An", "QK4", False, True, None),
    ("HATINH", "Hà Tĩnh", "QK4", False, True, None),
    ("QUANGBINH", "Quảng Bình", "QK4", False, True, "QUANGTRI"),
    ("QUANGTRI", "Quảng Trị", "QK4", False, True, None),
    ("HUE", "Thừa Thiên Huế", "QK4", False, True, None),
    ("DANANG", "Đà Nẵng", "QK5", True, True, None),
    ("QUANGNAM", "Quảng Nam", "QK5", False, True, "DANANG"),
    ("QUANGNGAI", "Quảng Ngãi", "QK5", False, True, None),
    ("BINHDINH", "Bình Định", "QK5", False, True, "GIALAI"),
    ("PHUYEN", "Phú Yên", "QK5", False, True, "DAKLAK"),
    ("KHANHHOA", "Khánh Hòa", "QK5", False, True, None),
    ("NINHTHUAN", "Ninh Thuận", "QK5", False, True, "KHANHHOA"),
    ("BINHTHUAN", "Bình Thuận", "QK7", False, True, "LAMDONG"),
    ("KONTUM", "Kon Tum", "QK5", False, True, "QUANGNGAI"),
    ("GIALAI", "Gia Lai", "QK5", False, True, None),
    ("DAKLAK", "Đắk Lắk", "QK5", False, True, None),
    ("DAKNONG", "Đắk Nông", "QK5", False, True, "LAMDONG"),
    ("LAMDONG", "Lâm Đồng", "QK7", False, False, None),
    ("BINHPHUOC", "Bình Phước", "QK7", False, True, "DONGNAI"),
    ("TAYNINH", "Tây Ninh", "QK7", False, True, None),
    ("BINHDUONG", "Bình Dương", "QK7", False, False, "HCM"),
    ("DONGNAI", "Đồng Nai", "QK7", False, False, None),
    ("BRVT", "Bà Rịa - Vũng Tàu", "QK7", False, True, "HCM"),
    ("HCM", "Hồ Chí Minh", "QK7", True, True, None),
    ("LONGAN", "Long An", "QK7", False, True, "TAYNINH"),
    ("TIENGIANG", "Tiền Giang", "QK9", False, True, "DONGTHAP"),
    ("BENTRE", "Bến Tre", "QK9", False, True, "VINHLONG"),
    ("TRAVINH", "Trà Vinh", "QK9", False, True, "VINHLONG"),
    ("VINHLONG", "Vĩnh Long", "QK9", False, False, None),
    ("DONGTHAP", "Đồng Tháp", "QK9", False, True, None),
    ("ANGIANG", "An Giang", "QK9", False, True, None),
    ("KIENGIANG", "Kiên Giang", "QK9", False, True, "ANGIANG"),
    ("CANTHO", "Cần Thơ", "QK9", True, False, None),
    ("HAUGIANG", "Hậu Giang", "QK9", False, False, "CANTHO"),
    ("SOCTRANG", "Sóc Trăng", "QK9", False, True, "CANTHO"),
    ("BACLIEU", "Bạc Liêu", "QK9", False, True, "CAMAU"),
    ("CAMAU", "Cà Mau", "QK9", False, True, None),
]

# Regional defence commands per province in Military Region 4: Thanh Hóa's 5 and the region's
# 21 were published, the split of the other 16 is assumed. The other provinces share the rest in
# proportion to their districts (see ``regional_counts``).
FIXED_REGIONAL = {
    "THANHHOA": 5,
    "NGHEAN": 5,
    "HATINH": 3,
    "QUANGBINH": 2,
    "QUANGTRI": 3,
    "HUE": 3,
}

# District-level units as listed in the public register in early 2025, in its order. "TP":
# thành phố, "TX": thị xã, "Q": quận; no prefix: huyện.
DISTRICTS_TEXT = """
HANOI: Q Ba Đình; Q Hoàn Kiếm; Q Tây Hồ; Q Long Biên; Q Cầu Giấy; Q Đống Đa;
    Q Hai Bà Trưng; Q Hoàng Mai; Q Thanh Xuân; Sóc Sơn; Đông Anh; Gia Lâm; Q Nam Từ Liêm;
    Thanh Trì; Q Bắc Từ Liêm; Mê Linh; Q Hà Đông; TX Sơn Tây; Ba Vì; Phúc Thọ; Đan Phượng;
    Hoài Đức; Quốc Oai; Thạch Thất; Chương Mỹ; Thanh Oai; Thường Tín; Phú Xuyên; Ứng Hòa;
    Mỹ Đức
HAGIANG: TP Hà Giang; Đồng Văn; Mèo Vạc; Yên Minh; Quản Bạ; Vị Xuyên; Bắc Mê; Hoàng Su Phì;
    Xín Mần; Bắc Quang; Quang Bình
CAOBANG: TP Cao Bằng; Bảo Lâm; Bảo Lạc; Hà Quảng; Trùng Khánh; Hạ Lang; Quảng Hòa; Hòa An;
    Nguyên Bình; Thạch An
BACKAN: TP Bắc Kạn; Pác Nặm; Ba Bể; Ngân Sơn; Bạch Thông; Chợ Đồn; Chợ Mới; Na Rì
TUYENQUANG: TP Tuyên Quang; Lâm Bình; Na Hang; Chiêm Hóa; Hàm Yên; Yên Sơn; Sơn Dương
LAOCAI: TP Lào Cai; Bát Xát; Mường Khương; Si Ma Cai; Bắc Hà; Bảo Thắng; Bảo Yên; TX Sa Pa;
    Văn Bàn
DIENBIEN: TP Điện Biên Phủ; TX Mường Lay; Mường Nhé; Mường Chà; Tủa Chùa; Tuần Giáo;
    Điện Biên; Điện Biên Đông; Mường Ảng; Nậm Pồ
LAICHAU: TP Lai Châu; Tam Đường; Mường Tè; Sìn Hồ; Phong Thổ; Than Uyên; Tân Uyên;
    Nậm Nhùn
SONLA: TP Sơn La; Quỳnh Nhai; Thuận Châu; Mường La; Bắc Yên; Phù Yên; Mộc Châu; Yên Châu;
    Mai Sơn; Sông Mã; Sốp Cộp; Vân Hồ
YENBAI: TP Yên Bái; TX Nghĩa Lộ; Lục Yên; Văn Yên; Mù Căng Chải; Trấn Yên; Trạm Tấu;
    Văn Chấn; Yên Bình
HOABINH: TP Hòa Bình; Đà Bắc; Lương Sơn; Kim Bôi; Cao Phong; Tân Lạc; Mai Châu; Lạc Sơn;
    Yên Thủy; Lạc Thủy
THAINGUYEN: TP Thái Nguyên; TP Sông Công; Định Hóa; Phú Lương; Đồng Hỷ; Võ Nhai; Đại Từ;
    TP Phổ Yên; Phú Bình
LANGSON: TP Lạng Sơn; Tràng Định; Bình Gia; Văn Lãng; Cao Lộc; Văn Quan; Bắc Sơn; Hữu Lũng;
    Chi Lăng; Lộc Bình; Đình Lập
QUANGNINH: TP Hạ Long; TP Móng Cái; TP Cẩm Phả; TP Uông Bí; Bình Liêu; Tiên Yên; Đầm Hà;
    Hải Hà; Ba Chẽ; Vân Đồn; TP Đông Triều; TX Quảng Yên; Cô Tô
BACGIANG: TP Bắc Giang; Yên Thế; Tân Yên; Lạng Giang; Lục Nam; Lục Ngạn; Sơn Động;
    TX Việt Yên; Hiệp Hòa; TX Chũ
PHUTHO: TP Việt Trì; TX Phú Thọ; Đoan Hùng; Hạ Hòa; Thanh Ba; Phù Ninh; Yên Lập; Cẩm Khê;
    Tam Nông; Lâm Thao; Thanh Sơn; Thanh Thủy; Tân Sơn
VINHPHUC: TP Vĩnh Yên; TP Phúc Yên; Lập Thạch; Tam Dương; Tam Đảo; Bình Xuyên; Yên Lạc;
    Vĩnh Tường; Sông Lô
BACNINH: TP Bắc Ninh; Yên Phong; TX Quế Võ; Tiên Du; TP Từ Sơn; TX Thuận Thành; Gia Bình;
    Lương Tài
HAIDUONG: TP Hải Dương; TP Chí Linh; Nam Sách; TX Kinh Môn; Kim Thành; Thanh Hà; Cẩm Giàng;
    Bình Giang; Gia Lộc; Tứ Kỳ; Ninh Giang; Thanh Miện
HAIPHONG: Q Hồng Bàng; Q Ngô Quyền; Q Lê Chân; Q Hải An; Q Kiến An; Q Đồ Sơn; Q Dương Kinh;
    TP Thủy Nguyên; Q An Dương; An Lão; Kiến Thụy; Tiên Lãng; Vĩnh Bảo; Cát Hải;
    Bạch Long Vĩ
HUNGYEN: TP Hưng Yên; Văn Lâm; Văn Giang; Yên Mỹ; TX Mỹ Hào; Ân Thi; Khoái Châu; Kim Động;
    Tiên Lữ; Phù Cừ
THAIBINH: TP Thái Bình; Quỳnh Phụ; Hưng Hà; Đông Hưng; Thái Thụy; Tiền Hải; Kiến Xương;
    Vũ Thư
HANAM: TP Phủ Lý; TX Duy Tiên; TX Kim Bảng; Thanh Liêm; Bình Lục; Lý Nhân
NAMDINH: TP Nam Định; Vụ Bản; Ý Yên; Nghĩa Hưng; Nam Trực; Trực Ninh; Xuân Trường;
    Giao Thủy; Hải Hậu
NINHBINH: TP Tam Điệp; Nho Quan; Gia Viễn; TP Hoa Lư; Yên Khánh; Kim Sơn; Yên Mô
THANHHOA: TP Thanh Hóa; TX Bỉm Sơn; TP Sầm Sơn; Mường Lát; Quan Hóa; Bá Thước; Quan Sơn;
    Lang Chánh; Ngọc Lặc; Cẩm Thủy; Thạch Thành; Hà Trung; Vĩnh Lộc; Yên Định; Thọ Xuân;
    Thường Xuân; Triệu Sơn; Thiệu Hóa; Hoằng Hóa; Hậu Lộc; Nga Sơn; Như Xuân; Như Thanh;
    Nông Cống; Quảng Xương; TX Nghi Sơn
NGHEAN: TP Vinh; TX Thái Hòa; Quế Phong; Quỳ Châu; Kỳ Sơn; Tương Dương; Nghĩa Đàn; Quỳ Hợp;
    Quỳnh Lưu; Con Cuông; Tân Kỳ; Anh Sơn; Diễn Châu; Yên Thành; Đô Lương; Thanh Chương;
    Nghi Lộc; Nam Đàn; Hưng Nguyên; TX Hoàng Mai
HATINH: TP Hà Tĩnh; TX Hồng Lĩnh; Hương Sơn; Đức Thọ; Vũ Quang; Nghi Xuân; Can Lộc;
    Hương Khê; Thạch Hà; Cẩm Xuyên; Kỳ Anh; TX Kỳ Anh
QUANGBINH: TP Đồng Hới; Minh Hóa; Tuyên Hóa; Quảng Trạch; Bố Trạch; Quảng Ninh; Lệ Thủy;
    TX Ba Đồn
QUANGTRI: TP Đông Hà; TX Quảng Trị; Vĩnh Linh; Hướng Hóa; Gio Linh; Đa Krông; Cam Lộ;
    Triệu Phong; Hải Lăng; Cồn Cỏ
HUE: Q Thuận Hóa; Q Phú Xuân; TX Phong Điền; Quảng Điền; Phú Vang; TX Hương Thủy;
    TX Hương Trà; A Lưới; Phú Lộc
DANANG: Q Liên Chiểu; Q Thanh Khê; Q Hải Châu; Q Sơn Trà; Q Ngũ Hành Sơn; Q Cẩm Lệ;
    Hòa Vang; Hoàng Sa
QUANGNAM: TP Tam Kỳ; TP Hội An; Tây Giang; Đông Giang; Đại Lộc; TX Điện Bàn; Duy Xuyên;
    Quế Sơn; Nam Giang; Phước Sơn; Hiệp Đức; Thăng Bình; Tiên Phước; Bắc Trà My;
    Nam Trà My; Núi Thành; Phú Ninh
QUANGNGAI: TP Quảng Ngãi; Bình Sơn; Trà Bồng; Sơn Tịnh; Tư Nghĩa; Sơn Hà; Sơn Tây;
    Minh Long; Nghĩa Hành; Mộ Đức; TX Đức Phổ; Ba Tơ; Lý Sơn
BINHDINH: TP Quy Nhơn; An Lão; TX Hoài Nhơn; Hoài Ân; Phù Mỹ; Vĩnh Thạnh; Tây Sơn; Phù Cát;
    TX An Nhơn; Tuy Phước; Vân Canh
PHUYEN: TP Tuy Hòa; TX Sông Cầu; Đồng Xuân; Tuy An; Sơn Hòa; Sông Hinh; Tây Hòa; Phú Hòa;
    TX Đông Hòa
KHANHHOA: TP Nha Trang; TP Cam Ranh; Cam Lâm; Vạn Ninh; TX Ninh Hòa; Khánh Vĩnh;
    Diên Khánh; Khánh Sơn; Trường Sa
NINHTHUAN: TP Phan Rang-Tháp Chàm; Bác Ái; Ninh Sơn; Ninh Hải; Ninh Phước; Thuận Bắc;
    Thuận Nam
BINHTHUAN: TP Phan Thiết; TX La Gi; Tuy Phong; Bắc Bình; Hàm Thuận Bắc; Hàm Thuận Nam;
    Tánh Linh; Đức Linh; Hàm Tân; Phú Quí
KONTUM: TP Kon Tum; Đắk Glei; Ngọc Hồi; Đắk Tô; Kon Plông; Kon Rẫy; Đắk Hà; Sa Thầy;
    Tu Mơ Rông; Ia H' Drai
GIALAI: TP Pleiku; TX An Khê; TX Ayun Pa; KBang; Đăk Đoa; Chư Păh; Ia Grai; Mang Yang;
    Kông Chro; Đức Cơ; Chư Prông; Chư Sê; Đăk Pơ; Ia Pa; Krông Pa; Phú Thiện; Chư Pưh
DAKLAK: TP Buôn Ma Thuột; TX Buôn Hồ; Ea H'leo; Ea Súp; Buôn Đôn; Cư M'gar; Krông Búk;
    Krông Năng; Ea Kar; M'Đrắk; Krông Bông; Krông Pắc; Krông A Na; Lắk; Cư Kuin
DAKNONG: TP Gia Nghĩa; Đăk Glong; Cư Jút; Đắk Mil; Krông Nô; Đắk Song; Đắk R'Lấp; Tuy Đức
LAMDONG: TP Đà Lạt; TP Bảo Lộc; Đam Rông; Lạc Dương; Lâm Hà; Đơn Dương; Đức Trọng; Di Linh;
    Bảo Lâm; Đạ Huoai
BINHPHUOC: TX Phước Long; TP Đồng Xoài; TX Bình Long; Bù Gia Mập; Lộc Ninh; Bù Đốp;
    Hớn Quản; Đồng Phú; Bù Đăng; TX Chơn Thành; Phú Riềng
TAYNINH: TP Tây Ninh; Tân Biên; Tân Châu; Dương Minh Châu; Châu Thành; TX Hòa Thành;
    Gò Dầu; Bến Cầu; TX Trảng Bàng
BINHDUONG: TP Thủ Dầu Một; Bàu Bàng; Dầu Tiếng; TP Bến Cát; Phú Giáo; TP Tân Uyên;
    TP Dĩ An; TP Thuận An; Bắc Tân Uyên
DONGNAI: TP Biên Hòa; TP Long Khánh; Tân Phú; Vĩnh Cửu; Định Quán; Trảng Bom; Thống Nhất;
    Cẩm Mỹ; Long Thành; Xuân Lộc; Nhơn Trạch
BRVT: TP Vũng Tàu; TP Bà Rịa; Châu Đức; Xuyên Mộc; Long Đất; TX Phú Mỹ; Côn Đảo
HCM: Q 1; Q 12; Q Gò Vấp; Q Bình Thạnh; Q Tân Bình; Q Tân Phú; Q Phú Nhuận; TP Thủ Đức;
    Q 3; Q 10; Q 11; Q 4; Q 5; Q 6; Q 8; Q Bình Tân; Q 7; Củ Chi; Hóc Môn; Bình Chánh;
    Nhà Bè; Cần Giờ
LONGAN: TP Tân An; TX Kiến Tường; Tân Hưng; Vĩnh Hưng; Mộc Hóa; Tân Thạnh; Thạnh Hóa;
    Đức Huệ; Đức Hòa; Bến Lức; Thủ Thừa; Tân Trụ; Cần Đước; Cần Giuộc; Châu Thành
TIENGIANG: TP Mỹ Tho; TP Gò Công; TX Cai Lậy; Tân Phước; Cái Bè; Cai Lậy; Châu Thành;
    Chợ Gạo; Gò Công Tây; Gò Công Đông; Tân Phú Đông
BENTRE: TP Bến Tre; Châu Thành; Chợ Lách; Mỏ Cày Nam; Giồng Trôm; Bình Đại; Ba Tri;
    Thạnh Phú; Mỏ Cày Bắc
TRAVINH: TP Trà Vinh; Càng Long; Cầu Kè; Tiểu Cần; Châu Thành; Cầu Ngang; Trà Cú;
    Duyên Hải; TX Duyên Hải
VINHLONG: TP Vĩnh Long; Long Hồ; Mang Thít; Vũng Liêm; Tam Bình; TX Bình Minh; Trà Ôn;
    Bình Tân
DONGTHAP: TP Cao Lãnh; TP Sa Đéc; TP Hồng Ngự; Tân Hồng; Hồng Ngự; Tam Nông; Tháp Mười;
    Cao Lãnh; Thanh Bình; Lấp Vò; Lai Vung; Châu Thành
ANGIANG: TP Long Xuyên; TP Châu Đốc; An Phú; TX Tân Châu; Phú Tân; Châu Phú; TX Tịnh Biên;
    Tri Tôn; Châu Thành; Chợ Mới; Thoại Sơn
KIENGIANG: TP Rạch Giá; TP Hà Tiên; Kiên Lương; Hòn Đất; Tân Hiệp; Châu Thành; Giồng Riềng;
    Gò Quao; An Biên; An Minh; Vĩnh Thuận; TP Phú Quốc; Kiên Hải; U Minh Thượng;
    Giang Thành
CANTHO: Q Ninh Kiều; Q Ô Môn; Q Bình Thủy; Q Cái Răng; Q Thốt Nốt; Vĩnh Thạnh; Cờ Đỏ;
    Phong Điền; Thới Lai
HAUGIANG: TP Vị Thanh; TP Ngã Bảy; Châu Thành A; Châu Thành; Phụng Hiệp; Vị Thủy; Long Mỹ;
    TX Long Mỹ
SOCTRANG: TP Sóc Trăng; Châu Thành; Kế Sách; Mỹ Tú; Cù Lao Dung; Long Phú; Mỹ Xuyên;
    TX Ngã Năm; Thạnh Trị; TX Vĩnh Châu; Trần Đề
BACLIEU: TP Bạc Liêu; Hồng Dân; Phước Long; Vĩnh Lợi; TX Giá Rai; Đông Hải; Hòa Bình
CAMAU: TP Cà Mau; U Minh; Thới Bình; Trần Văn Thời; Cái Nước; Đầm Dơi; Năm Căn; Phú Tân;
    Ngọc Hiển
"""

# --------------------------------------------------------------------------------------------
# The central structure: code, name, kind, parent. Founded on START unless said otherwise.

CENTRAL: list[tuple[str, str, str, str | None]] = [
    ("BQP", "Bộ Quốc phòng", "ministry", None),
    # Ministry agencies
    ("BQP-VP", "Văn phòng Bộ Quốc phòng", "agency", "BQP"),
    ("BQP-TTR", "Thanh tra Bộ Quốc phòng", "agency", "BQP"),
    ("BQP-CDN", "Cục Đối ngoại", "department", "BQP"),
    ("BQP-CKT", "Cục Kinh tế", "department", "BQP"),
    ("BQP-CTC", "Cục Tài chính", "department", "BQP"),
    ("BQP-CKHDT", "Cục Kế hoạch và Đầu tư", "department", "BQP"),
    ("BQP-CKHQS", "Cục Khoa học quân sự", "department", "BQP"),
    ("BQP-VPC", "Vụ Pháp chế", "department", "BQP"),
    ("BQP-CGGHB", "Cục Gìn giữ hòa bình Việt Nam", "department", "BQP"),
    # General Staff
    ("BTTM", "Bộ Tổng Tham mưu", "strategic-agency", "BQP"),
    ("BTTM-CTC", "Cục Tác chiến", "department", "BTTM"),
    ("BTTM-CQL", "Cục Quân lực", "department", "BTTM"),
    ("BTTM-CQH", "Cục Quân huấn", "department", "BTTM"),
    ("BTTM-CDQTV", "Cục Dân quân tự vệ", "department", "BTTM"),
    ("BTTM-CCHCN", "Cục Cứu hộ - Cứu nạn", "department", "BTTM"),
    ("BTTM-CBD", "Cục Bản đồ", "department", "BTTM"),
    ("BTTM-CTDC", "Cục Tiêu chuẩn - Đo lường - Chất lượng", "department", "BTTM"),
    ("BTTM-CCY", "Cục Cơ yếu", "department", "BTTM"),
    ("BTTM-CTCDT", "Cục Tác chiến điện tử", "department", "BTTM"),
    ("BTTM-CCNTT", "Cục Công nghệ thông tin", "department", "BTTM"),
    ("BTTM-CNT", "Cục Nhà trường", "department", "BTTM"),
    ("BTTM-CQLHC", "Cục Quản lý hành chính", "department", "BTTM"),
    # General Political Department
    ("TCCT", "Tổng cục Chính trị Quân đội nhân dân Việt Nam", "strategic-agency", "BQP"),
    ("TCCT-CTH", "Cục Tuyên huấn", "department", "TCCT"),
    ("TCCT-CCB", "Cục Cán bộ", "department", "TCCT"),
    ("TCCT-CTC", "Cục Tổ chức", "department", "TCCT"),
    ("TCCT-CCS", "Cục Chính sách", "department", "TCCT"),
    ("TCCT-CBV", "Cục Bảo vệ an ninh Quân đội", "department", "TCCT"),
    ("TCCT-CDV", "Cục Dân vận", "department", "TCCT"),
    ("TCCT-CCTQC", "Cục Công tác quần chúng", "department", "TCCT"),
    # General Departments of Logistics and of Technology (merged in 2025)
    ("TCHC", "Tổng cục Hậu cần", "strategic-agency", "BQP"),
    ("TCHC-CQN", "Cục Quân nhu", "department", "TCHC"),
    ("TCHC-CQY", "Cục Quân y", "department", "TCHC"),
    ("TCHC-CVT", "Cục Vận tải", "department", "TCHC"),
    ("TCHC-CXD", "Cục Xăng dầu", "department", "TCHC"),
    ("TCHC-CDT", "Cục Doanh trại", "department", "TCHC"),
    ("TCHC-BV354", "Bệnh viện Quân y 354", "hospital", "TCHC"),
    ("TCHC-BV105", "Bệnh viện Quân y 105", "hospital", "TCHC"),
    ("TCKT", "Tổng cục Kỹ thuật", "strategic-agency", "BQP"),
    ("TCKT-CQK", "Cục Quân khí", "department", "TCKT"),
    ("TCKT-CXM", "Cục Xe - Máy", "department", "TCKT"),
    ("TCKT-CKTBC", "Cục Kỹ thuật binh chủng", "department", "TCKT"),
    ("TCKT-TSQKT", "Trường Sĩ quan Kỹ thuật quân sự", "school", "TCKT"),
    # General Department of Defence Industry
    ("TCCNQP", "Tổng cục Công nghiệp quốc phòng", "strategic-agency", "BQP"),
    ("TCCNQP-VP", "Văn phòng Tổng cục Công nghiệp quốc phòng", "agency", "TCCNQP"),
    ("TCCNQP-CCT", "Cục Chính trị Tổng cục Công nghiệp quốc phòng", "department", "TCCNQP"),
    ("TCCNQP-CKHDT", "Cục Kế hoạch và Đầu tư Tổng cục CNQP", "department", "TCCNQP"),
    ("TCCNQP-CQLCN", "Cục Quản lý công nghệ", "department", "TCCNQP"),
    ("TCCNQP-CKT", "Cục Kinh tế Tổng cục CNQP", "department", "TCCNQP"),
    ("TCCNQP-CHCKT", "Cục Hậu cần - Kỹ thuật Tổng cục CNQP", "department", "TCCNQP"),
    ("TCCNQP-VCN", "Viện Công nghệ", "institute", "TCCNQP"),
    ("TCCNQP-VVK", "Viện Vũ khí", "institute", "TCCNQP"),
    ("TCCNQP-VTPTN", "Viện Thuốc phóng Thuốc nổ", "institute", "TCCNQP"),
    ("TCCNQP-BASON", "Tổng công ty Ba Son", "enterprise", "TCCNQP"),
    ("TCCNQP-SONGTHU", "Tổng công ty Sông Thu", "enterprise", "TCCNQP"),
    ("TCCNQP-GAET", "Tổng công ty Kinh tế Kỹ thuật Công nghiệp quốc phòng", "enterprise", "TCCNQP"),
    ("TCCNQP-CD", "Trường Cao đẳng Công nghiệp quốc phòng", "school", "TCCNQP"),
    # Military regions
    ("QK1", "Quân khu 1", "military-region", "BQP"),
    ("QK2", "Quân khu 2", "military-region", "BQP"),
    ("QK3", "Quân khu 3", "military-region", "BQP"),
    ("QK4", "Quân khu 4", "military-region", "BQP"),
    ("QK5", "Quân khu 5", "military-region", "BQP"),
    ("QK7", "Quân khu 7", "military-region", "BQP"),
    ("QK9", "Quân khu 9", "military-region", "BQP"),
    ("BTLTD", "Bộ Tư lệnh Thủ đô Hà Nội", "provincial-command", "BQP"),
    # Services, arms, commands, corps
    ("QCHQ", "Quân chủng Hải quân", "service", "BQP"),
    ("QCHQ-HV", "Học viện Hải quân", "academy", "QCHQ"),
    ("QCHQ-V1", "Bộ Tư lệnh Vùng 1 Hải quân", "command", "QCHQ"),
    ("QCHQ-V2", "Bộ Tư lệnh Vùng 2 Hải quân", "command", "QCHQ"),
    ("QCHQ-V3", "Bộ Tư lệnh Vùng 3 Hải quân", "command", "QCHQ"),
    ("QCHQ-V4", "Bộ Tư lệnh Vùng 4 Hải quân", "command", "QCHQ"),
    ("QCHQ-V5", "Bộ Tư lệnh Vùng 5 Hải quân", "command", "QCHQ"),
    ("QCHQ-TANCANG", "Tổng công ty Tân Cảng Sài Gòn", "enterprise", "QCHQ"),
    ("QCPKKQ", "Quân chủng Phòng không - Không quân", "service", "BQP"),
    ("QCPKKQ-HV", "Học viện Phòng không - Không quân", "academy", "QCPKKQ"),
    ("QCPKKQ-TSQKQ", "Trường Sĩ quan Không quân", "school", "QCPKKQ"),
    ("QCPKKQ-VYH", "Viện Y học Phòng không - Không quân", "institute", "QCPKKQ"),
    ("BCPB", "Binh chủng Pháo binh", "arm", "BQP"),
    ("BCPB-TSQ", "Trường Sĩ quan Pháo binh", "school", "BCPB"),
    ("BCCB", "Binh chủng Công binh", "arm", "BQP"),
    ("BCCB-TSQ", "Trường Sĩ quan Công binh", "school", "BCCB"),
    ("BCTTLL", "Binh chủng Thông tin liên lạc", "arm", "BQP"),
    ("BCTTLL-TSQ", "Trường Sĩ quan Thông tin", "school", "BCTTLL"),
    ("BCHH", "Binh chủng Hóa học", "arm", "BQP"),
    ("BCHH-TSQ", "Trường Sĩ quan Phòng hóa", "school", "BCHH"),
    ("BCTTG", "Binh chủng Tăng thiết giáp", "arm", "BQP"),
    ("BCTTG-TSQ", "Trường Sĩ quan Tăng thiết giáp", "school", "BCTTG"),
    ("BCDC", "Binh chủng Đặc công", "arm", "BQP"),
    ("BCDC-TSQ", "Trường Sĩ quan Đặc công", "school", "BCDC"),
    ("BTLCSB", "Bộ Tư lệnh Cảnh sát biển Việt Nam", "command", "BQP"),
    ("BTLCSB-V1", "Bộ Tư lệnh Vùng Cảnh sát biển 1", "command", "BTLCSB"),
    ("BTLCSB-V2", "Bộ Tư lệnh Vùng Cảnh sát biển 2", "command", "BTLCSB"),
    ("BTLCSB-V3", "Bộ Tư lệnh Vùng Cảnh sát biển 3", "command", "BTLCSB"),
    ("BTLCSB-V4", "Bộ Tư lệnh Vùng Cảnh sát biển 4", "command", "BTLCSB"),
    ("BTL86", "Bộ Tư lệnh Tác chiến không gian mạng", "command", "BQP"),
    ("BTLBVL", "Bộ Tư lệnh Bảo vệ Lăng Chủ tịch Hồ Chí Minh", "command", "BQP"),
    ("QD1", "Quân đoàn 1", "corps", "BQP"),
    ("SD308", "Sư đoàn 308", "division", "QD1"),
    ("SD312", "Sư đoàn 312", "division", "QD1"),
    ("QD2", "Quân đoàn 2", "corps", "BQP"),
    ("SD304", "Sư đoàn 304", "division", "QD2"),
    ("SD325", "Sư đoàn 325", "division", "QD2"),
    ("QD3", "Quân đoàn 3", "corps", "BQP"),
    ("SD10", "Sư đoàn 10", "division", "QD3"),
    ("SD320", "Sư đoàn 320", "division", "QD3"),
    ("QD4", "Quân đoàn 4", "corps", "BQP"),
    ("SD7", "Sư đoàn 7", "division", "QD4"),
    ("SD9", "Sư đoàn 9", "division", "QD4"),
    # Academies, schools, hospitals, institutes directly under the Ministry
    ("HVQP", "Học viện Quốc phòng", "academy", "BQP"),
    ("HVLQ", "Học viện Lục quân", "academy", "BQP"),
    ("HVCT", "Học viện Chính trị", "academy", "BQP"),
    ("HVKTQS", "Học viện Kỹ thuật quân sự", "academy", "BQP"),
    ("HVQY", "Học viện Quân y", "academy", "BQP"),
    ("HVQY-BV103", "Bệnh viện Quân y 103", "hospital", "HVQY"),
    ("HVQY-VBONG", "Viện Bỏng Quốc gia Lê Hữu Trác", "hospital", "HVQY"),
    ("HVHC", "Học viện Hậu cần", "academy", "BQP"),
    ("HVKHQS", "Học viện Khoa học quân sự", "academy", "BQP"),
    ("TSQLQ1", "Trường Sĩ quan Lục quân 1", "school", "BQP"),
    ("TSQLQ2", "Trường Sĩ quan Lục quân 2", "school", "BQP"),
    ("TSQCT", "Trường Sĩ quan Chính trị", "school", "BQP"),
    ("BV108", "Bệnh viện Trung ương Quân đội 108", "hospital", "BQP"),
    ("BV175", "Bệnh viện Quân y 175", "hospital", "BQP"),
    ("VYHCT", "Viện Y học cổ truyền Quân đội", "hospital", "BQP"),
    ("VKHCNQS", "Viện Khoa học và Công nghệ quân sự", "institute", "BQP"),
    ("VCLQP", "Viện Chiến lược quốc phòng", "institute", "BQP"),
    ("VLSQS", "Viện Lịch sử quân sự", "institute", "BQP"),
    ("TTNDVN", "Trung tâm Nhiệt đới Việt - Nga", "institute", "BQP"),
    # Enterprises
    ("VIETTEL", "Tập đoàn Công nghiệp - Viễn thông Quân đội", "enterprise", "BQP"),
    ("TCT-DONGBAC", "Tổng công ty Đông Bắc", "enterprise", "BQP"),
    ("TCT-TRUCTHANG", "Tổng công ty Trực thăng Việt Nam", "enterprise", "BQP"),
    ("TCT-LUNGLO", "Tổng công ty Xây dựng Lũng Lô", "enterprise", "BQP"),
    ("TCT-319", "Tổng công ty 319", "enterprise", "BQP"),
    ("TCT-THANHAN", "Tổng công ty Thành An", "enterprise", "BQP"),
    ("TCT-TRUONGSON", "Tổng công ty Xây dựng Trường Sơn", "enterprise", "BQP"),
    ("TCT-15", "Tổng công ty 15", "enterprise", "BQP"),
    ("TCT-16", "Tổng công ty 16", "enterprise", "BQP"),
    ("TCT-THAISON", "Tổng công ty Thái Sơn", "enterprise", "BQP"),
    ("TCT-TECCO", "Tổng công ty Hợp tác kinh tế", "enterprise", "QK4"),
    # Border Guard (the provincial commands are added from PROVINCES)
    ("BDBP", "Bộ Tư lệnh Bộ đội Biên phòng", "command", "BQP"),
    ("BDBP-HV", "Học viện Biên phòng", "academy", "BDBP"),
    ("BDBP-TC1", "Trường Trung cấp Biên phòng 1", "school", "BDBP"),
    ("BDBP-CCK", "Cục Cửa khẩu", "department", "BDBP"),
    ("BDBP-CPCMT", "Cục Phòng, chống ma túy và tội phạm", "department", "BDBP"),
]

# The General Department of Defence Industry's factories (Nhà máy Z...).
FACTORIES = (
    "Z111",
    "Z113",
    "Z114",
    "Z115",
    "Z117",
    "Z119",
    "Z121",
    "Z125",
    "Z127",
    "Z129",
    "Z131",
    "Z133",
    "Z143",
    "Z173",
    "Z175",
    "Z176",
    "Z181",
    "Z183",
    "Z189",
    "Z195",
    "Z199",
)
# Units of each military region besides its provinces: hospital, school, division.
REGION_UNITS = {
    "QK1": ("110", "3"),
    "QK2": ("109", "316"),
    "QK3": ("7", "395"),
    "QK4": ("4", "324"),
    "QK5": ("17", "315"),
    "QK7": ("7A", "5"),
    "QK9": ("121", "330"),
}
# Reorganisations of the central structure: new unit, name, kind, merged units, basis, day.
CENTRAL_MERGERS = [
    ("QD12", "Quân đoàn 12", "corps", ("QD1", "QD2"), "6012/QĐ-BQP", date(2023, 11, 21)),
    ("QD34", "Quân đoàn 34", "corps", ("QD3", "QD4"), "5989/QĐ-BQP", date(2024, 12, 10)),
    (
        "TCHCKT",
        "Tổng cục Hậu cần - Kỹ thuật",
        "strategic-agency",
        ("TCHC", "TCKT"),
        "366/QĐ-BQP",
        date(2025, 3, 1),
    ),
]
HUE_RENAMED = date(2025, 1, 1)

LOCAL_KINDS = {
    "provincial-command",
    "district-command",
    "regional-defence-command",
    "border-guard-command",
}
COMMAND_KINDS = {"military-region", "service", "arm", "command", "corps"}


# --------------------------------------------------------------------------------------------
# The structure


@dataclass
class Province:
    code: str
    name: str
    region: str
    city: bool
    border_guard: bool
    into: str | None
    districts: list[tuple[str, str]] = field(default_factory=list)  # (code, name)

    @property
    def command(self) -> str:
        """The code of its military command."""
        return "BTLTD" if self.code == "HANOI" else f"{self.region}-{self.code}"

    @property
    def survivor(self) -> str:
        """The province it belongs to from 2025-07-01."""
        return self.into or self.code

    def title(self) -> str:
        return f"{'thành phố' if self.city else 'tỉnh'} {self.name}"

    def command_name(self) -> str:
        if self.code == "HANOI":
            return "Bộ Tư lệnh Thủ đô Hà Nội"
        if self.code == "HCM":
            return "Bộ Tư lệnh Thành phố Hồ Chí Minh"
        return f"Bộ Chỉ huy quân sự {self.title()}"


def provinces() -> dict[str, Province]:
    found = {row[0]: Province(*row) for row in PROVINCES}
    listed: dict[str, str] = {}
    code = ""
    for line in DISTRICTS_TEXT.strip().splitlines():
        if not line.startswith(" "):
            code, _, line = line.partition(": ")
        listed[code] = f"{listed.get(code, '')} {line.strip()}"
    for code, text in listed.items():
        found[code].districts = _districts(code, [" ".join(i.split()) for i in text.split(";")])
    return found


TYPES = {"TP": "thành phố", "TX": "thị xã", "Q": "quận"}


def _districts(province: str, items: list[str]) -> list[tuple[str, str]]:
    """Codes and names of a province's district commands; a code that would repeat within the
    province carries the type (``HATINH-KYANH``, ``HATINH-TXKYANH``)."""
    parsed: list[tuple[str, str]] = []  # (type prefix, place)
    for item in items:
        head, _, rest = item.partition(" ")
        if head in TYPES and rest:
            parsed.append((head, rest))
        else:
            parsed.append(("", item))
    keys = Counter(_ascii(place) for _, place in parsed)
    result = []
    for prefix, place in parsed:
        key = _ascii(place)
        if key.isdigit():
            key = f"Q{key}"
        elif keys[_ascii(place)] > 1 and prefix:
            key = prefix + key
        result.append(
            (f"{province}-{key}", f"Ban Chỉ huy quân sự {TYPES.get(prefix, 'huyện')} {place}")
        )
    return result


def _ascii(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum()).upper()


def regional_counts(found: dict[str, Province]) -> dict[str, int]:
    """Regional defence commands per (old) province: Military Region 4's as fixed, the rest
    shared out in proportion to districts (largest remainder, at least one each), 145 in all."""
    counts = dict(FIXED_REGIONAL)
    rest = [p for p in found.values() if p.code not in counts]
    left = REGIONAL_COMMANDS - sum(counts.values())
    districts = sum(len(p.districts) for p in rest)
    shares = {p.code: left * len(p.districts) / districts for p in rest}
    for code, share in shares.items():
        counts[code] = max(1, int(share))
    spare = REGIONAL_COMMANDS - sum(counts.values())
    order = sorted(rest, key=lambda p: (-(shares[p.code] - int(shares[p.code])), p.code))
    for province in order[:spare]:
        counts[province.code] += 1
    assert sum(counts.values()) == REGIONAL_COMMANDS
    return counts


def groups(items: list[Any], count: int) -> list[list[Any]]:
    """``items`` cut into ``count`` consecutive groups of near-equal size."""
    size, extra = divmod(len(items), count)
    cut, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        cut.append(items[start:end])
        start = end
    return cut


# --------------------------------------------------------------------------------------------
# QMS histories


@dataclass
class Plan:
    """One unit's QMS history before it becomes events: procedure counts are kept as a base (set
    when the unit starts applying) plus dated changes, so calibration can shift the base and keep
    every later count consistent."""

    code: str
    stages: list[tuple[date, str, dict[str, Any]]]
    applying: date | None
    editions: list[tuple[date, str]] = field(default_factory=list)
    base: dict[str, int] = field(default_factory=dict)
    changes: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    audits: list[tuple[date, str, int]] = field(default_factory=list)

    def counts_at(self, day: date) -> dict[str, int]:
        counts = dict.fromkeys(ev.PROCEDURE_CATEGORIES, 0)
        if self.applying is None or self.applying > day:
            return counts
        for category in counts:
            counts[category] = self.base.get(category, 0)
        for on, change in self.changes:
            if on <= day:
                for category, delta in change.items():
                    counts[category] += delta
        return counts

    def lowest(self, category: str) -> int:
        """The lowest count of ``category`` over the unit's history."""
        value = lowest = self.base.get(category, 0)
        for _, change in self.changes:
            value += change.get(category, 0)
            lowest = min(lowest, value)
        return lowest

    def stage_at(self, day: date) -> str:
        stage = "none"
        for on, name, _ in self.stages:
            if on <= day:
                stage = name
        return stage

    def drafts(self) -> list[Draft]:
        found: list[tuple[date, int, Draft]] = []
        for index, (on, stage, data) in enumerate(self.stages):
            found.append((on, index, Draft(self.code, ev.STAGE, on, {"stage": stage, **data})))
        for on, edition in self.editions:
            found.append((on, 50, Draft(self.code, ev.EDITION, on, {"edition": edition})))
        if self.applying is not None:
            counts = {c: self.base.get(c, 0) for c in ev.PROCEDURE_CATEGORIES}
            found.append(
                (self.applying, 60, Draft(self.code, ev.PROCEDURES, self.applying, counts))
            )
            for on, change in self.changes:
                counts = {c: counts[c] + change.get(c, 0) for c in counts}
                found.append((on, 61, Draft(self.code, ev.PROCEDURES, on, dict(counts))))
        for on, kind, findings in self.audits:
            data = {"kind": kind, "findings": findings}
            found.append((on, 70, Draft(self.code, ev.AUDIT, on, data)))
        found.sort(key=lambda item: (item[0], item[1]))
        return [draft for _, _, draft in found]


Range = tuple[date, date]
Base = dict[str, tuple[int, int]]


class Sample:
    """Builds the sample: structure, lineage, QMS histories, calibration, changesets."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.id_source = random.Random(SEED + 1)
        self.provinces = provinces()
        self.kinds: dict[str, str] = {}
        self.parents: dict[str, str | None] = {}
        self.ends: dict[str, date] = {}
        self.plans: dict[str, Plan] = {}
        self.changesets: list[tuple[datetime, str, list[Draft]]] = []
        self.border_guard: dict[str, str] = {}  # new province -> its border guard command
        self.initial_parents: dict[str, str | None] = {}

    # ------------------------------------------------------------------ helpers

    def new_id(self) -> str:
        return uuid.UUID(int=self.id_source.getrandbits(128), version=4).hex

    def day(self, span: Range) -> date:
        first, last = span
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def found(
        self,
        drafts: list[Draft],
        code: str,
        name: str,
        kind: str,
        parent: str | None,
        on: date = START,
    ) -> None:
        assert code not in self.kinds, code
        self.kinds[code] = kind
        self.parents[code] = parent
        drafts.append(Draft(code, ev.FOUNDED, on, {"name": name, "kind": kind, "parent": parent}))

    def changeset(self, recorded: datetime, command: str, drafts: list[Draft]) -> None:
        self.changesets.append((recorded, command, drafts))

    # ------------------------------------------------------------------ structure

    def structure(self) -> None:
        drafts: list[Draft] = []
        for code, name, kind, parent in CENTRAL:
            self.found(drafts, code, name, kind, parent)
            if code == "TCCNQP-CHCKT":
                for factory in FACTORIES:
                    self.found(
                        drafts, f"TCCNQP-{factory}", f"Nhà máy {factory}", "factory", "TCCNQP"
                    )
        for region, (hospital, division) in REGION_UNITS.items():
            number = region.removeprefix("QK")
            self.found(
                drafts, f"{region}-BV{hospital}", f"Bệnh viện Quân y {hospital}", "hospital", region
            )
            self.found(
                drafts, f"{region}-TQS", f"Trường Quân sự Quân khu {number}", "school", region
            )
            self.found(drafts, f"SD{division}", f"Sư đoàn {division}", "division", region)
        names: Counter[str] = Counter()
        for province in self.provinces.values():
            for _, name in province.districts:
                names[name_key(name)] += 1
        for province in self.provinces.values():
            if province.code != "HANOI":
                self.found(
                    drafts,
                    province.command,
                    province.command_name(),
                    "provincial-command",
                    province.region,
                )
            for code, name in province.districts:
                if names[name_key(name)] > 1:  # the same name in two provinces
                    name = f"{name} ({province.title()})"
                self.found(drafts, code, name, "district-command", province.command)
            if province.border_guard:
                self.found(
                    drafts,
                    f"BP-{province.code}",
                    f"Bộ Chỉ huy Bộ đội Biên phòng {province.title()}",
                    "border-guard-command",
                    "BDBP",
                )
        self.changeset(_at(2014, 1, 6), "isotrack import danh-sach-don-vi-2014.xlsx", drafts)

    def reorganisations(self) -> None:
        for code, name, kind, merged, basis, on in CENTRAL_MERGERS:
            drafts: list[Draft] = []
            self.found(drafts, code, name, kind, "BQP", on)
            self.merge(drafts, list(merged), code, basis, on)
            command = (
                f"isotrack unit merge {' '.join(merged)} --into {code} --name '{name}' "
                f"--kind {kind} --basis {basis} --on {on:%d/%m/%Y}"
            )
            self.changeset(_next_day(on), command, drafts)

        hue = self.provinces["HUE"]
        drafts = [
            Draft(
                hue.command, ev.RENAMED, HUE_RENAMED, {"name": "Bộ Chỉ huy quân sự thành phố Huế"}
            ),
            Draft(
                "BP-HUE",
                ev.RENAMED,
                HUE_RENAMED,
                {"name": "Bộ Chỉ huy Bộ đội Biên phòng thành phố Huế"},
            ),
        ]
        hue.name, hue.city = "Huế", True
        self.changeset(_at(2025, 1, 3), "isotrack import doi-ten-thua-thien-hue-2025.csv", drafts)

        # 14 June 2025: the district commands merged into regional defence commands.
        drafts = []
        counts = regional_counts(self.provinces)
        numbers: Counter[str] = Counter()
        planned: list[tuple[Province, str, str, list[str]]] = []
        for province in self._by_new_province():
            for members in groups(province.districts, counts[province.code]):
                numbers[province.survivor] += 1
                number = numbers[province.survivor]
                seat = _seat([name for _, name in members])
                name = f"Ban Chỉ huy Phòng thủ khu vực {number} - {seat}"
                code = f"{province.survivor}-PTKV{number}"
                planned.append((province, code, name, [c for c, _ in members]))
        repeated = Counter(name for _, _, name, _ in planned)
        for province, code, name, members in planned:
            if repeated[name] > 1:  # "Châu Thành" is the name of several districts
                name = f"{name} ({self.provinces[province.survivor].title()})"
            self.found(
                drafts, code, name, "regional-defence-command", province.command, DISTRICTS_END
            )
            self.merge(drafts, members, code, BASIS_DISTRICTS, DISTRICTS_END)
        self.changeset(
            _at(2025, 6, 16), "isotrack import giai-the-ban-chqs-huyen-2786.xlsx", drafts
        )

        # 1 July 2025: 63 provinces become 34; Border Guard commands under the provincial ones.
        drafts = []
        for province in self.provinces.values():
            if province.into:
                survivor = self.provinces[province.into]
                self.merge(
                    drafts, [province.command], survivor.command, BASIS_PROVINCES, PROVINCES_MERGE
                )
        for survivor in [p for p in self.provinces.values() if p.into is None]:
            members = [p for p in self._by_new_province() if p.survivor == survivor.code]
            guards = [f"BP-{p.code}" for p in members if p.border_guard]
            if not guards:
                continue
            name = f"Ban Chỉ huy Bộ đội Biên phòng {survivor.title()}"
            target = f"BP-{survivor.code}"
            if survivor.border_guard:
                drafts.append(
                    Draft(target, ev.MOVED, PROVINCES_MERGE, {"parent": survivor.command})
                )
                drafts.append(Draft(target, ev.RENAMED, PROVINCES_MERGE, {"name": name}))
                self.parents[target] = survivor.command
            else:
                self.found(
                    drafts, target, name, "border-guard-command", survivor.command, PROVINCES_MERGE
                )
            others = [g for g in guards if g != target]
            if others:
                self.merge(drafts, others, target, BASIS_PROVINCES, PROVINCES_MERGE)
            self.border_guard[survivor.code] = target
        self.changeset(_at(2025, 7, 2), "isotrack import sap-xep-tinh-2025.xlsx", drafts)

    def _by_new_province(self) -> list[Province]:
        """Old provinces grouped by the province they form from 2025-07-01, the survivor first."""
        ordered: list[Province] = []
        for survivor in self.provinces.values():
            if survivor.into is None:
                ordered.append(survivor)
                ordered.extend(p for p in self.provinces.values() if p.into == survivor.code)
        return ordered

    def merge(
        self, drafts: list[Draft], merged: list[str], into: str, basis: str, on: date
    ) -> None:
        """Merge units as ``unit merge`` does: live sub-units move to the successor first."""
        for code in merged:
            for child, parent in list(self.parents.items()):
                if parent == code and child not in self.ends and child not in merged:
                    drafts.append(Draft(child, ev.MOVED, on, {"parent": into}))
                    self.parents[child] = into
            drafts.append(Draft(code, ev.MERGED, on, {"into": into, "basis": basis}))
            self.ends[code] = on

    # ------------------------------------------------------------------ QMS histories

    def adopt(
        self,
        code: str,
        applying: Range,
        *,
        base: Base,
        building: Range | None = None,
        announce: Range | None = None,
        announce_p: float = 0.0,
        edition: str | None = None,
        consultant: bool | None = None,
        model: str | None = None,
        transition_by: date = DEADLINE_2015,
        not_before: date = START,
        lapse: tuple[date, date, date] | None = None,
    ) -> None:
        """Plan a unit's QMS: planned, building (edition, consultant, framework model), applying
        (first procedure counts), maybe announced; a :2008 QMS moves to :2015 by
        ``transition_by``; then yearly internal audits, reviews and changes of the counts.
        Nothing is kept from the day the unit ends, nor after END."""
        rng = self.rng
        assert code in self.kinds, code
        assert code not in self.plans, code
        applied = self.day(applying)
        built = self.day(building) if building else applied - timedelta(rng.randint(120, 270))
        planned = built - timedelta(rng.randint(45, 120))
        planned = max(planned, max(START, not_before) + timedelta(rng.randint(14, 40)))
        built = max(built, planned + timedelta(30))
        applied = max(applied, built + timedelta(60))
        if edition is None:
            if built < EDITION_2015_FROM:
                edition = "2008"
            elif built < EDITION_2015_ONLY:
                edition = "2008" if rng.random() < 0.4 else "2015"
            else:
                edition = "2015"
        if consultant is None:
            chance = 0.6 if built.year < 2019 else 0.25 if built.year < 2023 else 0.0
            consultant = rng.random() < chance
        hired = rng.choice(CONSULTANTS) if consultant else ""
        building_data: dict[str, Any] = {"edition": edition, "consultant": hired}
        if model and built >= MODELS_FROM:
            building_data["model"] = MODELS[model]
        stages: list[tuple[date, str, dict[str, Any]]] = [
            (planned, "planned", {}),
            (built, "building", building_data),
            (applied, "applying", {}),
        ]
        announced: date | None = None
        if announce is not None:
            first = max(announce[0], applied + timedelta(30))
            assert first <= announce[1], (code, applied, announce)
            announced = self.day((first, announce[1]))
        elif rng.random() < announce_p:
            announced = applied + timedelta(rng.randint(60, 300))
        if announced is not None:
            stages.append((announced, "announced", {"decision": self.decision(code)}))
        plan = Plan(code, stages, applied)
        if edition == "2008":
            moved = self.day((max(date(2018, 3, 1), built + timedelta(60)), transition_by))
            while moved in {on for on, _, _ in stages}:
                moved += timedelta(1)
            plan.editions.append((moved, "2015"))
            if hired and rng.random() < 0.6:  # the move to :2015 done in-house
                stages.append((moved, plan.stage_at(moved), {"consultant": ""}))
            if announced is not None and announced < moved:  # announced again on :2015
                again = moved + timedelta(rng.randint(20, 90))
                stages.append((again, "announced", {"decision": self.decision(code)}))
        if lapse is not None:
            lapsed, rebuilt, reapplied = lapse
            stages.append((lapsed, "lapsed", {}))
            stages.append((rebuilt, "building", {"consultant": ""}))
            stages.append((reapplied, "applying", {}))
        stages.sort(key=lambda item: item[0])
        plan.base = {category: rng.randint(*span) for category, span in base.items()}
        self.counts_and_audits(plan, announced)
        self.cut(plan, min(self.ends.get(code, date.max), END + timedelta(1)))
        self.plans[code] = plan

    def counts_and_audits(self, plan: Plan, announced: date | None) -> None:
        rng = self.rng
        applied = plan.applying
        assert applied is not None
        running = dict(plan.base)
        for year in range(applied.year + 1, END.year + 1):
            if rng.random() < 0.5:
                continue
            on = (
                date(year, 12, rng.randint(1, 9))
                if year < END.year
                else self.day((date(year, 3, 1), date(year, 9, 30)))
            )
            change: dict[str, int] = {}
            for category, low, high in (("internal", -2, 6), ("tthc", -1, 2), ("product", -1, 3)):
                if running.get(category, 0) > 0:
                    delta = max(rng.randint(low, high), 1 - running[category])
                    if delta:
                        change[category] = delta
                        running[category] += delta
            if change:
                plan.changes.append((on, change))
        for year in range(applied.year, END.year + 1):
            audit = date(year, rng.randint(9, 11), rng.randint(1, 28))
            if audit >= applied + timedelta(60):
                plan.audits.append((audit, "internal", rng.randint(0, 9)))
            review = date(year, 12, rng.randint(10, 20))
            if announced is not None and review > announced:
                plan.audits.append((review, "review", rng.randint(0, 4)))

    @staticmethod
    def cut(plan: Plan, until: date) -> None:
        """Keep what happened before ``until``."""
        plan.stages = [s for s in plan.stages if s[0] < until]
        plan.editions = [e for e in plan.editions if e[0] < until]
        plan.changes = [c for c in plan.changes if c[0] < until]
        plan.audits = [a for a in plan.audits if a[0] < until]
        if plan.applying is not None and plan.applying >= until:
            plan.applying = None

    def decision(self, code: str) -> str:
        kind = self.kinds[code]
        if kind in LOCAL_KINDS:
            issuer = "BCH"
        elif kind in COMMAND_KINDS:
            issuer = "BTL"
        else:
            issuer = code.rsplit("-", 1)[-1]
        return f"{self.rng.randint(12, 980)}/QĐ-{issuer}"

    def children(self, parent: str, kinds: set[str] | None = None) -> list[str]:
        return [
            code
            for code, above in self.parents.items()
            if above == parent and (kinds is None or self.kinds[code] in kinds)
        ]

    def histories(self) -> None:
        ad = self.adopt
        staff = {"agency", "department"}
        # Ministry agencies: most built early; one after the 2023 conference.
        ministry = self.children("BQP", staff)
        for code in ministry:
            tthc = {"BQP-CKT": (3, 8), "BQP-CTC": (2, 6), "BQP-CDN": (2, 5), "BQP-VP": (4, 10)}
            late = code == "BQP-CGGHB"
            ad(
                code,
                span("2023-09", "2024-06") if late else span("2015-03", "2019-12"),
                base={"tthc": tthc.get(code, (0, 0)), "internal": (28, 55)},
                announce_p=0.7,
                model="agency",
            )
        # General Staff, General Political Department, Logistics, Technology.
        for head, year in (("BTTM", 2016), ("TCCT", 2017), ("TCHC", 2016), ("TCKT", 2017)):
            ad(
                head,
                span(f"{year}-01", f"{year}-12"),
                base={"internal": (35, 60)},
                announce_p=0.8,
                model="agency",
            )
            departments = self.children(head, staff)
            for index, code in enumerate(departments):
                late = index >= len(departments) - (2 if head == "BTTM" else 1)
                ad(
                    code,
                    span("2023-07", "2025-09") if late else span("2015-06", "2021-06"),
                    base={"internal": (25, 45)},
                    announce_p=0.6,
                    model="agency",
                )
        for code in ("TCHC-BV354", "TCHC-BV105"):
            ad(code, span("2014-09", "2016-12"), base={"internal": (80, 130)}, announce_p=0.5)
        ad("TCKT-TSQKT", span("2016-01", "2018-06"), base={"internal": (40, 65)}, announce_p=0.5)
        ad(
            "TCHCKT",
            span("2026-02", "2026-06"),
            building=span("2025-05", "2025-08"),
            base={"internal": (50, 70)},
            not_before=date(2025, 3, 1),
            model="agency",
        )

        self.defence_industry()

        # Military regions: headquarters, hospitals, schools.
        for region in REGION_UNITS:
            ad(
                region,
                span("2015-01", "2019-06"),
                base={"tthc": (0, 3), "internal": (38, 60)},
                announce_p=0.7,
                model="agency",
            )
            ad(
                f"{region}-BV{REGION_UNITS[region][0]}",
                span("2014-07", "2018-06"),
                base={"internal": (70, 120)},
                announce_p=0.5,
            )
            late = region in ("QK5", "QK9")
            ad(
                f"{region}-TQS",
                span("2023-08", "2025-05") if late else span("2017-01", "2021-06"),
                base={"internal": (30, 50)},
                announce_p=0.4,
            )

        # Provincial military commands: Military Region 2's all by 2022; eight elsewhere later.
        commands = list(self.provinces.values())
        elsewhere = [p.code for p in commands if p.region != "QK2"]
        late = set(self.rng.sample(elsewhere, 8))
        for province in commands:
            when = (
                span("2023-06", "2024-12") if province.code in late else span("2014-07", "2022-12")
            )
            if province.region == "QK2":
                when = span("2015-01", "2022-06")
            ad(
                province.command,
                when,
                base={"tthc": (4, 10), "internal": (26, 46)},
                announce_p=0.75,
                model="province",
            )

        self.border_guard_histories()

        # Services, arms, commands, corps, their schools.
        for code, when in (
            ("QCHQ", "2016"),
            ("QCPKKQ", "2017"),
            ("QCHQ-HV", "2015"),
            ("QCPKKQ-HV", "2015"),
            ("QCPKKQ-TSQKQ", "2016"),
            ("QCPKKQ-VYH", "2017"),
            ("QCHQ-V1", "2019"),
            ("QCHQ-V2", "2020"),
            ("QCHQ-V3", "2021"),
            ("BTLCSB", "2017"),
            ("BTLCSB-V1", "2020"),
            ("BTLCSB-V2", "2022"),
            ("BTL86", "2019"),
            ("BTLBVL", "2018"),
            ("BCPB", "2016"),
            ("BCCB", "2016"),
            ("BCTTLL", "2017"),
            ("BCHH", "2018"),
            ("BCTTG", "2019"),
            ("BCDC", "2024"),
            ("BCPB-TSQ", "2015"),
            ("BCCB-TSQ", "2016"),
            ("BCTTLL-TSQ", "2016"),
            ("BCHH-TSQ", "2017"),
            ("BCTTG-TSQ", "2018"),
            ("BCDC-TSQ", "2019"),
            ("QD1", "2018"),
            ("QD3", "2019"),
        ):
            kind = self.kinds[code]
            size = (50, 90) if kind in ("academy", "school") else (30, 55)
            ad(
                code,
                span(f"{when}-01", f"{when}-12"),
                base={"internal": size},
                announce_p=0.6,
                model="agency",
            )
        ad(
            "QD12",
            span("2024-10", "2025-03"),
            building=span("2024-03", "2024-06"),
            base={"internal": (40, 60)},
            not_before=date(2023, 11, 21),
            model="agency",
        )
        ad(
            "QD34",
            span("2025-10", "2026-03"),
            building=span("2025-03", "2025-05"),
            base={"internal": (40, 60)},
            not_before=date(2024, 12, 10),
            model="agency",
        )

        # Academies, schools, hospitals, institutes, enterprises.
        for code in ("HVQP", "HVLQ", "HVCT", "HVKTQS", "HVQY", "HVHC", "HVKHQS"):
            ad(code, span("2014-07", "2017-06"), base={"internal": (65, 110)}, announce_p=0.8)
        for code in ("HVQY-BV103", "HVQY-VBONG", "BV108", "BV175", "VYHCT"):
            ad(code, span("2014-07", "2016-12"), base={"internal": (100, 160)}, announce_p=0.6)
        for code in ("TSQLQ1", "TSQLQ2", "TSQCT"):
            ad(code, span("2015-01", "2018-06"), base={"internal": (45, 70)}, announce_p=0.6)
        ad("VKHCNQS", span("2016-01", "2016-12"), base={"internal": (30, 45), "product": (3, 8)})
        ad("VCLQP", span("2018-01", "2018-12"), base={"internal": (25, 40)})
        ad("TTNDVN", span("2017-01", "2017-12"), base={"internal": (25, 40)})
        ad("VLSQS", span("2024-03", "2024-12"), base={"internal": (20, 30)}, model="agency")
        enterprises = [c for c, k in self.kinds.items() if k == "enterprise"]
        lapses = {
            "TCT-319": (date(2021, 10, 1), date(2022, 9, 12), date(2023, 6, 20)),
            "TCT-THAISON": (date(2022, 3, 15), date(2023, 2, 6), date(2023, 9, 25)),
        }
        for code in enterprises:
            if code.startswith("TCCNQP-"):
                continue
            ad(
                code,
                span("2014-06", "2018-12"),
                base={"internal": (35, 70), "product": (5, 18)},
                transition_by=date(2021, 3, 31),
                lapse=lapses.get(code),
            )

        self.district_histories()
        # Regional defence commands: from the second half of 2025.
        regional = [c for c, k in self.kinds.items() if k == "regional-defence-command"]
        for code in self.rng.sample(regional, 100):
            ad(
                code,
                span("2026-03-01", "2027-12-31"),
                base={"tthc": (2, 6), "internal": (15, 28)},
                consultant=False,
                not_before=DISTRICTS_END,
                model="district",
            )
        for code in sorted(set(self.border_guard.values()) - set(self.plans)):
            ad(
                code,
                span("2026-06", "2027-03"),
                base={"tthc": (1, 3), "internal": (22, 35)},
                consultant=False,
                not_before=PROVINCES_MERGE,
                model="border",
            )

    def defence_industry(self) -> None:
        """Every unit applying by 2019 and on :2015 before 2020-12-15; 26 announced by then."""
        units = ["TCCNQP", *self.children("TCCNQP")]
        kinds = {code: self.kinds[code] for code in units}
        never = {c for c, k in kinds.items() if k in ("institute", "enterprise", "school")}
        after = {"TCCNQP-Z195", "TCCNQP-Z199"}  # announced in 2021-2022
        deadline = DEFENCE_INDUSTRY_DAY - timedelta(15)
        for code in units:
            kind = kinds[code]
            base: Base = {"internal": (8, 13)}
            if kind == "factory":
                base = {"internal": (5, 9), "product": (8, 12)}
            elif kind == "institute":
                base = {"internal": (7, 11), "product": (1, 4)}
            elif kind == "enterprise":
                base = {"internal": (8, 12), "product": (5, 9)}
            announce = None
            if code in after:
                announce = span("2021-03", "2022-12")
            elif code not in never:
                announce = (START, deadline)
            self.adopt(
                code,
                span("2014-08", "2019-06"),
                base=base,
                announce=announce,
                transition_by=deadline - timedelta(30),
                model="agency",
            )
            if code == "TCCNQP" or (kind == "factory" and self.rng.random() < 0.3):
                # the Ministry's inspection of December 2021
                inspected = date(2021, 12, self.rng.randint(6, 17))
                self.plans[code].audits.append((inspected, "inspection", self.rng.randint(0, 5)))

    def border_guard_histories(self) -> None:
        ad = self.adopt
        ad(
            "BDBP",
            span("2015-06", "2015-12"),
            base={"tthc": (4, 8), "internal": (40, 60)},
            announce_p=1.0,
            model="border",
        )
        ad(
            "BDBP-CCK",
            span("2016-01", "2016-12"),
            base={"tthc": (10, 14), "internal": (20, 30)},
            announce_p=1.0,
        )
        ad("BDBP-HV", span("2016-01", "2016-12"), base={"internal": (60, 90)}, announce_p=0.8)
        ad("BDBP-TC1", span("2017-01", "2017-12"), base={"internal": (40, 60)}, announce_p=0.5)
        ad("BDBP-CPCMT", span("2019-01", "2019-12"), base={"internal": (25, 40)})
        guards = [p.code for p in self.provinces.values() if p.border_guard]
        late = set(self.rng.sample(guards, 8))
        for province in guards:
            when = span("2023-06", "2025-05") if province in late else span("2016-01", "2022-12")
            ad(
                f"BP-{province}",
                when,
                base={"tthc": (0, 3), "internal": (22, 38)},
                announce_p=0.7,
                model="border",
            )

    def district_histories(self) -> None:
        """Pilots from 2018, more after the April 2023 conference, and Military Region 2's 27
        district commands building or applying :2015 in mid-2024; none kept past 2025-06-14."""
        ad = self.adopt
        others: list[str] = []
        for province in self.provinces.values():
            codes = [code for code, _ in province.districts]
            if province.region == "QK2":
                for code in self.rng.sample(codes, MR2_DISTRICTS // 9):
                    early = self.rng.random() < 0.45
                    ad(
                        code,
                        span("2024-05-15", "2024-06-28")
                        if early
                        else span("2024-07-15", "2024-12-31"),
                        building=span("2024-02-01", "2024-05-10"),
                        announce_p=0.5,
                        base={"tthc": (3, 7), "internal": (12, 20)},
                        consultant=False,
                        model="district",
                    )
            else:
                others.extend(codes)
        chosen = self.rng.sample(others, 135)
        for code in chosen[:55]:
            ad(
                code,
                span("2018-06", "2023-04-10"),
                base={"tthc": (3, 7), "internal": (12, 22)},
                announce_p=0.4,
                model="district",
            )
        for code in chosen[55:]:
            ad(
                code,
                span("2024-01", "2025-12"),
                base={"tthc": (3, 7), "internal": (12, 22)},
                consultant=False,
                not_before=date(2023, 5, 1),
                announce_p=0.3,
                model="district",
            )

    # ------------------------------------------------------------------ calibration

    def live_on(self, code: str, day: date) -> bool:
        return self.ends.get(code, date.max) > day

    def below(self, root: str, day: date) -> list[str]:
        """``root`` and the units below it on ``day``, a day before any unit had moved."""
        assert day < CENTRAL_MERGERS[0][-1], "calibration dates come before the first move"
        found, todo = [root], [root]
        while todo:
            parent = todo.pop()
            for code, above in self.initial_parents.items():
                if above == parent:
                    found.append(code)
                    todo.append(code)
        return found

    def calibrate(self) -> None:
        """Shift procedure counts so the report gives the published figures on their dates."""
        industry = [c for c in self.below("TCCNQP", DEFENCE_INDUSTRY_DAY) if c in self.plans]
        self.shift(industry, "product", DEFENCE_INDUSTRY_DAY, DEFENCE_INDUSTRY_PRODUCT, 1)
        internal = DEFENCE_INDUSTRY_PROCEDURES - DEFENCE_INDUSTRY_PRODUCT
        self.shift(industry, "internal", DEFENCE_INDUSTRY_DAY, internal, 3)
        guards = [c for c in self.below("BDBP", MINISTRY_DAY) if c in self.plans]
        self.shift(guards, "tthc", MINISTRY_DAY, BORDER_GUARD_TTHC, 0)
        # Ministry-wide: the internal counts of the units outside the Defence Industry that are
        # applying by then.
        everyone = [c for c in self.plans if self.live_on(c, MINISTRY_DAY)]
        total = sum(sum(self.plans[c].counts_at(MINISTRY_DAY).values()) for c in everyone)
        others = [c for c in everyone if c not in industry]
        internal_now = sum(self.plans[c].counts_at(MINISTRY_DAY)["internal"] for c in others)
        target = internal_now + MINISTRY_PROCEDURES - total
        self.shift(others, "internal", MINISTRY_DAY, target, 8)

    def shift(self, codes: list[str], category: str, day: date, target: int, floor: int) -> None:
        """Change the base count of ``category`` of the units in ``codes`` (those applying on
        ``day`` and already counting it), one at a time in turn, until their counts on ``day``
        add up to ``target``, never taking a unit's count below ``floor``."""
        plans = [
            self.plans[c]
            for c in sorted(codes)
            if self.plans[c].applying is not None
            and self.plans[c].applying <= day
            and (self.plans[c].base.get(category, 0) > 0 or floor == 0)
        ]
        gap = target - sum(p.counts_at(day)[category] for p in plans)
        step = 1 if gap > 0 else -1
        while gap:
            moved = False
            for plan in plans:
                if not gap:
                    break
                if step < 0 and plan.lowest(category) - 1 < floor:
                    continue
                plan.base[category] = plan.base.get(category, 0) + step
                gap -= step
                moved = True
            assert moved, f"cannot reach {target} {category} on {day}"

    # ------------------------------------------------------------------ changesets

    def qms_changesets(self) -> None:
        """One changeset per year of QMS reports, recorded in the January after it."""
        by_year: dict[int, list[Draft]] = {}
        for code in sorted(self.plans):
            for draft in self.plans[code].drafts():
                by_year.setdefault(draft.on.year, []).append(draft)
        for year, drafts in sorted(by_year.items()):
            drafts.sort(key=lambda d: (d.on, d.unit))
            recorded = _at(year + 1, 1, 12) if year < END.year else _at(END.year, 11, 3)
            self.changeset(recorded, f"isotrack import bao-cao-htqlcl-{year}.xlsx", drafts)

    def targets(self) -> None:
        """The Ministry's targets, exactly as ``isotrack target install`` writes them."""
        with tempfile.TemporaryDirectory() as folder:
            tracker = Tracker(
                Store(Path(folder) / "targets.json"),
                load_catalog(None),
                today=END,
                now=_at(2023, 4, 21),
                command="isotrack target install",
            )
            result = tracker.install_targets(load_targets(None), None, dry_run=True)
        drafts = [Draft("", e.type, date.fromisoformat(e.on), e.data) for e in result.events]
        self.changeset(_at(2023, 4, 21, 9), "isotrack target install", drafts)

    def records(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Events and changesets as stored, in the order they were recorded."""
        events: list[dict[str, Any]] = []
        changesets: list[dict[str, Any]] = []
        for recorded, command, drafts in sorted(self.changesets, key=lambda c: c[0]):
            changeset = self.new_id()
            stamped = stamp(drafts, changeset=changeset, recorded=recorded, ids=self.new_id)
            events.extend(e.to_record() for e in stamped)
            record = Changeset(
                id=changeset,
                recorded=recorded.isoformat(timespec="microseconds"),
                command=command,
                events=len(stamped),
                sample=True,
            ).to_record()
            changesets.append(record)
        return events, changesets

    def build(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        self.structure()
        self.initial_parents = dict(self.parents)
        self.reorganisations()
        self.histories()
        self.calibrate()
        self.qms_changesets()
        self.targets()
        return self.records()


def _at(year: int, month: int, day: int, hour: int = 8) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


def _next_day(on: date) -> datetime:
    following = on + timedelta(days=1)
    return _at(following.year, following.month, following.day)


def _seat(names: list[str]) -> str:
    """The place a regional defence command is named after: the first city or town of its
    group, else its first district."""
    places = [name.removeprefix("Ban Chỉ huy quân sự ").split(" (")[0] for name in names]
    for place in places:
        for kind in ("thành phố ", "thị xã "):
            if place.startswith(kind):
                return place.removeprefix(kind)
    first = places[0].removeprefix("huyện ")
    if first.startswith("quận "):
        rest = first.removeprefix("quận ")
        return f"Quận {rest}" if rest.isdigit() else rest
    return first


def span(first: str, last: str) -> Range:
    """A range of days from month or day strings: ``span("2015-03", "2019-12")`` runs from
    2015-03-01 to 2019-12-31."""
    start = date.fromisoformat(first if len(first) == 10 else f"{first}-01")
    if len(last) == 10:
        return start, date.fromisoformat(last)
    year, month = map(int, last.split("-"))
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def generate(out: Path = OUT) -> dict[str, Any]:
    """Write the sample to ``out``, check it, and return the calibration figures."""
    events, changesets = Sample().build()
    write_event_file(out, events, changesets)
    return check(out)


def check(path: Path) -> dict[str, Any]:
    """Fold the file as isotrack does; fail on any anomaly; the figures the report shows."""
    from isotrack.eventfile import read_event_file

    records, _ = read_event_file(path)
    events = [Event.from_record(record) for record in records]
    catalog = load_catalog(None)
    registry = fold_events(events)
    errors = [a.message for a in registry.anomalies]
    assert not errors, errors[:5]
    unknown = {u.kind for u in registry.units.values()} - set(catalog.kinds)
    assert not unknown, unknown
    assert all(u.name == unicodedata.normalize("NFC", u.name) for u in registry.units.values())

    def at(day: date) -> Registry:
        return fold_events(events, day.isoformat())

    def scope(registry: Registry, root: str | None) -> list[Any]:
        units = registry.live()
        if root is None:
            return units
        below = registry.subtree(root)
        return [u for u in units if u.code in below]

    figures: dict[str, Any] = {"events": len(events), "bytes": path.stat().st_size}
    reg = at(MINISTRY_DAY)
    ministry = totals(scope(reg, None))
    figures["ministry_2023_qms"] = ministry.by_stage["applying"] + ministry.by_stage["announced"]
    figures["ministry_2023_procedures"] = ministry.procedures["total"]
    figures["border_guard_2023_tthc"] = totals(scope(reg, "BDBP")).procedures["tthc"]
    reg = at(DEFENCE_INDUSTRY_DAY)
    industry = totals(scope(reg, "TCCNQP"))
    figures["industry_2020"] = {
        "units": industry.units,
        "by_stage": {k: v for k, v in industry.by_stage.items() if v},
        "by_edition": industry.by_edition,
        "procedures": industry.procedures,
    }
    reg = at(MR2_DAY)
    mr2 = scope(reg, "QK2")
    figures["mr2_2024_districts"] = sum(
        1
        for u in mr2
        if u.kind == "district-command"
        and u.stage in ("building", "applying")
        and u.edition == "2015"
    )
    figures["mr2_2024_provinces"] = sorted(
        (u.code, u.stage, u.edition) for u in mr2 if u.kind == "provincial-command"
    )
    on_2008 = [
        u.code for u in at(date(2021, 7, 1)).live() if u.edition == "2008" and u.stage != "none"
    ]
    figures["on_2008_after_deadline"] = on_2008
    kinds = Counter(u.kind for u in at(date(2025, 6, 30)).live())
    after = Counter(u.kind for u in at(PROVINCES_MERGE).live())
    figures["provincial_commands"] = (kinds["provincial-command"], after["provincial-command"])
    figures["regional_commands"] = after["regional-defence-command"]
    figures["district_commands_after"] = after["district-command"]
    final = at(END)
    figures["regional_with_qms"] = Counter(
        u.stage for u in final.live() if u.kind == "regional-defence-command"
    )
    figures["units_today"] = len(final.live())
    live_names = {u.code: name_key(u.name) for u in final.live()}
    assert len(set(live_names.values())) == len(live_names), "two live units share a name"

    assert 280 <= figures["ministry_2023_qms"] <= 300, figures["ministry_2023_qms"]
    assert 11_000 <= figures["ministry_2023_procedures"] <= 11_300
    assert figures["border_guard_2023_tthc"] == BORDER_GUARD_TTHC
    assert industry.by_edition == {"2015": industry.units}
    assert industry.by_stage["announced"] == DEFENCE_INDUSTRY_ANNOUNCED
    assert industry.by_stage["applying"] + industry.by_stage["announced"] == industry.units
    assert industry.procedures["total"] == DEFENCE_INDUSTRY_PROCEDURES
    assert industry.procedures["product"] == DEFENCE_INDUSTRY_PRODUCT
    assert figures["mr2_2024_districts"] == MR2_DISTRICTS
    assert all(e == "2015" and s != "none" for _, s, e in figures["mr2_2024_provinces"])
    assert not on_2008
    assert figures["provincial_commands"] == (63, 34)
    assert figures["regional_commands"] == REGIONAL_COMMANDS
    assert figures["district_commands_after"] == 0
    return figures


if __name__ == "__main__":
    result = generate()
    for key, value in result.items():
        print(f"{key}: {value}")
