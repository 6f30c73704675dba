import type Docker from 'dockerode';
import type { Logger } from 'pino';

import type { AppConfig } from '../../config/config.js';
import { dockerStatusCode } from './container-error.js';
import { createDockerClient } from './docker-client.js';

const CLEANUP_TIMEOUT_MS = 30_000;

/**
 * Removes every container labelled `loom.run=<runId>`, running or not. For recovery: a process
 * that died mid-run cannot remove its container, so whoever takes the run over calls this.
 * Resolves the number removed.
 */
export async function removeRunContainers(
  docker: Docker,
  runId: string,
  log?: Logger,
): Promise<number> {
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  const found = await docker.listContainers({
    all: true,
    filters: { label: [`loom.run=${runId}`] },
    abortSignal: signal,
  });

  let removed = 0;
  for (const info of found) {
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true, abortSignal: signal });
      removed += 1;
    } catch (err) {
      if (dockerStatusCode(err) !== 404) {
        log?.warn({ err, containerId: info.Id, runId }, 'removing a leftover container failed');
      }
    }
  }
  if (removed > 0) log?.info({ runId, removed }, 'leftover tool containers removed');
  return removed;
}

/** `removeRunContainers` on the configured engine, for callers that hold only the config. */
export function removeToolContainers(
  config: Pick<AppConfig, 'DOCKER_HOST'>,
  runId: string,
  log?: Logger,
): Promise<number> {
  return removeRunContainers(createDockerClient(config), runId, log);
}
