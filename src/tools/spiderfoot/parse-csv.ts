import { parseCsvRecords } from '../../findings/csv.js';
import type { SpiderfootEvent } from './event.js';

/**
 * The web UI's CSV export: `Updated,Type,Module,Source,F/P,Data`, with `Scan Name` first when
 * several scans were exported together. Fields hold line breaks and doubled quotes, so only a
 * real CSV parser reads it.
 */
export function spiderfootCsvEvents(text: string): SpiderfootEvent[] {
  return parseCsvRecords(text).map((row) => ({
    type: row.Type ?? '',
    data: row.Data ?? '',
    module: row.Module,
    source: row.Source,
    falsePositive: (row['F/P'] ?? '').trim() === '1',
    scanName: row['Scan Name'],
    lastSeen: row.Updated,
  }));
}

export function isSpiderfootCsvHeader(line: string): boolean {
  return /^(?:Scan Name,)?Updated,Type,Module,Source,/.test(line);
}
