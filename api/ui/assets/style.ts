// The web UI's one stylesheet, served at a content-hashed URL (assets.ts). No external fonts or images.
export const STYLE_CSS = `
:root {
  --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --link: #0550ae;
  --ok: #1a7f37; --ok-bg: #dafbe1; --active: #0969da; --active-bg: #ddf4ff; --bad: #cf222e; --bad-bg: #ffebe9;
  --warn: #9a6700; --warn-bg: #fff8c5; --idle: #57606a; --idle-bg: #eaeef2;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #30363d; --link: #4493f8;
    --ok: #3fb950; --ok-bg: #12261e; --active: #4493f8; --active-bg: #121d2f; --bad: #f85149; --bad-bg: #25171c;
    --warn: #d29922; --warn-bg: #272115; --idle: #9198a1; --idle-bg: #21262d;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.5rem; z-index: 10; }
header.top { background: var(--panel); border-bottom: 1px solid var(--line); }
nav.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; max-width: 80rem; margin: 0 auto; padding: 0.6rem 1rem; }
nav.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
nav.top a[aria-current="page"] { font-weight: 600; color: var(--fg); }
nav.top .session { margin-left: auto; display: flex; gap: 0.5rem; align-items: center; }
main { max-width: 80rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
.scroll { overflow-x: auto; }
.muted { color: var(--muted); }
.state { display: inline-block; padding: 0 0.5rem; border-radius: 1rem; font-size: 0.85em; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.tone-ok { color: var(--ok); } .tone-active { color: var(--active); } .tone-bad { color: var(--bad); }
.tone-warn { color: var(--warn); } .tone-idle { color: var(--idle); }
table.grid td.cell { white-space: nowrap; }
table.grid td.cell.tone-ok { background: var(--ok-bg); } table.grid td.cell.tone-active { background: var(--active-bg); }
table.grid td.cell.tone-bad { background: var(--bad-bg); } table.grid td.cell.tone-warn { background: var(--warn-bg); }
table.grid td.cell.tone-idle { background: var(--idle-bg); }
table.grid td.cell a { color: inherit; text-decoration: none; font-weight: 600; }
table.grid td.cell a:hover, table.grid td.cell a:focus { text-decoration: underline; }
table.grid .cell-time { font-weight: 400; color: var(--muted); margin-left: 0.3rem; }
table.grid .cell-test { display: block; font-size: 0.85em; }
table.grid .cell-note { display: block; font-size: 0.85em; }
table.grid .cell-test.tone-bad { font-weight: 600; } table.grid .cell-test.tone-ok { color: var(--muted); }
table.grid td.none { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.75rem 0; }
form.inline { display: inline; margin: 0; }
button, .button { font: inherit; padding: 0.25rem 0.75rem; border: 1px solid var(--line); border-radius: 0.4rem; background: var(--panel); color: var(--fg); cursor: pointer; }
button.small { padding: 0 0.4rem; font-size: 0.8em; margin-left: 0.3rem; }
button.danger { color: var(--bad); border-color: var(--bad); }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--active); outline-offset: 2px; }
input, select { font: inherit; padding: 0.25rem 0.4rem; border: 1px solid var(--line); border-radius: 0.3rem; background: var(--bg); color: var(--fg); }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85em; color: var(--muted); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--active); background: var(--panel); padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
.notice.error { border-left-color: var(--bad); }
pre.log { background: var(--panel); border: 1px solid var(--line); padding: 0.75rem; overflow: auto; max-height: 75vh; white-space: pre-wrap; word-break: break-all; }
pre.command { background: var(--panel); border: 1px solid var(--line); padding: 0.5rem 0.75rem; overflow-x: auto; }
.pager { display: flex; gap: 1rem; margin: 0.75rem 0; }
ol.feed { list-style: none; padding: 0; } ol.feed li { padding: 0.35rem 0; border-bottom: 1px solid var(--line); }
ul.failures li { margin: 0.25rem 0; }
`;
