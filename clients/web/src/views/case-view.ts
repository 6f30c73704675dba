import {
  CancelCaseDocument,
  CaseDetailDocument,
  CaseProgress,
  CaseReportDocument,
  RetryToolRunDocument,
  subscribeCaseEvents,
  type CaseDetailQuery,
  type CaseEvent,
  type FindingProgress,
  type ToolProgress,
} from '../../../typescript/src/index.js';
import { FINAL, type AppContext } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { renderMarkdown } from '../markdown-dom.js';

const KINDS = ['HOST', 'IP', 'EMAIL', 'URL', 'ACCOUNT', 'OTHER'] as const;
const KIND_NAMES: Record<string, string> = {
  HOST: 'Hosts',
  IP: 'IP addresses',
  EMAIL: 'Email addresses',
  URL: 'URLs',
  ACCOUNT: 'Accounts',
  OTHER: 'Other',
};
const RETRYABLE = new Set(['FAILED', 'TIMED_OUT', 'CANCELLED']);
const OUTPUT_LINES = 2000;
const FINDING_ROWS = 500;

type Detail = NonNullable<CaseDetailQuery['case']>;

/**
 * One case, live: its tools' progress from the event stream (resumed after drops), findings by
 * kind with the tools behind each, the output, the report, and cancel and retry.
 */
