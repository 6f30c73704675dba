import { parseCsvRecords } from '../../findings/csv.js';
import type { ParsedFinding } from '../../findings/finding.js';
import { normalizeUrl } from '../../findings/normalize.js';

/**
 * The `--csv` file: `username,name,url_main,url_user,exists,http_status,response_time_s`. Only
 * rows whose `exists` is `Claimed` are accounts; `--print-all` adds Available, Unknown,
 * Illegal and WAF rows, which are not.
 */
export function parseSherlockCsv(text: string): ParsedFinding[] {
  const out: ParsedFinding[] = [];
  for (const row of parseCsvRecords(text)) {
    if (row.exists?.trim() !== 'Claimed') continue;
    const url = normalizeUrl(row.url_user ?? '');
    if (!url) continue;

    const data: Record<string, unknown> = { site: row.name?.trim(), username: row.username };
    const status = Number(row.http_status);
    if (row.http_status && Number.isInteger(status)) data.httpStatus = status;
    out.push({ kind: 'ACCOUNT', value: url, data });
  }
  return out;
}
