import { afterEach, describe, expect, it, vi } from 'vitest';

import { CaseProgress } from '../../clients/typescript/src/case-progress.js';
import type { CaseEvent } from '../../clients/typescript/src/case-events.js';
import { Output } from '../../src/cli/client/output.js';
import { createWatchView } from '../../src/cli/client/watch-view.js';

class FakeStream {
  written = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(text: string) {
    this.written += text;
    return true;
  }
}

let seq = 0;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString();
const event = (
  fields: Partial<CaseEvent> & { type: CaseEvent['type'] },
  ms: number,
): CaseEvent => ({
  seq: ++seq,
  at: at(ms),
  tool: null,
  runId: null,
  status: null,
  message: null,
  finding: null,
  ...fields,
});

const script = (): CaseEvent[] => [
  event({ type: 'CASE_STATUS', status: 'QUEUED' }, 0),
  event({ type: 'TOOL_STATUS', tool: 'dns', runId: 'r1', status: 'QUEUED' }, 0),
  event({ type: 'CASE_STATUS', status: 'RUNNING' }, 100),
  event({ type: 'TOOL_STATUS', tool: 'dns', runId: 'r1', status: 'RUNNING' }, 100),
  event({ type: 'TOOL_OUTPUT', tool: 'dns', runId: 'r1', message: 'A 192.0.2.1\nMX mail' }, 200),
  event(
    {
      type: 'FINDING',
      tool: 'dns',
      runId: 'r1',
      finding: { id: 'f1', kind: 'IP', value: '192.0.2.1', tools: ['dns'] },
    },
    300,
  ),
  event({ type: 'TOOL_STATUS', tool: 'dns', runId: 'r1', status: 'SUCCEEDED' }, 2_600),
  event({ type: 'REPORT', status: 'loom', message: 'structured report written' }, 2_700),
  event({ type: 'CASE_STATUS', status: 'COMPLETED' }, 2_800),
];

const progress = () =>
  new CaseProgress({ id: 'c1', title: 'Look', target: 'example.com', status: 'QUEUED' }, [
    { tool: 'dns', status: 'QUEUED', findings: 0 },
  ]);

describe('loom watch output', () => {
  afterEach(() => vi.useRealTimers());

  it('on a terminal, redraws the progress block in place and prints output lines above it', () => {
    vi.useFakeTimers();
    const stdout = new FakeStream(true);
    const out = new Output(false, stdout as never, new FakeStream(true) as never, {});
    const view = createWatchView(out, progress(), true);
    for (const e of script()) {
      view.event(e);
      vi.advanceTimersByTime(150);
    }
    view.end();

    const text = stdout.written;
    // Cursor up over the previous block, clear to the end of the screen, draw again.
    expect(text).toContain('\x1b[2F\x1b[J');
    expect(text).toContain('\x1b[32m✓\x1b[0m dns');
    expect(text).toMatch(/\[dns\]\x1b\[0m A 192\.0\.2\.1\n/);
    expect(text).toMatch(/SUCCEEDED\s+2\.5s\s+1 finding/);
    expect(
      text.endsWith('case c1 ended COMPLETED after 2.7s, 1 finding; report: loom report c1\n'),
    ).toBe(true);
  });

  it('in a pipe, prints one line per change and no escape codes', () => {
    const stdout = new FakeStream(false);
    const out = new Output(false, stdout as never, new FakeStream(false) as never, {});
    const view = createWatchView(out, progress(), false);
    for (const e of script()) view.event(e);
    view.end();

    expect(stdout.written).not.toContain('\x1b');
    expect(stdout.written.split('\n')).toEqual([
      'case QUEUED',
      'dns       QUEUED           -  0 findings',
      'case RUNNING',
      'dns       RUNNING       0.0s  0 findings',
      'dns       SUCCEEDED     2.5s  1 finding',
      'report written by loom',
      'case COMPLETED',
      '',
      'dns       SUCCEEDED     2.5s  1 finding',
      'case c1 ended COMPLETED after 2.7s, 1 finding; report: loom report c1',
      '',
    ]);
  });

  it('with --json, writes each event as one JSON line', () => {
    const stdout = new FakeStream(true);
    const out = new Output(true, stdout as never, new FakeStream(true) as never, {});
    const view = createWatchView(out, progress(), false);
    const events = script();
    for (const e of events) view.event(e);
    view.end();
    expect(
      stdout.written
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(events);
  });

  it('counts a retried run from zero again, as the server drops its findings', () => {
    const state = progress();
    for (const e of script()) state.apply(e);
    expect(state.findings.size).toBe(1);
    state.apply(
      event({ type: 'CASE_STATUS', status: 'QUEUED', message: 'reopened for a retry' }, 3_000),
    );
    state.apply(
      event(
        { type: 'TOOL_STATUS', tool: 'dns', runId: 'r1', status: 'QUEUED', message: 'retry' },
        3_000,
      ),
    );
    expect(state.tools.get('dns')).toMatchObject({ status: 'QUEUED', findings: 0, runId: 'r1' });
    expect(state.findings.size).toBe(0);
    expect(state.ended).toBe(false);
  });
});
