import { pollWithBackoff } from '../../http/poll.js';
import { abortReason } from '../../http/service-pauses.js';
import { ToolError, type RunContext, type Target } from '../tool.js';
import {
  classificationFor,
  FINAL_JOB_STATUSES,
  IntelOwlApi,
  type AnalyzeRequest,
  type IntelowlJob,
} from './api.js';
import type { IntelowlOptions } from './options.js';
import { intelowlFindingsFromJson } from './parse.js';

const MAX_POLL_MS = 20_000;
const CLEANUP_TIMEOUT_MS = 10_000;

export function analyzeRequest(target: Target, options: IntelowlOptions): AnalyzeRequest {
  const request: AnalyzeRequest = {
    observable_name: target.value,
    observable_classification: classificationFor(target.kind),
  };
  if (options.analyzers.length > 0) request.analyzers_requested = options.analyzers;
  if (options.playbook) request.playbook_requested = options.playbook;
  if (options.tlp) request.tlp = options.tlp;
  // scan_mode 1: a fresh job. Servers before 5.1 ignore the field.
  if (options.forceNew) request.scan_mode = 1;
  return request;
}

/**
 * Analyses the target as an IntelOwl observable: creates the job, polls it to a final status,
 * and turns each successful analyzer report into a finding. A cancelled run kills the job.
 */
export async function runIntelowl(target: Target, options: IntelowlOptions, ctx: RunContext) {
  const api = new IntelOwlApi(ctx.config, ctx.log);
  const accepted = await api.analyze(analyzeRequest(target, options), ctx.signal);
  const jobId = accepted.jobId;
  ctx.output(`job ${jobId} accepted: ${accepted.analyzers.length} analyzers`);
  ctx.log.info({ jobId }, 'intelowl job accepted');
  for (const warning of accepted.warnings) ctx.warn(`IntelOwl: ${warning}`);

  let job: IntelowlJob;
  try {
    job = await followJob(api, jobId, options, ctx);
  } catch (err) {
    await killQuietly(api, jobId, ctx);
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    throw err;
  }

  reportAnalyzers(job, ctx);
  if (job.status === 'failed' || job.status === 'killed') {
    const errors = texts(job.errors);
    const why = errors.length > 0 ? `: ${errors.join('; ')}` : '';
    throw new ToolError(`IntelOwl job ${jobId} ended ${job.status}${why}`);
  }

  const findings = intelowlFindingsFromJson(job);
  for (const finding of findings) ctx.finding(finding);
  ctx.output(`job ${jobId}: ${job.status}, ${findings.length} analyzer reports`);
}

async function followJob(api: IntelOwlApi, id: number, options: IntelowlOptions, ctx: RunContext) {
  let last = '';
  const job = await pollWithBackoff<IntelowlJob | undefined>({
    read: () => api.job(id, ctx.signal),
    done: (j) => j === undefined || FINAL_JOB_STATUSES.has(j.status),
    signal: ctx.signal,
    initialMs: options.pollSeconds * 1000,
    maxMs: Math.max(options.pollSeconds * 1000, MAX_POLL_MS),
    onState: (j) => {
      if (j && j.status !== last) {
        last = j.status;
        ctx.output(`job ${id}: ${j.status}`);
      }
    },
  });

  if (!job)
    throw new ToolError(`IntelOwl job ${id} not found (deleted, or not visible to this key)`);
  return job;
}

/** One output line per analyzer; failed and killed ones are warnings, not a failed run. */
function reportAnalyzers(job: IntelowlJob, ctx: RunContext) {
  for (const report of job.analyzer_reports ?? []) {
    const errors = texts(report.errors);
    const note = errors.length > 0 ? ` (${errors.join('; ')})` : '';
    ctx.output(`${report.name}: ${report.status}${note}`);
    if (report.status === 'FAILED' || report.status === 'KILLED') {
      ctx.warn(`IntelOwl analyzer ${report.name} ${report.status.toLowerCase()}${note}`);
    }
  }
  for (const error of texts(job.errors)) ctx.warn(`IntelOwl: ${error}`);
}

async function killQuietly(api: IntelOwlApi, id: number, ctx: RunContext) {
  try {
    await api.kill(id, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    ctx.output(`job ${id}: kill requested`);
    ctx.log.info({ jobId: id }, 'intelowl job kill requested');
  } catch (err) {
    ctx.log.warn({ err, jobId: id }, 'intelowl job could not be killed');
  }
}

function texts(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  return [];
}
