import { readFile } from 'node:fs/promises';

import type { LoomClient } from '../../../clients/typescript/src/client.js';
import {
  CancelCaseDocument,
  CasesDocument,
  CreateCaseDocument,
  type CaseStatus,
} from '../../../clients/typescript/src/generated/graphql.js';
import { connect } from './connect.js';
import { resolveConnection, UsageError, type ClientFlags } from './options.js';
import { formatDuration, Output, plural, table } from './output.js';
import { loadCase, watchCase } from './watch-command.js';

export interface CreateFlags extends ClientFlags {
  tools?: string;
  title?: string;
  description?: string;
  options?: string;
  watch?: boolean;
  verbose?: boolean;
}

/** `loom case create TARGET --tools a,b`: prints the new case, then follows it with --watch. */
export async function runCaseCreate(target: string, flags: CreateFlags): Promise<number> {
  return withClient(flags, async (client, out) => {
    const tools = (flags.tools ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tools.length === 0) throw new UsageError('--tools needs at least one tool name');
    const toolOptions = flags.options ? await readToolOptions(flags.options) : undefined;

    const { createCase } = await client.request(CreateCaseDocument, {
      input: {
        target,
        tools,
        title: flags.title ?? target,
        description: flags.description,
        toolOptions,
      },
    });
    if (out.json) out.jsonLine(createCase);
    else {
      out.line(`case ${createCase.id} ${createCase.status}`);
      out.line(
        `${createCase.title} (${createCase.target}, ${createCase.targetKind.toLowerCase()})`,
      );
    }
    if (!flags.watch) return 0;

    if (!out.json) out.line('');
    const detail = await loadCase(client, createCase.id);
    return watchCase(client, out, detail, { afterSeq: 0, verbose: Boolean(flags.verbose) });
  });
}

export interface ListFlags extends ClientFlags {
  status?: string;
  search?: string;
  first?: string;
}

/** `loom case list`: newest first. */
export async function runCaseList(flags: ListFlags): Promise<number> {
  return withClient(flags, async (client, out) => {
    const first = flags.first === undefined ? 20 : Number(flags.first);
    if (!Number.isInteger(first) || first < 1) {
      throw new UsageError('--first must be a positive whole number');
    }
    const { cases } = await client.request(CasesDocument, {
      first,
      status: flags.status ? (flags.status.toUpperCase() as CaseStatus) : undefined,
      search: flags.search,
    });
    const nodes = cases.edges.map((e) => e.node);
    if (out.json) {
      out.jsonLine({
        totalCount: cases.totalCount,
        hasNextPage: cases.pageInfo.hasNextPage,
        endCursor: cases.pageInfo.endCursor,
        cases: nodes,
      });
      return 0;
    }
    if (nodes.length === 0) {
      out.line('no cases');
      return 0;
    }
    const rows = nodes.map((c) => [
      c.id,
      c.status,
      c.createdAt.slice(0, 19).replace('T', ' '),
      c.target,
      c.toolRuns.map((r) => r.tool.name).join(','),
      c.title,
    ]);
    for (const line of table([['ID', 'STATUS', 'CREATED', 'TARGET', 'TOOLS', 'TITLE'], ...rows])) {
      out.line(line);
    }
    if (cases.totalCount > nodes.length) out.line(`(${nodes.length} of ${cases.totalCount})`);
    return 0;
  });
}

/** `loom case show ID`: the case and each tool run. */
export async function runCaseShow(caseId: string, flags: ClientFlags): Promise<number> {
  return withClient(flags, async (client, out) => {
    const detail = await loadCase(client, caseId);
    if (out.json) {
      out.jsonLine(detail);
      return 0;
    }
    const fields: [string, string | null | undefined][] = [
      ['Case', detail.id],
      ['Title', detail.title],
      ['Target', `${detail.target} (${detail.targetKind.toLowerCase()})`],
      ['Status', detail.status],
      ['Description', detail.description],
      ['Created', detail.createdAt],
      ['Started', detail.startedAt],
      ['Finished', detail.finishedAt],
      ['Archive', detail.archiveStatus],
      ['Report', detail.report && `${detail.report.generator}, ${detail.report.createdAt}`],
    ];
    for (const line of table(fields.filter(([, v]) => v).map(([k, v]) => [k, v ?? '']))) {
      out.line(line);
    }
    out.line('');
    const rows = detail.toolRuns.map((run) => {
      const time =
        run.startedAt &&
        formatDuration(
          Date.parse(run.finishedAt ?? new Date().toISOString()) - Date.parse(run.startedAt),
        );
      const problems = [run.error, ...run.warnings].filter(Boolean).join('; ');
      return [
        run.tool.name,
        run.status,
        time || '-',
        plural(run.findingCount, 'finding'),
        problems,
      ];
    });
    for (const line of table([['TOOL', 'STATUS', 'TIME', 'FINDINGS', 'NOTES'], ...rows])) {
      out.line(line);
    }
    return 0;
  });
}

/** `loom cancel ID`: asks the server to stop every unfinished run of the case. */
export async function runCancel(caseId: string, flags: ClientFlags): Promise<number> {
  return withClient(flags, async (client, out) => {
    const { cancelCase } = await client.request(CancelCaseDocument, { id: caseId });
    if (out.json) out.jsonLine(cancelCase);
    else out.line(`case ${cancelCase.id} ${cancelCase.status}`);
    return 0;
  });
}

/** Runs a command with a client and turns any failure into a message and an exit code. */
export async function withClient(
  flags: ClientFlags,
  body: (client: LoomClient, out: Output) => Promise<number>,
): Promise<number> {
  const out = new Output(Boolean(flags.json));
  let client: LoomClient | undefined;
  try {
    client = connect(resolveConnection(flags));
    return await body(client, out);
  } catch (err) {
    return out.fail(err);
  } finally {
    await client?.dispose();
  }
}

/** --options takes JSON inline or @FILE, keyed by tool name. */
async function readToolOptions(value: string): Promise<unknown> {
  const text = value.startsWith('@') ? await readFile(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError('--options must be JSON (or @FILE holding JSON)');
  }
}
