import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { isBlank, isRecord, listOf, parseJsonText, stringOf } from '../../findings/text.js';

/**
 * Findings of an IntelOwl job (`GET /api/jobs/{id}`, v4–v6): one OTHER finding per analyzer
 * report with status `SUCCESS`, named after the analyzer, its report as detail. Addresses
 * inside report bodies are not mined: every analyzer shapes its report differently. A page of
 * the job list is read job by job; an answer without reports (a job just accepted) has none.
 */
export function intelowlFindingsFromJson(answer: unknown): ParsedFinding[] {
  if (!isRecord(answer)) throw new ParseError('IntelOwl answer is not a JSON object');
  const detail = stringOf(answer.detail);
  if (detail && !('analyzer_reports' in answer)) {
    throw new ParseError(`IntelOwl answered with an error: ${detail}`);
  }

  const jobs = Array.isArray(answer.results) ? answer.results : [answer];
  const collector = new FindingCollector();
  for (const job of jobs) {
    if (!isRecord(job)) continue;
    for (const report of listOf(job.analyzer_reports)) {
      if (isRecord(report)) addReport(collector, report);
    }
  }
  return collector.list();
}

/** A saved IntelOwl job answer. */
export function parseIntelOwl(text: string): ParsedFinding[] {
  if (isBlank(text)) return [];
  return intelowlFindingsFromJson(parseJsonText(text, 'IntelOwl answer'));
}

function addReport(collector: FindingCollector, report: Record<string, unknown>): void {
  const name = stringOf(report.name);
  if (!name || stringOf(report.status)?.toUpperCase() !== 'SUCCESS') return;

  const data: Record<string, unknown> = { report: report.report ?? {} };
  const errors = listOf(report.errors).filter((e) => typeof e === 'string' && e !== '');
  if (errors.length > 0) data.errors = errors;
  if (typeof report.process_time === 'number') data.processTime = report.process_time;
  collector.add('OTHER', name, data);
}
