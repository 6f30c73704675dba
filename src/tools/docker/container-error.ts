import { ToolError } from '../tool.js';

export type ContainerErrorCode =
  | 'DOCKER_UNREACHABLE'
  | 'IMAGE_MISSING'
  | 'CONTAINER_FAILED'
  | 'CONTAINER_TIMEOUT'
  | 'CONTAINER_ABORTED'
  | 'CONTAINER_FILE_TOO_LARGE';

/** A container run that failed for a reason the analyst can read; `code` is stable. */
export class ContainerError extends ToolError {
  constructor(
    readonly code: ContainerErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'ContainerError';
  }
}

/** The HTTP status dockerode attaches to API errors, when there is one. */
export function dockerStatusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
