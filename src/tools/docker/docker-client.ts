import Docker from 'dockerode';

import type { AppConfig } from '../../config/config.js';
import type { Availability } from '../tool.js';
import { dockerStatusCode } from './container-error.js';

const DEFAULT_SOCKET = '/var/run/docker.sock';
const CHECK_TIMEOUT_MS = 3_000;
/** Image references as Docker writes them; anything else would change the request path. */
const IMAGE_REFERENCE = /^[a-z0-9][a-z0-9._/:@-]*$/i;

export interface DockerEndpoint {
  options: Docker.DockerOptions;
  /** Where the API is, for messages: no user name or password. */
  label: string;
}

/**
 * Reads `DOCKER_HOST`: `unix:///path` (or a bare path), `tcp://host:port`, `http://…` or
 * `https://…`; unset means the local socket. TLS client certificates are not configured here.
 */
export function dockerEndpoint(dockerHost: string | undefined): DockerEndpoint {
  const value = dockerHost?.trim() || `unix://${DEFAULT_SOCKET}`;

  if (value.startsWith('/') || value.startsWith('unix://')) {
    const socketPath = value.startsWith('/') ? value : value.slice('unix://'.length);
    if (!socketPath) throw new Error('DOCKER_HOST unix:// needs a socket path');
    // Every connection field is set so that none of docker-modem's own defaults applies.
    const options = { socketPath, host: undefined, port: undefined, protocol: 'http' as const };
    return { options, label: `unix://${socketPath}` };
  }

  const url = new URL(value);
  const secure = url.protocol === 'https:';
  if (!['tcp:', 'http:', 'https:'].includes(url.protocol)) {
    throw new Error(`DOCKER_HOST scheme ${url.protocol} is not supported`);
  }
  const port = url.port || (secure ? '2376' : '2375');
  const protocol: 'http' | 'https' = secure ? 'https' : 'http';
  return {
    options: { host: url.hostname, port, protocol, socketPath: undefined },
    label: `${url.protocol}//${url.hostname}:${port}`,
  };
}

/** A dockerode client for the configured engine (Docker, or podman's compatible API). */
export function createDockerClient(config: Pick<AppConfig, 'DOCKER_HOST'>): Docker {
  return new Docker(dockerEndpoint(config.DOCKER_HOST).options);
}

/**
 * Whether containers of `image` can run now: the API answers `/_ping` and already holds the
 * image (nothing is ever pulled). Gives up after a few seconds; reasons carry no secrets.
 */
export async function checkContainerImage(
  config: Pick<AppConfig, 'DOCKER_HOST'>,
  image: string,
  signal: AbortSignal,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Availability> {
  let endpoint: DockerEndpoint;
  try {
    endpoint = dockerEndpoint(config.DOCKER_HOST);
  } catch (err) {
    return { available: false, reason: `DOCKER_HOST is not usable: ${(err as Error).message}` };
  }
  if (!IMAGE_REFERENCE.test(image) || image.includes('..')) {
    return { available: false, reason: `image name ${JSON.stringify(image)} is not valid` };
  }

  const docker = new Docker(endpoint.options);
  const stop = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    await dialJson(docker, '/_ping', stop);
  } catch (err) {
    const why = stop.aborted ? `no answer within ${timeoutMs / 1000} s` : describe(err);
    return { available: false, reason: `Docker API at ${endpoint.label} not reachable (${why})` };
  }

  try {
    await dialJson(docker, `/images/${image}/json`, stop);
  } catch (err) {
    if (dockerStatusCode(err) === 404) {
      return { available: false, reason: `image ${image} not present at ${endpoint.label}` };
    }
    const why = stop.aborted ? `no answer within ${timeoutMs / 1000} s` : describe(err);
    return { available: false, reason: `Docker API at ${endpoint.label} failed (${why})` };
  }
  return { available: true };
}

function dialJson(docker: Docker, path: string, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { path, method: 'GET', abortSignal: signal, statusCodes: { 200: true, 404: 'not found' } },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

function describe(err: unknown): string {
  const status = dockerStatusCode(err);
  if (status) return `HTTP ${status}`;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'request failed';
}
