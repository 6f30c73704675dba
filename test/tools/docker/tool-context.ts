import { randomUUID } from 'node:crypto';

import pino from 'pino';

import { testConfig, type AppConfig } from '../../../src/config/config.js';
import type { FindingKind, ParsedFinding } from '../../../src/findings/finding.js';
import type { RunContext } from '../../../src/tools/tool.js';
import { testDockerSocket } from '../../support/docker-socket.js';

/** A RunContext for a container tool run on the test socket, recording what the tool reports. */
export interface ToolRunRecord extends RunContext {
  runId: string;
  controller: AbortController;
  lines: string[];
  findings: ParsedFinding[];
  warnings: string[];
  /** Distinct finding values per kind, as the runner would store them. */
  counts(): Record<Exclude<FindingKind, 'OTHER'>, number>;
}

export function containerToolContext(overrides: Record<string, string> = {}): ToolRunRecord {
  const runId = randomUUID();
  const controller = new AbortController();
  const config: AppConfig = testConfig({
    DOCKER_HOST: `unix://${testDockerSocket}`,
    CONTAINER_NETWORK_MODE: 'none',
    CONTAINER_MEMORY_MB: '64',
    CONTAINER_CPUS: '0.5',
    ...overrides,
  });
  const lines: string[] = [];
  const findings: ParsedFinding[] = [];
  const warnings: string[] = [];

  return {
    runId,
    controller,
    signal: controller.signal,
    log: pino({ level: 'silent' }).child({ runId, tool: 'test' }),
    config,
    lines,
    findings,
    warnings,
    output: (line) => lines.push(line),
    finding: (finding) => findings.push(finding),
    warn: (message) => warnings.push(message),
    counts() {
      const distinct = (kind: FindingKind) =>
        new Set(findings.filter((f) => f.kind === kind).map((f) => f.value)).size;
      return {
        HOST: distinct('HOST'),
        IP: distinct('IP'),
        EMAIL: distinct('EMAIL'),
        URL: distinct('URL'),
        ACCOUNT: distinct('ACCOUNT'),
      };
    },
  };
}
