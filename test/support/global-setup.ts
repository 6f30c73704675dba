import { ensurePodman } from './podman.js';

/**
 * Once per test run: starts podman's Docker API service when podman is installed and hands
 * its socket to the test workers through LOOM_TEST_DOCKER_SOCKET (a test-only variable).
 */
export default async function setup(): Promise<void> {
  const podman = await ensurePodman();
  if (podman) process.env.LOOM_TEST_DOCKER_SOCKET = podman.socketPath;
}
