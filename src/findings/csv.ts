import { parse, type Options } from 'csv-parse/sync';

/**
 * Records of a CSV text as objects keyed by the header row. A record cut short by truncated
 * output (an unclosed quote at the end) is dropped instead of failing the whole file; rows with
 * fewer or more cells than the header are kept with what they have.
 */
export function parseCsvRecords(text: string, options: Options = {}): Record<string, string>[] {
  return parse(text, {
    bom: true,
    columns: (header: string[]) => header.map((name) => name.trim()),
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    ...options,
  }) as unknown as Record<string, string>[];
}
