import { randomBytes } from 'node:crypto';

import { HttpError } from '../../http/client.js';
import { pollWithBackoff } from '../../http/poll.js';
import { abortReason } from '../../http/service-pauses.js';
import { ToolError, type RunContext, type Target } from '../tool.js';
import { FINAL_STATUSES, SpiderFootApi, type ScanStatus } from './api.js';
import type { SpiderfootOptions } from './options.js';
import { parseSpiderfoot } from './parse.js';

const MAX_POLL_MS = 30_000;
const CLEANUP_TIMEOUT_MS = 10_000;
const WARNED_ERRORS = 10;

/** What SpiderFoot's target detection needs: a username only counts as one inside quotes. */
export function scanTarget(target: Target): string {
  return target.kind === 'USERNAME' ? `"${target.value}"` : target.value;
}

/**
 * Starts a SpiderFoot scan of the target, follows it to its end, and reads its results. A run
 * that is cancelled or fails midway stops the scan, so nothing keeps scanning for nobody.
 */
export async function runSpiderfoot(target: Target, options: SpiderfootOptions, ctx: RunContext) {
  const api = new SpiderFootApi(ctx.config, ctx.log);
  // A name of our own lets a scan whose start answer was lost still be found and stopped.
  const scanName = `loom-${randomBytes(4).toString('hex')} ${target.value}`;

  let scanId: string | undefined;
  let ended = false;
  try {
    scanId = await api.startScan(
      {
        scanName,
        scanTarget: scanTarget(target),
        modules: options.modules,
        eventTypes: options.eventTypes,
        usecase: options.usecase,
      },
      ctx.signal,
    );
    ctx.output(`scan ${scanId} started`);
    ctx.log.info({ scanId }, 'spiderfoot scan started');

    const final = await followScan(api, scanId, options, ctx);
    ended = true;
    await finishScan(api, scanId, final, ctx);
  } catch (err) {
    if (!ended) await stopQuietly(api, scanId, scanName, ctx);
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    throw asToolError(err);
  }
}

async function followScan(
  api: SpiderFootApi,
  id: string,
  options: SpiderfootOptions,
  ctx: RunContext,
): Promise<ScanStatus> {
  let last = '';
  const state = await pollWithBackoff<ScanStatus | undefined>({
    read: () => api.scanStatus(id, ctx.signal),
    done: (s) => s === undefined || FINAL_STATUSES.has(s.status),
    signal: ctx.signal,
    initialMs: options.pollSeconds * 1000,
    maxMs: Math.max(options.pollSeconds * 1000, MAX_POLL_MS),
    onState: (s) => {
      if (s && s.status !== last) {
        last = s.status;
        ctx.output(`scan ${id}: ${s.status}`);
      }
    },
  });

  if (!state)
    throw new ToolError(`SpiderFoot no longer knows scan ${id} (deleted, or the server lost it)`);
  return state;
}

async function finishScan(api: SpiderFootApi, id: string, final: ScanStatus, ctx: RunContext) {
  const errors = await api.scanErrors(id, WARNED_ERRORS, ctx.signal).catch(() => [] as string[]);

  if (final.status === 'ERROR-FAILED') {
    const why = errors[0] ? `: ${errors[0]}` : '';
    throw new ToolError(`SpiderFoot scan ${id} failed${why}`);
  }
  if (final.status !== 'FINISHED') {
    throw new ToolError(`SpiderFoot scan ${id} was aborted on the server (${final.status})`);
  }
  for (const error of errors) ctx.warn(`SpiderFoot: ${error}`);

  const csv = await api.exportCsv(id, ctx.signal);
  const findings = parseSpiderfoot(csv);
  for (const finding of findings) {
    ctx.finding(finding);
    const type =
      typeof finding.data?.eventType === 'string' ? finding.data.eventType : finding.kind;
    ctx.output(`${type} ${finding.value}`);
  }
  ctx.output(`scan ${id}: ${findings.length} findings`);
}

/**
 * Best effort, with its own short deadline because the run's signal may already be aborted.
 * Without an ID (the start answer never came) the scan is looked up by its unique name.
 */
async function stopQuietly(
  api: SpiderFootApi,
  id: string | undefined,
  name: string,
  ctx: RunContext,
) {
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  try {
    const ids = id ? [id] : await api.scanIdsByName(name, signal);
    for (const scanId of ids) {
      await api.stopScan(scanId, signal);
      ctx.output(`scan ${scanId}: stop requested`);
      ctx.log.info({ scanId }, 'spiderfoot scan stop requested');
    }
  } catch (err) {
    ctx.log.warn({ err, scanId: id }, 'spiderfoot scan could not be stopped');
  }
}

function asToolError(err: unknown): unknown {
  if (!(err instanceof HttpError)) return err;
  const transient = err.code !== 'HTTP_ERROR' || (err.status ?? 0) >= 500 || err.status === 429;
  return new ToolError(err.message, { cause: err, retryable: transient });
}
