import Docker from 'dockerode';

/** The podman socket the global set-up exported, or undefined when container tests skip. */
export const testDockerSocket: string | undefined = process.env.LOOM_TEST_DOCKER_SOCKET;

if (!testDockerSocket) {
  process.stderr.write('LOOM_TEST_DOCKER_SOCKET not set: container tests skip\n');
}

/** A dockerode client on the test socket. */
export function testDocker(): Docker {
  if (!testDockerSocket) throw new Error('no podman socket for this test run');
  return new Docker({ socketPath: testDockerSocket, host: undefined, protocol: 'http' });
}
