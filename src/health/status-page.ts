import type { NodeRow, StatusView } from './status-view';

/** How often the page reloads itself. */
export const STATUS_REFRESH_SECONDS = 5;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values in HTML: node ids, addresses and peers' error messages come from outside. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * The status page: /kv-store/v1/health for a person. Plain HTML rendered here,
 * styles inline, no script; it reloads itself every few seconds.
 */
export function renderStatusPage(view: StatusView): string {
  const title = `kv-store · ${view.nodeId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${STATUS_REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 62rem; padding: 0 1rem; color: #1d232a; background: #fafbfc; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
  .sub { color: #5b6570; margin: 0 0 1.5rem; }
  .badge { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600; font-size: .85rem; vertical-align: middle; }
  .good { background: #d8f3df; color: #135c2a; }
  .bad { background: #fbdcdc; color: #8a1c1c; }
  .warn { background: #fdf0c8; color: #6b4e00; }
  .none { background: #e9ecef; color: #5b6570; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; }
  .card { background: #fff; border: 1px solid #dde2e7; border-radius: .5rem; padding: .75rem 1rem; }
  .card .label { color: #5b6570; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 1.35rem; font-weight: 600; margin-top: .15rem; }
  .card .note { color: #5b6570; font-size: .85rem; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #dde2e7; border-radius: .5rem; }
  th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid #eef1f4; }
  th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: #5b6570; }
  td.num { font-variant-numeric: tabular-nums; }
  .error { color: #8a1c1c; font-size: .85rem; }
  footer { color: #5b6570; font-size: .85rem; margin-top: 2rem; }
  a { color: #1b5fb4; }
</style>
</head>
<body>
<h1>${escapeHtml(title)} ${overallBadge(view)}</h1>
<p class="sub">What this node sees of the cluster. Refreshes every ${STATUS_REFRESH_SECONDS} s.</p>
<div class="cards">
${quorumCard(view)}
${databaseCard(view)}
${ratesCards(view)}
${longPollsCard(view)}
</div>
<h2>Nodes</h2>
<table id="nodes">
<thead><tr><th>Node</th><th>Address</th><th>Reachable</th><th>Voting</th><th>Ready</th><th>Round trip</th><th>Last answer</th></tr></thead>
<tbody>
${view.nodes.map(nodeRow).join('\n')}
</tbody>
</table>
<footer>
Generated ${escapeHtml(view.generatedAt.toISOString())}. A peer is ready when it answers, votes and is not leaving, as this node sees it.
The same as JSON: <a href="/kv-store/v1/health">/kv-store/v1/health</a>; for Prometheus: <a href="/metrics">/metrics</a>.
</footer>
</body>
</html>
`;
}

function overallBadge(view: StatusView): string {
  if (view.status === 'shutting_down') return badge('warn', 'shutting down');
  return view.healthy ? badge('good', 'healthy') : badge('bad', 'unhealthy');
}

function quorumCard(view: StatusView): string {
  const quorum = view.quorum;
  if (quorum === null) return card('Quorum', 'unknown', '');
  return card(
    'Quorum',
    `${quorum.voting} of ${quorum.clusterSize} voting ${quorum.up ? badge('good', 'up') : badge('bad', 'down')}`,
    `${quorum.needed} needed`,
  );
}

function databaseCard(view: StatusView): string {
  const database = view.database;
  if (database === null) return card('Database', 'unknown', '');
  return card(
    'Database',
    database.up ? badge('good', 'up') : badge('bad', 'down'),
    database.message === null ? '' : escapeHtml(database.message),
  );
}

function ratesCards(view: StatusView): string {
  const rates = view.rates;
  if (rates === null) return card('Requests', 'measuring…', 'key-value API, this node');
  const window = `key-value API, this node, last ${rates.windowSeconds} s`;
  return [
    card('Requests', `${perSecond(rates.requests)}/s`, window),
    card(
      'Server errors',
      `${perSecond(rates.serverErrors)}/s`,
      `5xx; client errors (4xx): ${perSecond(rates.clientErrors)}/s`,
    ),
  ].join('\n');
}

function longPollsCard(view: StatusView): string {
  const longPolls = view.longPolls;
  if (longPolls === null) return '';
  return card('Long polls', `${longPolls.open}`, `open, of ${longPolls.max} allowed`);
}

function nodeRow(node: NodeRow): string {
  const name = node.self ? `<strong>${escapeHtml(node.id)}</strong> (this node)` : escapeHtml(node.id);
  const leaving = node.leaving ? ` ${badge('warn', 'leaving')}` : '';
  const error = node.error === null ? '' : `<div class="error">${escapeHtml(node.error)}</div>`;
  return `<tr data-node="${escapeHtml(node.id)}"><td>${name}${leaving}</td><td>${node.url === null ? '—' : escapeHtml(node.url)}</td><td>${yesNo(node.reachable)}${error}</td><td>${yesNo(node.voting)}</td><td>${yesNo(node.ready)}</td><td class="num">${node.roundTripMs === null ? '—' : `${node.roundTripMs.toFixed(1)} ms`}</td><td class="num">${node.lastSeenMsAgo === null ? '—' : `${(node.lastSeenMsAgo / 1000).toFixed(1)} s ago`}</td></tr>`;
}

function yesNo(value: boolean | null): string {
  if (value === null) return badge('none', 'unknown');
  return value ? badge('good', 'yes') : badge('bad', 'no');
}

/** `kind` and `text` are ours, never input. */
function badge(kind: 'good' | 'bad' | 'warn' | 'none', text: string): string {
  return `<span class="badge ${kind}">${text}</span>`;
}

/** `value` is HTML already (escaped where it holds input). */
function card(label: string, value: string, note: string): string {
  return `<div class="card"><div class="label">${label}</div><div class="value">${value}</div><div class="note">${note}</div></div>`;
}

function perSecond(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}
