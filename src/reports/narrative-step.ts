import type { Logger } from 'pino';

import type { SynthesisStep } from '../cases/case-lifecycle.js';
import { loadCaseSnapshot } from '../cases/case-snapshot.js';
import { generatorName, writeNarrative } from '../chat/chat-service.js';
import type { Db } from '../db/database.js';
import type { CaseEventLog } from '../events/case-event-log.js';
import type { LlmClient } from '../llm/llm-client.js';
import { insertReport } from './report-repository.js';

/**
 * A progress event at this interval keeps a long narrative from looking abandoned: the worker
 * sweep resumes a case left SYNTHESIZING without any event for five minutes.
 */
const PROGRESS_MS = 60_000;

export interface NarrativeDeps {
  db: Db;
  events: CaseEventLog;
  llm: LlmClient;
  budgetChars: number;
  /** Longest a whole narrative may take; the case waits in SYNTHESIZING meanwhile. */
  maxMs: number;
  log: Logger;
  /** Interval of the progress events; default one minute. */
  progressMs?: number;
}

export interface NarrativeWriter {
  /** The synthesis step to register with `lifecycle.addSynthesisStep`. */
  step: SynthesisStep;
  /** Aborts narratives being written and waits for them to settle. */
  close(): Promise<void>;
}

/**
 * Writes the LLM narrative of a finished case after its structured report and stores it as a
 * newer report version. An LLM failure is announced in the case's events and otherwise ignored:
 * the narrative never decides the case's outcome.
 *
 * Known shortcomings: narratives of cases finishing together are requested at once (an LLM
 * server that queues them longer than LLM_TIMEOUT_SECONDS fails the later ones), and one cut
 * short by shutdown leaves its case finished with the structured report only.
 */
export function createNarrativeWriter(deps: NarrativeDeps): NarrativeWriter {
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const step: SynthesisStep = async (caseRow, finalStatus) => {
    if (shutdown.signal.aborted) return;
    const work = write(deps, caseRow.id, finalStatus, shutdown.signal);
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  };

  return {
    step,
    close: async () => {
      shutdown.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}

async function write(
  deps: NarrativeDeps,
  caseId: string,
  finalStatus: string,
  shutdown: AbortSignal,
): Promise<void> {
  const { db, events, llm } = deps;
  const generator = generatorName(llm);
  const log = deps.log.child({ caseId, generator });

  const snapshot = await loadCaseSnapshot(db, caseId);
  // The row still says SYNTHESIZING; the model should describe the outcome the case is getting.
  snapshot.case.status = finalStatus;

  await events.append(caseId, [
    { type: 'REPORT', message: 'narrative report started', status: generator },
  ]);
  const cap = AbortSignal.timeout(deps.maxMs);
  let written = 0;
  const progress = setInterval(() => {
    const message = `narrative report in progress (${written} characters so far)`;
    events
      .append(caseId, [{ type: 'REPORT', message, status: generator }])
      .catch((err: unknown) => log.warn({ err }, 'narrative progress event failed'));
  }, deps.progressMs ?? PROGRESS_MS);

  let answer;
  try {
    answer = await writeNarrative({
      client: llm,
      snapshot,
      budgetChars: deps.budgetChars,
      signal: AbortSignal.any([cap, shutdown]),
      onDelta: (delta) => {
        written += delta.length;
      },
    });
  } finally {
    clearInterval(progress);
  }

  if (answer.error || answer.text.trim() === '') {
    const reason = cap.aborted
      ? `no complete answer within ${Math.round(deps.maxMs / 1000)} s`
      : shutdown.aborted
        ? 'the server is shutting down'
        : (answer.error?.message ?? 'the model returned an empty answer');
    // A partial narrative would read as a complete one, so none is stored.
    log.warn({ llmCode: answer.error?.code, partialChars: answer.text.length }, 'narrative failed');
    await events.append(caseId, [
      { type: 'REPORT', message: `narrative report failed: ${reason}`, status: generator },
    ]);
    return;
  }

  await insertReport(db, caseId, answer.text, generator);
  await events.append(caseId, [
    { type: 'REPORT', message: 'narrative report written', status: generator },
  ]);
  log.info({ chars: answer.text.length }, 'narrative report written');
}
