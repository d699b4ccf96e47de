"""The report's embedded style sheet: screen reading and print (page breaks, repeated table heads)."""

from __future__ import annotations

CSS = """
:root {
  --ink: #1f1f1f; --muted: #5c5c5c; --rule: #9a9a9a; --light: #e6e6e6;
  --accent: #0072B2; --warn: #D55E00; --note-bg: #f3f7fb; --warn-bg: #fdf3ec;
}
* { box-sizing: border-box; }
html { font-size: 15px; }
body {
  margin: 0 auto; max-width: 62rem; padding: 2rem 1.5rem 4rem; color: var(--ink);
  font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; line-height: 1.45;
  background: #fff;
}
h1 { font-size: 1.75rem; margin: 0 0 .25rem; line-height: 1.2; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .8rem; padding-bottom: .2rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.08rem; margin: 1.6rem 0 .5rem; }
p { margin: .5rem 0; }
.subtitle { font-size: 1.1rem; color: var(--muted); margin: 0 0 .4rem; }
.generated { color: var(--muted); font-size: .88rem; margin: 0; }
.banner {
  border: 2px solid var(--warn); color: var(--warn); font-weight: bold; text-align: center;
  padding: .3rem .6rem; margin: 0 0 1.2rem; letter-spacing: .02em;
}
nav.toc { margin: 1.5rem 0 0; font-size: .95rem; }
nav.toc h2 { font-size: 1.05rem; border: 0; margin: 0 0 .3rem; }
nav.toc ol { margin: 0; padding-left: 1.4rem; }
a { color: var(--accent); }
figure.report-figure { margin: 1.4rem 0; }
figure.report-figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption, table.report-table caption {
  font-size: .9rem; color: var(--ink); text-align: left; margin-top: .4rem;
}
.label { font-weight: bold; }
.downloads { font-size: .8rem; color: var(--muted); margin-left: .4rem; }
.downloads a { color: var(--muted); }
.table-wrap { overflow-x: auto; margin: 1.4rem 0; }
table.report-table {
  border-collapse: collapse; font-size: .88rem; font-variant-numeric: tabular-nums;
  border-top: 1.5px solid var(--ink); border-bottom: 1.5px solid var(--ink);
}
table.report-table caption { caption-side: top; margin: 0 0 .4rem; }
table.report-table th {
  text-align: left; font-weight: bold; border-bottom: 1px solid var(--ink);
  padding: .3rem .7rem; vertical-align: bottom;
}
table.report-table td { padding: .22rem .7rem; border-bottom: 1px solid var(--light); vertical-align: top; }
table.report-table .num { text-align: right; }
table.report-table td.num { white-space: nowrap; }
table.report-table td.na { color: var(--muted); }
aside.callout {
  border-left: 4px solid var(--accent); background: var(--note-bg); padding: .5rem .9rem; margin: 1rem 0;
}
aside.callout.warning, aside.callout.important { border-left-color: var(--warn); background: var(--warn-bg); }
aside.callout .callout-title { font-weight: bold; margin: 0 0 .2rem; }
table.provenance { border-collapse: collapse; font-size: .85rem; }
table.provenance th {
  text-align: left; padding: .15rem 1rem .15rem 0; color: var(--muted); font-weight: normal;
  white-space: nowrap; vertical-align: top;
}
table.provenance td {
  padding: .15rem 0; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; word-break: break-all;
}
footer {
  margin-top: 3rem; font-size: .8rem; color: var(--muted); border-top: 1px solid var(--light); padding-top: .5rem;
}

@page {
  margin: 16mm 15mm 18mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #5c5c5c; }
}
@page landscape { size: landscape; }
@media print {
  html { font-size: 10.5pt; }
  /* A section holding a wide figure (forest plot) prints on landscape pages, heading included. */
  section.report-section.landscape, figure.report-figure.wide { page: landscape; }
  body { max-width: none; padding: 0; }
  nav.toc { break-after: page; }
  section.report-section.page-break { break-before: page; }
  section.report-section.page-break h2 { margin-top: 0; }
  h2, h3, figcaption, table.report-table caption { break-after: avoid; }
  figure.report-figure, aside.callout, table.provenance tr { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  table.report-table { font-size: 8.5pt; }
  table.report-table tr { break-inside: avoid; }
  table.report-table thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  .downloads { display: none; }
}
"""
