import { toDomain } from '../../cases/target.js';
import type { ParsedFinding } from '../../findings/finding.js';
import { checkContainerImage } from '../docker/docker-client.js';
import { removeToolContainers } from '../docker/cleanup.js';
import { runToolContainer } from '../docker/tool-container.js';
import { ToolError, type RunContext, type Target, type ToolAdapter } from '../tool.js';
import {
  REPORT_JSON,
  REPORT_XML,
  theharvesterArgs,
  theharvesterOptionsSchema,
  type TheHarvesterOptions,
} from './options.js';
import { createTheHarvesterLineParser, parseTheHarvester } from './parse.js';

/** theHarvester's CLI in a container, reached through the Docker Engine API. */
export const theharvesterTool: ToolAdapter<TheHarvesterOptions> = {
  name: 'theharvester',
  description: 'theHarvester: hosts, e-mail addresses and IPs of a domain from public sources',
  transport: 'DOCKER',
  targetKinds: ['DOMAIN'],
  options: theharvesterOptionsSchema,

  checkAvailability: ({ config, signal }) =>
    checkContainerImage(config, config.THEHARVESTER_IMAGE, signal),

  run: runTheHarvester,
  abandon: async (runId, { config, log }) => {
    await removeToolContainers(config, runId, log);
  },
  parse: parseTheHarvester,
};

async function runTheHarvester(target: Target, options: TheHarvesterOptions, ctx: RunContext) {
  // The target was normalised when the case was made; anything else here is refused outright.
  if (target.kind !== 'DOMAIN' || toDomain(target.value) !== target.value) {
    throw new ToolError(
      `theharvester accepts a domain name only, not ${JSON.stringify(target.value)}`,
    );
  }

  const parser = createTheHarvesterLineParser();
  const emit = (findings: ParsedFinding[]) => findings.forEach((finding) => ctx.finding(finding));

  const result = await runToolContainer(ctx, {
    tool: 'theharvester',
    image: ctx.config.THEHARVESTER_IMAGE,
    entrypoint: ctx.config.THEHARVESTER_ENTRYPOINT,
    args: theharvesterArgs(target.value, options),
    readFiles: [REPORT_JSON, REPORT_XML],
    onStdoutLine: (line) => emit(parser.push(line)),
  });
  emit(parser.end());

  if (result.exitCode !== 0) {
    const detail = result.tail.length > 0 ? `: ${result.tail.join(' | ')}` : '';
    throw new ToolError(`theHarvester exited with ${result.exitCode}${detail}`);
  }

  // The report holds what the console lists, and more (ASNs, URLs, IPv6 after hosts).
  const report = result.files.get(REPORT_JSON) ?? result.files.get(REPORT_XML);
  if (!report) {
    ctx.warn('theHarvester wrote no report file; findings come from its console output only');
    return;
  }
  try {
    emit(parseTheHarvester(report.toString('utf8')));
  } catch (err) {
    ctx.log.warn({ err }, 'theHarvester report not readable');
    ctx.warn(
      `theHarvester report could not be read (${(err as Error).message}); console findings kept`,
    );
  }
}
