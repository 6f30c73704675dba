import { CaseArchiver } from '../archive/case-archiver.js';
import { createCaseArchive } from '../archive/couch-archive.js';
import { createLlmClient } from '../llm/llm-client.js';
import { createNarrativeWriter } from '../reports/narrative-step.js';
import type { AppServices } from './services.js';

/**
 * Adds what OLLAMA_URL / OPENAI_BASE_URL and COUCHDB_URL turn on: the LLM client with the
 * narrative report step, and the CouchDB archive of finished cases with, in processes that
 * run workers, its catch-up loop. Each registers its closer.
 */
export function wireLlmAndArchive(services: AppServices, options: { catchUp: boolean }): void {
  const { config, log, lifecycle, closers } = services;

  const llm = createLlmClient(config, { log });
  if (llm) {
    services.llm = llm;
    closers.push({ name: 'llm client', close: () => llm.close() });
    const narrative = createNarrativeWriter({
      db: services.db,
      events: services.events,
      llm,
      budgetChars: config.LLM_PROMPT_BUDGET_CHARS,
      maxMs: config.LLM_NARRATIVE_MAX_SECONDS * 1000,
      log,
    });
    lifecycle.addSynthesisStep(narrative.step);
    closers.push({ name: 'narrative writer', close: () => narrative.close() });
    log.info({ provider: llm.provider, model: llm.model }, 'llm configured');
  }

  const archive = createCaseArchive(config, log);
  if (archive) {
    services.archive = archive;
    const archiver = new CaseArchiver({
      db: services.db,
      archive,
      log,
      retryMinMs: config.ARCHIVE_RETRY_MIN_SECONDS * 1000,
      retryMaxMs:
        Math.max(config.ARCHIVE_RETRY_MIN_SECONDS, config.ARCHIVE_RETRY_MAX_SECONDS) * 1000,
    });
    lifecycle.archiving = true;
    lifecycle.onFinished(async (caseId) => archiver.schedule(caseId));
    if (options.catchUp) archiver.startCatchUp();
    closers.push({ name: 'case archiver', close: () => archiver.close() });
    log.info({ database: archive.database, catchUp: options.catchUp }, 'case archive configured');
  }
}
