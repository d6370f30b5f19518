"""The report as an XLSX workbook: one sheet per view, for pasting into official documents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from isotrack.i18n import stage_label, t
from isotrack.render.coverage import successor_note
from isotrack.render.report import TARGET_COLUMNS, day, period_lines, status
from isotrack.report import Report
from isotrack.text import safe_cell


def write_xlsx(report: Report, lang: str, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = t("report.totals", lang)[:31]
    bold = Font(bold=True)

    def rows(sheet: Any, values: Sequence[Sequence[object]], header: bool = True) -> None:
        for index, row in enumerate(values):
            sheet.append([safe_cell(v) for v in row])
            if header and index == 0:
                for cell in sheet[sheet.max_row]:
                    cell.font = bold

    meta = [[t("report.title", lang)], [t("report.as_of", lang), day(report.as_of, lang)]]
    if report.under:
        meta.append([t("report.under", lang), report.under])
    if report.illustrative:
        meta.append([t("report.illustrative", lang)])
    meta += [
        [t("report.hash", lang), report.content_hash],
        [t("report.command", lang), report.command],
        [],
    ]
    rows(summary, meta)
    rows(
        summary,
        [[t("col.stage", lang), t("report.units", lang)]]
        + [[stage_label(s, lang), n] for s, n in report.totals.by_stage.items()]
        + [[t("proc.total", lang), report.totals.units], []],
    )
    rows(
        summary,
        [[t("col.edition", lang), t("report.units", lang)]]
        + [[e, n] for e, n in report.totals.by_edition.items()]
        + [[]],
    )
    rows(
        summary,
        [[t("report.procedures", lang), ""]]
        + [[t("proc." + k, lang), v] for k, v in report.totals.procedures.items()],
    )

    targets = book.create_sheet(t("report.targets", lang)[:31])
    heads = [*TARGET_COLUMNS, "target.policy", "target.missing"]
    rows(
        targets,
        [[t(h, lang) for h in heads]]
        + [
            [
                c.target.name,
                c.covered,
                c.population,
                round(c.share, 4),
                c.target.share,
                day(c.target.deadline, lang),
                status(c, lang),
                c.pace_needed_per_year,
                c.pace_observed_per_year,
                day(c.projected, lang),
                successor_note(c, lang),
                ", ".join(c.missing),
            ]
            for c in report.targets
        ],
    )

    tree = book.create_sheet(t("report.tree", lang)[:31])
    rows(
        tree,
        [
            [
                t("col.code", lang),
                t("col.name", lang),
                t("col.kind", lang),
                t("col.stage", lang),
                t("col.edition", lang),
                t("report.units", lang),
                t("report.with_qms", lang),
                t("col.procedures", lang),
            ]
        ]
        + [
            [
                "  " * r.depth + r.code,
                r.name,
                r.kind,
                stage_label(r.stage, lang),
                r.edition or "",
                r.units,
                r.with_qms,
                r.procedures,
            ]
            for r in report.tree
        ],
    )

    if report.period:
        period = book.create_sheet(t("report.period", lang)[:31])
        rows(period, [[line.strip()] for line in period_lines(report, lang)])
    book.save(path)
