import { subscribeCaseEvents } from '../../../clients/typescript/src/case-events.js';
import type { LoomClient } from '../../../clients/typescript/src/client.js';
import { LoomError } from '../../../clients/typescript/src/errors.js';
import {
  CaseDetailDocument,
  CaseEventsAfterDocument,
  type CaseDetailQuery,
} from '../../../clients/typescript/src/generated/graphql.js';
import { connect } from './connect.js';
import { resolveConnection, UsageError, type ClientFlags } from './options.js';
import { Output } from './output.js';
import { CaseProgress, type ToolProgress } from '../../../clients/typescript/src/case-progress.js';
import { createWatchView } from './watch-view.js';

export interface WatchFlags extends ClientFlags {
  verbose?: boolean;
  afterSeq?: string;
}

type CaseDetail = NonNullable<CaseDetailQuery['case']>;

/** `loom watch ID`: follows a case to its final status; the exit code tells how it ended. */
export async function runWatch(caseId: string, flags: WatchFlags): Promise<number> {
  const out = new Output(Boolean(flags.json));
  let client: LoomClient | undefined;
  try {
    const afterSeq = parseAfterSeq(flags.afterSeq);
    client = connect(resolveConnection(flags));
    const detail = await loadCase(client, caseId);
    return await watchCase(client, out, detail, { afterSeq, verbose: Boolean(flags.verbose) });
  } catch (err) {
    return out.fail(err);
  } finally {
    await client?.dispose();
  }
}

export async function loadCase(client: LoomClient, caseId: string): Promise<CaseDetail> {
  const { case: found } = await client.request(CaseDetailDocument, { id: caseId });
  if (!found) throw new LoomError('NOT_FOUND', `case ${caseId} not found`);
  return found;
}

/**
 * Streams the events after `afterSeq` into the view until the final CASE_STATUS. From seq 0 the
 * replay rebuilds everything; from later, the runs start from what the server says now.
 */
export async function watchCase(
  client: LoomClient,
  out: Output,
  detail: CaseDetail,
  options: { afterSeq: number; verbose: boolean },
): Promise<number> {
  const fromStart = options.afterSeq === 0;
  const tools: ToolProgress[] = detail.toolRuns.map((run) =>
    fromStart
      ? { tool: run.tool.name, runId: run.id, status: 'QUEUED', findings: 0 }
      : {
          tool: run.tool.name,
          runId: run.id,
          status: run.status,
          startedAt: run.startedAt ? Date.parse(run.startedAt) : undefined,
          finishedAt: run.finishedAt ? Date.parse(run.finishedAt) : undefined,
          findings: run.findingCount,
          message: run.error ?? undefined,
        },
  );
  const header = {
    id: detail.id,
    title: detail.title,
    target: detail.target,
    status: fromStart ? 'QUEUED' : detail.status,
  };
  const progress = new CaseProgress(header, tools);
  const view = createWatchView(out, progress, options.verbose);

  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    const { final } = await subscribeCaseEvents(client, detail.id, {
      afterSeq: options.afterSeq,
      onEvent: (event) => view.event(event),
      onReconnect: (info) => view.reconnecting(info),
      confirmFinal: async (event) => {
        const { case: found } = await client.request(CaseEventsAfterDocument, {
          id: detail.id,
          afterSeq: event.seq,
        });
        return (found?.events.length ?? 0) === 0;
      },
      signal: stop.signal,
    });
    view.end();
    if (!final) return 130;
    return exitCodeFor(final.status ?? '');
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** 0 when the case completed (fully or partly), 1 when it failed, 3 when it was cancelled. */
export function exitCodeFor(status: string): number {
  if (status === 'FAILED') return 1;
  if (status === 'CANCELLED') return 3;
  return 0;
}

function parseAfterSeq(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) throw new UsageError('--after-seq must be a whole number');
  return Number(value);
}
