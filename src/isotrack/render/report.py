"""The report as terminal text, JSON, CSV and Markdown. HTML and XLSX have their own modules."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from isotrack.coverage import Coverage
from isotrack.i18n import stage_label, t
from isotrack.render.coverage import (
    bar,
    coverage_json,
    percent,
    population_text,
    requirement,
    short_list,
    successor_note,
)
from isotrack.render.terminal import plain_table
from isotrack.report import Report
from isotrack.text import safe_cell

MISSING_SHOWN = 12
# The columns of a targets table, as label keys (Markdown and XLSX; XLSX adds two).
TARGET_COLUMNS = (
    "target.name",
    "target.covered",
    "target.population",
    "target.share",
    "target.required",
    "target.deadline",
    "col.status",
    "target.pace_needed",
    "target.pace_observed",
    "target.projected",
)


def day(iso_text: str | None, lang: str) -> str:
    if not iso_text:
        return "—"
    from isotrack.dates import format_date

    return format_date(date.fromisoformat(iso_text[:10]), lang)


def status(c: Coverage, lang: str) -> str:
    return t(f"status.{c.status}", lang)


def coverage_line(c: Coverage, lang: str) -> str:
    """One line per target: bar, counts, status, projection."""
    projected = day(c.projected, lang) if c.projected else "—"
    return (
        f"{c.target.name}  {bar(c.share, c.target.share)}  {c.covered}/{c.population} "
        f"{percent(c.share)} / {percent(c.target.share)}  {t('target.deadline', lang)} "
        f"{day(c.target.deadline, lang)}  {status(c, lang)}  {t('target.projected', lang)} "
        f"{projected}"
    )


def coverage_detail(
    c: Coverage, lang: str, kind_labels: dict[str, str] | None = None
) -> Iterator[str]:
    target = c.target
    yield f"{t('target.name', lang)}: {target.name}"
    if target.source:
        yield f"{t('target.source', lang)}: {target.source}"
    yield f"{t('target.population_def', lang)}: {population_text(target, lang, kind_labels)}"
    yield f"{t('target.requirement', lang)}: {requirement(target, lang)}"
    yield f"{t('report.as_of', lang)}: {day(c.as_of, lang)}"
    yield ""
    yield coverage_line(c, lang)
    needed = f"{c.pace_needed_per_year:g}" if c.pace_needed_per_year is not None else "—"
    yield (
        f"{t('target.pace_needed', lang)}: {needed}   {t('target.pace_observed', lang)}: "
        f"{c.pace_observed_per_year:+g}"
    )
    yield ""
    yield f"{t('target.policy', lang)}: {successor_note(c, lang)}"
    if c.missing:
        yield ""
        yield f"{t('target.missing', lang)} ({len(c.missing)}):"
        for code in c.missing:
            yield f"  {code}"


def header(report: Report, lang: str) -> Iterator[str]:
    yield t("report.title", lang)
    yield f"{t('report.as_of', lang)}: {day(report.as_of, lang)}" + (
        f"   {t('report.under', lang)}: {report.under}" if report.under else ""
    )
    if report.illustrative:
        yield t("report.illustrative", lang)
    yield f"{t('report.hash', lang)}: {report.content_hash[:16]}"
    yield f"{t('report.command', lang)}: {report.command}"


def dashboard(report: Report, lang: str) -> Iterator[str]:
    yield from header(report, lang)
    totals = report.totals
    yield ""
    yield f"{t('report.totals', lang)}: {totals.units} {t('list.count', lang)}"
    yield (
        "  "
        + t("report.by_stage", lang)
        + ": "
        + ", ".join(f"{stage_label(s, lang)} {n}" for s, n in totals.by_stage.items() if n)
    )
    if totals.by_edition:
        yield (
            "  "
            + t("report.by_edition", lang)
            + ": "
            + ", ".join(f"{_edition(e, lang)} {n}" for e, n in totals.by_edition.items())
        )
    yield (
        "  "
        + t("report.procedures", lang)
        + ": "
        + ", ".join(f"{t('proc.' + k, lang)} {v}" for k, v in totals.procedures.items())
    )
    yield ""
    yield t("report.targets", lang)
    if not report.targets:
        yield "  " + t("target.none", lang)
    for c in report.targets:
        yield "  " + coverage_line(c, lang)
        if c.count.lineage.replaced or c.count.lineage.dropped or c.count.lineage.kept:
            yield "    " + successor_note(c, lang)
        if c.missing:
            shown = short_list(c.missing, MISSING_SHOWN)
            yield f"    {t('target.missing', lang)}: {shown}"
    if report.period:
        yield ""
        yield from period_lines(report, lang)


def tree_lines(report: Report, lang: str) -> Iterator[str]:
    yield from header(report, lang)
    yield ""
    rows = [
        [
            "  " * row.depth + row.code,
            row.name,
            stage_label(row.stage, lang),
            f"{row.with_qms}/{row.units}",
            percent(row.share),
            str(row.procedures),
        ]
        for row in report.tree
    ]
    headers = [
        t("col.code", lang),
        t("col.name", lang),
        t("col.stage", lang),
        t("report.with_qms", lang),
        "%",
        t("col.procedures", lang),
    ]
    yield from plain_table(headers, rows)


def period_lines(report: Report, lang: str) -> Iterator[str]:
    period = report.period
    if period is None:
        return
    yield f"{t('report.period', lang)}: {day(period.start, lang)} → {day(period.end, lang)}"
    for stage, codes in period.reached.items():
        if codes:
            yield (
                f"  {t('report.reached', lang)} '{stage_label(stage, lang)}' ({len(codes)}): "
                + ", ".join(codes)
            )
    if period.editions:
        yield f"  {t('report.editions', lang)} ({len(period.editions)}): " + ", ".join(
            f"{u} {a or '—'}→{b}" for u, a, b in period.editions
        )
    yield f"  {t('report.procedures_added', lang)}: " + ", ".join(
        f"{t('proc.' + k, lang)} {v:+d}" for k, v in period.procedures_added.items()
    )
    if period.founded:
        yield f"  {t('report.founded', lang)} ({len(period.founded)}): " + ", ".join(period.founded)
    if period.ended:
        yield f"  {t('report.ended', lang)} ({len(period.ended)}): " + ", ".join(
            f"{u} ({how}{' → ' + ', '.join(s) if s else ''})" for u, how, s in period.ended
        )


def report_json(report: Report, lang: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "as_of": report.as_of,
        "under": report.under,
        "illustrative": report.illustrative,
        "content_hash": report.content_hash,
        "command": report.command,
        "totals": report.totals.to_json(),
        "targets": [coverage_json(c, lang) for c in report.targets],
        "tree": [row.to_json() for row in report.tree],
    }
    if report.period:
        data["period"] = report.period.to_json()
    return data


CSV_COLUMNS = (
    "code",
    "name",
    "kind",
    "parent",
    "stage",
    "stage_since",
    "edition",
    "edition_since",
    "consultant",
    "tthc",
    "internal",
    "product",
)


def csv_text(report: Report, lang: str) -> str:
    """One row per live unit in scope, with a column per target: covered, missing or blank."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [c.target.name for c in report.targets]
    writer.writerow([*CSV_COLUMNS, *names])
    status_of = {
        c.target.name: {
            code: ("covered" if code in set(c.count.covered) else "missing")
            for code in c.count.population
        }
        for c in report.targets
    }
    for unit in report.units:
        consultant = (
            unit.consultant
            if unit.consultant_used
            else ("none" if unit.consultant_used is False else "")
        )
        row = [
            unit.code,
            unit.name,
            unit.kind,
            unit.parent or "",
            unit.stage,
            unit.stage_since or "",
            unit.edition or "",
            unit.edition_since or "",
            consultant or "",
            unit.procedures["tthc"],
            unit.procedures["internal"],
            unit.procedures["product"],
        ]
        row += [status_of[name].get(unit.code, "") for name in names]
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def markdown(report: Report, lang: str) -> str:
    lines = [f"# {t('report.title', lang)}", ""]
    lines.append(f"- {t('report.as_of', lang)}: {day(report.as_of, lang)}")
    if report.under:
        lines.append(f"- {t('report.under', lang)}: {report.under}")
    lines.append(f"- {t('report.hash', lang)}: `{report.content_hash[:16]}`")
    lines.append(f"- {t('report.command', lang)}: `{report.command}`")
    if report.illustrative:
        lines += ["", f"> **{t('report.illustrative', lang)}**"]
    totals = report.totals
    lines += [
        "",
        f"## {t('report.totals', lang)}",
        "",
        f"| {t('col.stage', lang)} | {t('report.units', lang)} |",
        "|---|---:|",
    ]
    lines += [f"| {stage_label(s, lang)} | {n} |" for s, n in totals.by_stage.items()]
    lines += [f"| **{t('proc.total', lang)}** | **{totals.units}** |", ""]
    lines += [f"| {t('col.edition', lang)} | {t('report.units', lang)} |", "|---|---:|"]
    lines += [f"| {_edition(e, lang)} | {n} |" for e, n in totals.by_edition.items()]
    lines += ["", f"| {t('report.procedures', lang)} | |", "|---|---:|"]
    lines += [f"| {t('proc.' + k, lang)} | {v} |" for k, v in totals.procedures.items()]
    lines += ["", f"## {t('report.targets', lang)}", ""]
    if report.targets:
        lines.append("| " + " | ".join(t(k, lang) for k in TARGET_COLUMNS) + " |")
        lines.append("|---|---:|---:|---:|---:|---|---|---:|---:|---|")
        for c in report.targets:
            needed = f"{c.pace_needed_per_year:g}" if c.pace_needed_per_year is not None else "—"
            lines.append(
                f"| {c.target.name} | {c.covered} | {c.population} | {percent(c.share)} | "
                f"{percent(c.target.share)} | {day(c.target.deadline, lang)} | {status(c, lang)} "
                f"| {needed} | {c.pace_observed_per_year:+g} | {day(c.projected, lang)} |"
            )
        for c in report.targets:
            lines += ["", f"### {c.target.name}", "", successor_note(c, lang)]
            if c.missing:
                lines += ["", f"{t('target.missing', lang)}: " + ", ".join(c.missing)]
    else:
        lines.append(t("target.none", lang))
    if report.period:
        lines += ["", f"## {t('report.period', lang)}", ""]
        lines += [f"- {line.strip()}" for line in list(period_lines(report, lang))[1:]]
    return "\n".join(lines) + "\n"


def _edition(code: str, lang: str) -> str:
    return t("report.no_edition", lang) if code == "none" else f"ISO 9001:{code}"
