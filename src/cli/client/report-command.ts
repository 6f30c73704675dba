import { writeFile } from 'node:fs/promises';

import { LoomError } from '../../../clients/typescript/src/errors.js';
import { CaseReportDocument } from '../../../clients/typescript/src/generated/graphql.js';
import { withClient } from './case-commands.js';
import type { ClientFlags } from './options.js';

export interface ReportFlags extends ClientFlags {
  out?: string;
}

/** `loom report ID`: the newest report as Markdown, to stdout or --out FILE. */
export async function runReport(caseId: string, flags: ReportFlags): Promise<number> {
  return withClient(flags, async (client, out) => {
    const { case: found } = await client.request(CaseReportDocument, { id: caseId });
    if (!found) throw new LoomError('NOT_FOUND', `case ${caseId} not found`);
    const report = found.report;
    if (!report) {
      throw new LoomError('NOT_FOUND', `case ${caseId} has no report yet (it is ${found.status})`);
    }

    if (flags.out) {
      await writeFile(flags.out, report.markdown);
      const bytes = Buffer.byteLength(report.markdown);
      if (out.json) {
        out.jsonLine({
          caseId,
          file: flags.out,
          bytes,
          generator: report.generator,
          createdAt: report.createdAt,
        });
      } else {
        out.line(`wrote ${flags.out} (${bytes} bytes, by ${report.generator})`);
      }
      return 0;
    }
    if (out.json) out.jsonLine({ caseId, ...report });
    else
      out.stdout.write(report.markdown.endsWith('\n') ? report.markdown : `${report.markdown}\n`);
    return 0;
  });
}