export function caseView(ctx: AppContext, caseId: string): () => void {
  const stop = new AbortController();
  const el = {
    title: h('h1', { id: 'case-title' }, 'Loading…'),
    target: h('p', { id: 'case-target', class: 'hint' }),
    status: h('span', { id: 'case-status', class: 'status' }),
    elapsed: h('span', { id: 'case-elapsed', class: 'hint' }),
    connection: h('span', { id: 'connection', class: 'hint' }),
    cancel: h(
      'button',
      { id: 'cancel-case', class: 'danger', attrs: { type: 'button' } },
      'Cancel',
    ),
    tools: h('tbody', { id: 'tool-progress' }),
    kinds: h('div', { id: 'finding-kinds', class: 'tabs', attrs: { role: 'tablist' } }),
    findings: h('tbody', { id: 'findings' }),
    findingsNote: h('p', { class: 'hint' }),
    output: h('pre', { id: 'output-log', class: 'output' }),
    reportMeta: h('p', { id: 'report-meta', class: 'hint' }, 'No report yet.'),
    report: h('article', { id: 'report', class: 'report' }),
  };
  let progress: CaseProgress | undefined;
  let selectedKind: string | undefined;
  let pickedKind: string | undefined;
  let reportLoaded: string | undefined;
  let drawPending = false;

  replaceChildren(
    ctx.root,
    h(
      'section',
      { class: 'panel' },
      h('p', {}, h('a', { attrs: { href: '#/' } }, '← all cases')),
      el.title,
      el.target,
      h('p', { class: 'case-state' }, el.status, ' ', el.elapsed, ' ', el.connection),
      h('div', { class: 'actions' }, el.cancel),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Tools'),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Tool', 'Status', 'Time', 'Findings', 'Notes', ''].map((t) => h('th', {}, t)),
          ),
        ),
        el.tools,
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Findings'),
      el.kinds,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, 'Value'), h('th', {}, 'Found by'))),
          el.findings,
        ),
      ),
      el.findingsNote,
    ),
    h('section', { class: 'panel' }, h('details', {}, h('summary', {}, 'Output'), el.output)),
    h('section', { class: 'panel' }, h('h2', {}, 'Report'), el.reportMeta, el.report),
  );
  el.cancel.addEventListener('click', () => void cancel());
  const ticker = setInterval(() => drawHeader(), 1000);

  void start();
  return () => {
    stop.abort();
    clearInterval(ticker);
  };

  async function start() {
    let detail: Detail | null;
    try {
      ({ case: detail } = await ctx.client.request(CaseDetailDocument, { id: caseId }));
    } catch (err) {
      ctx.fail(err);
      return;
    }
    if (!detail) {
      el.title.textContent = 'Case not found';
      el.cancel.hidden = true;
      return;
    }
    el.title.textContent = detail.title;
    el.target.textContent = `${detail.target} (${detail.targetKind.toLowerCase()})`;
    progress = new CaseProgress(
      { id: detail.id, title: detail.title, target: detail.target, status: 'QUEUED' },
      detail.toolRuns.map((run) => ({
        tool: run.tool.name,
        runId: run.id,
        status: 'QUEUED',
        findings: 0,
      })),
    );
    draw();
    if (detail.report) void loadReport();
    await follow(progress);
  }

  async function follow(state: CaseProgress) {
    el.connection.textContent = 'live';
    try {
      await subscribeCaseEvents(ctx.client, caseId, {
        afterSeq: 0,
        // Keep listening after the end: a retried run reopens the case.
        untilFinal: false,
        maxAttempts: 20,
        signal: stop.signal,
        onEvent: (event) => onEvent(state, event),
        onReconnect: ({ afterSeq }) => {
          el.connection.textContent = `reconnecting (after event ${afterSeq})…`;
        },
      });
    } catch (err) {
      el.connection.textContent = 'disconnected';
      ctx.fail(err);
    }
  }

  function onEvent(state: CaseProgress, event: CaseEvent) {
    state.apply(event);
    el.connection.textContent = 'live';
    if (event.type === 'TOOL_OUTPUT') appendOutput(event);
    if (
      event.type === 'REPORT' ||
      (event.type === 'CASE_STATUS' && FINAL.has(event.status ?? ''))
    ) {
      void loadReport();
    }
    // Replays bring many events at once: draw once per frame.
    if (!drawPending) {
      drawPending = true;
      requestAnimationFrame(() => {
        drawPending = false;
        draw();
      });
    }
  }

  function draw() {
    drawHeader();
    drawTools();
    drawFindings();
  }

  function drawHeader() {
    if (!progress) return;
    const { status } = progress.header;
    el.status.textContent = status;
    el.status.className = `status status-${status}`;
    el.elapsed.textContent = progress.elapsed(Date.now());
    el.cancel.hidden = FINAL.has(status);
    if (!progress.ended) {
      const now = Date.now();
      for (const row of el.tools.querySelectorAll<HTMLTableRowElement>('tr[data-tool]')) {
        const tool = progress.tools.get(row.dataset.tool ?? '');
        const cell = row.querySelector('.elapsed');
        if (tool && cell) cell.textContent = progress.toolElapsed(tool, now);
      }
    }
  }

  function drawTools() {
    if (!progress) return;
    const now = Date.now();
    const rows = [...progress.tools.values()].map((tool) => toolRow(tool, now));
    replaceChildren(el.tools, ...rows);
  }

  function toolRow(tool: ToolProgress, now: number): HTMLTableRowElement {
    const retry =
      RETRYABLE.has(tool.status) && tool.runId
        ? h('button', { class: 'secondary retry', attrs: { type: 'button' } }, 'Retry')
        : null;
    retry?.addEventListener('click', () => void retryRun(tool, retry));
    return h(
      'tr',
      { attrs: { 'data-tool': tool.tool, 'data-status': tool.status } },
      h('td', { class: 'tool-name' }, tool.tool),
      h('td', {}, h('span', { class: `status status-${tool.status}` }, tool.status)),
      h('td', { class: 'elapsed' }, progress!.toolElapsed(tool, now)),
      h('td', { class: 'finding-count' }, String(tool.findings)),
      h('td', { class: 'notes' }, tool.message ?? ''),
      h('td', {}, retry),
    );
  }

  function drawFindings() {
    if (!progress) return;
    const byKind = new Map<string, FindingProgress[]>();
    for (const finding of progress.findings.values()) {
      const list = byKind.get(finding.kind) ?? [];
      list.push(finding);
      byKind.set(finding.kind, list);
    }
    // The first kind with findings, until the user picks one.
    selectedKind =
      pickedKind && byKind.has(pickedKind) ? pickedKind : KINDS.find((k) => byKind.has(k));
    replaceChildren(
      el.kinds,
      ...KINDS.filter((k) => byKind.has(k)).map((kind) => {
        const tab = h(
          'button',
          {
            class: kind === selectedKind ? 'tab selected' : 'tab',
            attrs: {
              type: 'button',
              role: 'tab',
              'data-kind': kind,
              'aria-selected': String(kind === selectedKind),
            },
          },
          `${KIND_NAMES[kind]} (${byKind.get(kind)!.length})`,
        );
        tab.addEventListener('click', () => {
          pickedKind = kind;
          drawFindings();
        });
        return tab;
      }),
    );

    const items = (selectedKind && byKind.get(selectedKind)) || [];
    items.sort((a, b) => b.tools.length - a.tools.length || a.value.localeCompare(b.value));
    if (items.length === 0) {
      replaceChildren(
        el.findings,
        h('tr', {}, h('td', { attrs: { colspan: '2' } }, 'No findings yet.')),
      );
    } else {
      replaceChildren(
        el.findings,
        ...items
          .slice(0, FINDING_ROWS)
          .map((f) =>
            h(
              'tr',
              { attrs: { 'data-finding': f.id } },
              h('td', { class: 'value' }, f.value),
              h('td', {}, ...f.tools.map((t) => h('span', { class: 'chip' }, t))),
            ),
          ),
      );
    }
    el.findingsNote.textContent =
      items.length > FINDING_ROWS ? `Showing ${FINDING_ROWS} of ${items.length}.` : '';
  }

  function appendOutput(event: CaseEvent) {
    const lines = (event.message ?? '').split('\n').map((l) => `[${event.tool}] ${l}\n`);
    el.output.append(...lines.map((l) => document.createTextNode(l)));
    while (el.output.childNodes.length > OUTPUT_LINES) el.output.firstChild?.remove();
  }

  async function loadReport() {
    try {
      const { case: found } = await ctx.client.request(CaseReportDocument, { id: caseId });
      const report = found?.report;
      if (!report || reportLoaded === report.createdAt + report.generator) return;
      reportLoaded = report.createdAt + report.generator;
      el.reportMeta.textContent = `Written by ${report.generator}, ${new Date(report.createdAt).toLocaleString()}`;
      replaceChildren(el.report, renderMarkdown(report.markdown));
    } catch (err) {
      ctx.fail(err);
    }
  }

  async function cancel() {
    el.cancel.disabled = true;
    try {
      await ctx.client.request(CancelCaseDocument, { id: caseId });
    } catch (err) {
      ctx.fail(err);
    } finally {
      el.cancel.disabled = false;
    }
  }

  async function retryRun(tool: ToolProgress, button: HTMLButtonElement) {
    button.disabled = true;
    try {
      await ctx.client.request(RetryToolRunDocument, { id: tool.runId! });
    } catch (err) {
      button.disabled = false;
      ctx.fail(err);
    }
  }
}
