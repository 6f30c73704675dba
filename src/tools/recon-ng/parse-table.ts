import type { ParsedFinding } from '../../findings/finding.js';
import { normalizeValue, toFinding } from '../../findings/normalize.js';

const BORDER = /^\+-+\+$/;
const ROW = /^\|(.*)\|$/;

/** Columns whose values are findings, wherever a table has them (hosts, contacts, ports, …). */
const VALUE_COLUMNS: Record<string, ParsedFinding['kind']> = {
  host: 'HOST',
  domain: 'HOST',
  ip_address: 'IP',
  email: 'EMAIL',
};

/**
 * Reads one table of `show`/`db query` line by line: a border, the header row, a border, the
 * rows, a closing border. Cells are split on `|`, not by column offsets, because tables edited
 * by hand are misaligned. Tables without value columns (marketplace, options) give nothing.
 */
export class TableReader {
  private columns: string[] | undefined;
  private inRows = false;

  /** Feeds a trimmed line; returns false when the line is no part of a table. */
  accept(line: string, emit: (row: Record<string, string>) => void): boolean {
    if (BORDER.test(line)) {
      if (this.inRows) this.reset();
      else if (this.columns) this.inRows = true;
      else this.columns = [];
      return true;
    }

    const row = ROW.exec(line);
    if (!row || !this.columns) {
      this.reset();
      return false;
    }

    const cells = row[1].split('|').map((cell) => cell.trim());
    if (this.columns.length === 0) this.columns = cells.map((cell) => cell.toLowerCase());
    else emit(this.cellsByColumn(cells));
    return true;
  }

  reset(): void {
    this.columns = undefined;
    this.inRows = false;
  }

  /**
   * Maps cells to column names. A `|` inside a free-text cell (notes) adds cells; the columns
   * left of `notes` are then read from the left and the others from the right.
   */
  private cellsByColumn(cells: string[]): Record<string, string> {
    const columns = this.columns ?? [];
    const notes = columns.indexOf('notes');
    const extra = cells.length - columns.length;
    const out: Record<string, string> = {};
    columns.forEach((name, i) => {
      const index = extra > 0 && notes >= 0 && i > notes ? i + extra : i;
      out[name] = cells[index] ?? '';
    });
    return out;
  }
}

/**
 * Findings of one table row or record block: host/domain, ip_address and email values; `None`
 * and empty cells are nothing. A host and an address of the same row name each other in `data`.
 */
export function rowFindings(row: Record<string, string>): ParsedFinding[] {
  const values = (kind: ParsedFinding['kind']) =>
    Object.entries(VALUE_COLUMNS)
      .filter(([column, k]) => k === kind && present(row[column]))
      .map(([column]) => normalizeValue(kind, row[column]))
      .filter((value) => value !== undefined);
  const hosts = values('HOST');
  const ips = values('IP');
  const base: Record<string, unknown> = present(row.module) ? { module: row.module } : {};

  const out: (ParsedFinding | undefined)[] = [
    ...hosts.map((host) => toFinding('HOST', host, withList(base, 'addresses', ips))),
    ...ips.map((ip) => toFinding('IP', ip, withList(base, 'hostnames', hosts))),
    ...values('EMAIL').map((email) => toFinding('EMAIL', email, contactData(base, row))),
  ];
  return out.filter((f) => f !== undefined);
}

function withList(base: Record<string, unknown>, key: string, list: string[]) {
  return list.length > 0 ? { ...base, [key]: list } : base;
}

function contactData(base: Record<string, unknown>, row: Record<string, string>) {
  const data = { ...base };
  const name = [row.first_name, row.middle_name, row.last_name].filter(present).join(' ');
  if (name) data.name = name;
  if (present(row.title)) data.title = row.title;
  return data;
}

function present(cell: string | undefined): cell is string {
  return cell !== undefined && cell !== '' && cell !== 'None';
}
