import type { ParsedFinding } from '../../findings/finding.js';
import { checkContainerImage } from '../docker/docker-client.js';
import { removeToolContainers } from '../docker/cleanup.js';
import { runToolContainer } from '../docker/tool-container.js';
import { ToolError, type RunContext, type Target, type ToolAdapter } from '../tool.js';
import {
  InvalidUsernameError,
  sherlockArgs,
  sherlockOptionsSchema,
  type SherlockOptions,
} from './options.js';
import { createSherlockLineParser, parseSherlock } from './parse.js';

/** Sherlock's CLI in a container, reached through the Docker Engine API. */
export const sherlockTool: ToolAdapter<SherlockOptions> = {
  name: 'sherlock',
  description: 'Sherlock: accounts with a given username on social networks and other sites',
  transport: 'DOCKER',
  targetKinds: ['USERNAME'],
  options: sherlockOptionsSchema,

  checkAvailability: ({ config, signal }) =>
    checkContainerImage(config, config.SHERLOCK_IMAGE, signal),

  run: runSherlock,
  abandon: async (runId, { config, log }) => {
    await removeToolContainers(config, runId, log);
  },
  parse: parseSherlock,
};

async function runSherlock(target: Target, options: SherlockOptions, ctx: RunContext) {
  if (target.kind !== 'USERNAME') {
    throw new ToolError(`sherlock cannot take a ${target.kind} target`);
  }
  let args: string[];
  try {
    args = sherlockArgs(target.value, options, ctx.config.CONTAINER_NETWORK_MODE);
  } catch (err) {
    if (err instanceof InvalidUsernameError) throw new ToolError(err.message, { cause: err });
    throw err;
  }

  const parser = createSherlockLineParser();
  const emit = (findings: ParsedFinding[]) => findings.forEach((finding) => ctx.finding(finding));

  const result = await runToolContainer(ctx, {
    tool: 'sherlock',
    image: ctx.config.SHERLOCK_IMAGE,
    entrypoint: ctx.config.SHERLOCK_ENTRYPOINT,
    args,
    onStdoutLine: (line) => emit(parser.push(line)),
  });
  emit(parser.end());

  // Exit 1: site data could not be loaded or no --site name was valid; 2: bad arguments.
  if (result.exitCode !== 0) {
    const detail = result.tail.length > 0 ? `: ${result.tail.join(' | ')}` : '';
    throw new ToolError(`Sherlock exited with ${result.exitCode}${detail}`);
  }
}
