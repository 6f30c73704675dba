import type Docker from 'dockerode';

import { ContainerError, dockerStatusCode } from './container-error.js';
import { readFirstTarFile } from './tar-reader.js';

const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Room for the tar headers (pax records included) around the file itself. */
const TAR_OVERHEAD_BYTES = 64 * 1024;

/**
 * Copies one file out of a container (running or stopped, not removed) through the archive
 * endpoint. Resolves undefined when the path does not exist or is not a regular file; a file
 * larger than `maxBytes` is an error rather than a silent cut.
 */
export async function readFileFromContainer(
  container: Docker.Container,
  path: string,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<Buffer | undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;

  let archive: NodeJS.ReadableStream;
  try {
    archive = await container.getArchive({ path, abortSignal: options.signal });
  } catch (err) {
    if (dockerStatusCode(err) === 404) return undefined;
    throw err;
  }

  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of archive as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes + TAR_OVERHEAD_BYTES) {
      (archive as NodeJS.ReadableStream & { destroy(): void }).destroy();
      throw new ContainerError(
        'CONTAINER_FILE_TOO_LARGE',
        `${path} in the container is larger than ${maxBytes} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return readFirstTarFile(Buffer.concat(chunks, total));
}
