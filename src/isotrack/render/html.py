"""A self-contained HTML report to print on A4: no script, no network resource, the chart
inlined as SVG (drawn by matplotlib)."""

from __future__ import annotations

import html
import io
from datetime import date

from isotrack.i18n import stage_label, t
from isotrack.render.coverage import percent, population_text, requirement, successor_note
from isotrack.render.report import day, period_lines, status
from isotrack.report import Report

STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 11pt; color: #111;
       max-width: 180mm; margin: 0 auto; }
h1 { font-size: 16pt; margin-bottom: 2mm; } h2 { font-size: 13pt; margin-top: 7mm; }
h3 { font-size: 11.5pt; margin-bottom: 1mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
th, td { border: 0.3mm solid #888; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
.meta { font-size: 9pt; color: #444; } .meta code { font-size: 8.5pt; }
.banner { border: 0.5mm solid #b00; color: #b00; padding: 2mm; font-weight: bold; }
.bar { position: relative; width: 35mm; height: 3.5mm; border: 0.3mm solid #555; }
.bar .fill { position: absolute; left: 0; top: 0; bottom: 0; background: #4a7; }
.bar .need { position: absolute; top: -0.8mm; bottom: -0.8mm; border-left: 0.5mm solid #b00; }
.status-met, .status-on-track { color: #161; } .status-at-risk { color: #a60; }
.status-behind, .status-missed { color: #b00; font-weight: bold; }
.chart svg { width: 100%; height: auto; }
.missing { columns: 3; font-size: 9pt; }
@media print { .chart, table, .banner { break-inside: avoid; } h2 { break-after: avoid; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def chart_svg(report: Report, lang: str) -> str:
    """Coverage over time for each target, against its required share and deadline."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable, no font files
    plt.rcParams["svg.hashsalt"] = "isotrack"  # stable ids: the same report twice is the same
    figure, axes = plt.subplots(figsize=(7.0, 3.2), dpi=100)
    try:
        for index, c in enumerate(report.targets):
            if not c.history:
                continue
            colour = f"C{index % 10}"
            xs = [_num(when) for when, _ in c.history]
            ys = [share * 100 for _, share in c.history]
            axes.plot(xs, ys, color=colour, linewidth=1.6, label=c.target.name)
            deadline = _num(c.target.deadline)
            axes.plot(
                [xs[0], deadline],
                [ys[0], c.target.share * 100],
                color=colour,
                linestyle="--",
                linewidth=0.9,
            )
            axes.plot([deadline], [c.target.share * 100], marker="o", color=colour)
        axes.set_ylim(0, 105)
        axes.set_ylabel("%")
        axes.grid(True, linewidth=0.3)
        axes.xaxis.set_major_locator(mdates.YearLocator())  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))  # type: ignore[no-untyped-call]
        axes.set_title(t("report.chart", lang), fontsize=10)
        if any(c.history for c in report.targets):  # a period of one day has no lines
            axes.legend(fontsize=8, loc="upper left")
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _num(iso_day: str) -> float:
    """A date as matplotlib's day number."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(date.fromisoformat(iso_day)))  # type: ignore[no-untyped-call]


def render_html(report: Report, lang: str) -> str:
    """The whole report as one HTML document."""
    parts: list[str] = []
    add = parts.append
    add(f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">')
    add(f"<title>{_e(t('report.title', lang))} — {_e(day(report.as_of, lang))}</title>")
    add(f"<style>{STYLE}</style></head><body>")
    add(f"<h1>{_e(t('report.title', lang))}</h1>")
    scope = f" — {_e(t('report.under', lang))}: {_e(report.under)}" if report.under else ""
    add(
        f"<p><strong>{_e(t('report.as_of', lang))}: {_e(day(report.as_of, lang))}</strong>"
        f"{scope}</p>"
    )
    if report.illustrative:
        add(f'<p class="banner">{_e(t("report.illustrative", lang))}</p>')
    add(
        f'<p class="meta">{_e(t("report.hash", lang))}: <code>{_e(report.content_hash)}'
        f"</code><br>{_e(t('report.command', lang))}: <code>{_e(report.command)}</code></p>"
    )

    totals = report.totals
    add(f"<h2>{_e(t('report.totals', lang))}</h2>")
    add(
        f"<table><tr><th>{_e(t('col.stage', lang))}</th>"
        f"<th class='n'>{_e(t('report.units', lang))}</th></tr>"
    )
    for stage, n in totals.by_stage.items():
        add(f"<tr><td>{_e(stage_label(stage, lang))}</td><td class='n'>{n}</td></tr>")
    add(f"<tr><th>{_e(t('proc.total', lang))}</th><th class='n'>{totals.units}</th></tr></table>")
    add(f"<table><tr><th>{_e(t('report.procedures', lang))}</th><th class='n'></th></tr>")
    for key, value in totals.procedures.items():
        add(f"<tr><td>{_e(t('proc.' + key, lang))}</td><td class='n'>{value}</td></tr>")
    add("</table>")

    add(f"<h2>{_e(t('report.targets', lang))}</h2>")
    if not report.targets:
        add(f"<p>{_e(t('target.none', lang))}</p>")
    else:
        heads = (
            "target.name",
            "target.covered",
            "target.share",
            "target.deadline",
            "col.status",
            "target.pace_needed",
            "target.pace_observed",
            "target.projected",
        )
        add("<table><tr>" + "".join(f"<th>{_e(t(h, lang))}</th>" for h in heads) + "</tr>")
        for c in report.targets:
            fill = min(c.share, 1.0) * 100
            needed = f"{c.pace_needed_per_year:g}" if c.pace_needed_per_year is not None else "—"
            add(
                f"<tr><td>{_e(c.target.name)}</td>"
                f"<td class='n'>{c.covered}/{c.population}</td>"
                f"<td><div class='bar'><div class='fill' style='width:{fill:.1f}%'></div>"
                f"<div class='need' style='left:{c.target.share * 100:.1f}%'></div></div>"
                f"{_e(percent(c.share))} / {_e(percent(c.target.share))}</td>"
                f"<td>{_e(day(c.target.deadline, lang))}</td>"
                f"<td class='status-{_e(c.status)}'>{_e(status(c, lang))}</td>"
                f"<td class='n'>{_e(needed)}</td>"
                f"<td class='n'>{c.pace_observed_per_year:+g}</td>"
                f"<td>{_e(day(c.projected, lang))}</td></tr>"
            )
        add("</table>")
        add(f"<div class='chart'>{chart_svg(report, lang)}</div>")
        for c in report.targets:
            add(f"<h3>{_e(c.target.name)}</h3>")
            population = population_text(c.target, lang, report.kind_labels)
            source = f" {t('target.source', lang)}: {c.target.source}." if c.target.source else ""
            add(f"<p>{_e(population)}; {_e(requirement(c.target, lang))}.{_e(source)}</p>")
            add(f"<p>{_e(successor_note(c, lang))}</p>")
            if c.missing:
                add(f"<p>{_e(t('target.missing', lang))} ({len(c.missing)}):</p>")
                add("<div class='missing'>" + "<br>".join(_e(m) for m in c.missing) + "</div>")

    if report.period:
        lines = list(period_lines(report, lang))
        add(f"<h2>{_e(lines[0])}</h2><ul>")
        add("".join(f"<li>{_e(line.strip())}</li>" for line in lines[1:]))
        add("</ul>")

    add(f"<h2>{_e(t('report.tree', lang))}</h2>")
    add(
        f"<table><tr><th>{_e(t('col.name', lang))}</th><th>{_e(t('col.stage', lang))}</th>"
        f"<th class='n'>{_e(t('report.with_qms', lang))}</th>"
        f"<th class='n'>{_e(t('col.procedures', lang))}</th></tr>"
    )
    for row in report.tree:
        indent = row.depth * 4
        add(
            f"<tr><td style='padding-left:{indent + 1.5}mm'>{_e(row.code)} — {_e(row.name)}</td>"
            f"<td>{_e(stage_label(row.stage, lang))}</td>"
            f"<td class='n'>{row.with_qms}/{row.units}</td>"
            f"<td class='n'>{row.procedures}</td></tr>"
        )
    add("</table></body></html>\n")
    return "\n".join(parts)
