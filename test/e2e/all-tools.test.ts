import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeHttpClients } from '../../src/http/client.js';
import { builtinTools } from '../../src/tools/catalogue.js';
import { closeReconNgPools } from '../../src/tools/recon-ng/index.js';
import type { ToolAdapter } from '../../src/tools/tool.js';
import {
  allFindings,
  CASE_RESULT,
  statusTrail,
  type CaseEvent,
  type CaseResult,
  type CreatedCase,
  CREATE_CASE,
  type FindingNode,
} from '../process/graphql.js';
import { watchOverWs } from '../process/live-streams.js';
import { testDocker, testDockerSocket } from '../support/docker-socket.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { buildToolImage } from '../support/podman.js';
import {
  fixtureReply,
  startReplayServer,
  type ReplayAnswer,
  type ReplayServer,
} from '../support/replay-server.js';
import { haveSshd, startSshd, type RunningSshd } from '../support/sshd.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { haveDnsmasq, startDnsmasq, wireName, type Dnsmasq } from '../tools/dns/dnsmasq.js';
import { writeStandIn, type StandIn } from '../tools/recon-ng/stand-in.js';

const DOMAIN = 'example.com';
const USERNAME = 'jane_doe-1';

/** The recorded answer or output each tool's stand-in gives, per case. */
const FIXTURES = {
  searxngDomain: 'searxng/searxng_2026_compact_google_cse_unresponsive.json',
  searxngUser: 'searxng/searxng_pretty_number_of_results_data_uri_thumbnails.json',
  spiderfootDomain: 'spiderfoot/spiderfoot_export_single_scan_window.csv',
  spiderfootUser: 'spiderfoot/spiderfoot_export_multi_scan_window.csv',
  intelowlAccepted: 'intelowl/intelowl_v4_analyze_observable_accepted.json',
  intelowlJob: 'intelowl/intelowl_v4_job_72_reported_with_fails.json',
  crtsh: 'crtsh/crtsh_2023_identity_example_com_edge_cases.json',
  rdap: 'rdap/rdap_verisign_com_domain_google_2021.json',
  reconNg: 'recon-ng/reconng_5.x_show_hosts_40_rows_misaligned.txt',
  theharvesterConsole: 'theharvester/theharvester_4.11.1_no_results_text.txt',
  theharvesterReport: 'theharvester/theharvester_4.8plus_portswigger.json',
  sherlock: 'sherlock/sherlock_0.16.2_console_8_found.txt',
};

/**
 * The zone dnsmasq serves: the apex on loopback and Google's name servers as its NS records,
 * the way the RDAP answer replayed for the same domain lists them.
 */
const ZONE = [
  `--local=/${DOMAIN}/`,
  `--host-record=${DOMAIN},127.0.0.1`,
  `--dns-rr=${DOMAIN},2,${wireName('ns1.google.com')}`,
  `--dns-rr=${DOMAIN},2,${wireName('ns2.google.com')}`,
  `--mx-host=${DOMAIN},mail.${DOMAIN},10`,
];

/** Plays theHarvester: its console text, and the JSON report where `-f` asks for it. */
const THEHARVESTER = `#!/bin/sh
base=''
while [ $# -gt 0 ]; do
  [ "$1" = "-f" ] && base="$2"
  shift
done
cat /replay/console.txt
[ -n "$base" ] && cp /replay/report.json "$base.json"
exit 0
`;

/** Plays Sherlock: its console text. */
const SHERLOCK = `#!/bin/sh
cat /replay/console.txt
exit 0
`;

const SPIDERFOOT_SCANS: Record<string, { id: string; csv: string }> = {
  [DOMAIN]: { id: 'E2EDOMAIN', csv: FIXTURES.spiderfootDomain },
  [`"${USERNAME}"`]: { id: 'E2EUSER', csv: FIXTURES.spiderfootUser },
};

const key = (f: { kind: string; value: string }) => `${f.kind} ${f.value}`;
const keysOf = (findings: { kind: string; value: string }[]) =>
  [...new Set(findings.map(key))].sort();
const byName = (name: string) => builtinTools().find((t) => t.name === name) as ToolAdapter;
/** What a tool's own parser finds in the recorded output its stand-in plays back. */
const parsed = (tool: string, fixture: string) => keysOf(byName(tool).parse(readFixture(fixture)));

const leftOut = [
  !haveSshd && 'recon-ng (no sshd)',
  !testDockerSocket && 'theharvester and sherlock (no podman)',
  !haveDnsmasq && 'dns (no dnsmasq)',
].filter(Boolean);
if (leftOut.length > 0) {
  // Visible in the test output, so a smaller case is never mistaken for the full one.
  process.stderr.write(`every-tool cases run without ${leftOut.join(', ')}\n`);
}

describe.skipIf(!haveFixtures)('cases running every tool against its stand-in', () => {
  const withContainers = Boolean(testDockerSocket);
  const servers: ReplayServer[] = [];
  let dnsmasq: Dnsmasq | undefined;
  let sshd: RunningSshd | undefined;
  let reconCli: StandIn | undefined;
  let app: TestApp;

  async function replay(routes: Parameters<typeof startReplayServer>[0]) {
    const server = await startReplayServer(routes);
    servers.push(server);
    return server;
  }

  /** A `/scanstatus` row as SpiderFoot 4 renders it: name, target, times, status, risks. */
  function spiderfootStatus(id: string, status: string): ReplayAnswer {
    const target = Object.keys(SPIDERFOOT_SCANS).find((t) => SPIDERFOOT_SCANS[t].id === id);
    const times = ['2024-05-27 09:58:00', '2024-05-27 09:58:02', '1970-01-01 00:00:00'];
    const risks = { HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0 };
    return { json: [`loom ${target}`, target, ...times, status, risks] };
  }

  async function startStandIns(): Promise<Record<string, string>> {
    const searxng = await replay([
      {
        method: 'GET',
        path: '/search',
        reply: (req) =>
          fixtureReply(
            req.query.get('q') === `"${DOMAIN}"` ? FIXTURES.searxngDomain : FIXTURES.searxngUser,
          ),
      },
    ]);

    const polls = new Map<string, number>();
    const spiderfoot = await replay([
      { method: 'GET', path: '/ping', reply: { json: ['SUCCESS', '4.0.0'] } },
      {
        method: 'POST',
        path: '/startscan',
        reply: (req) => ({ json: ['SUCCESS', SPIDERFOOT_SCANS[req.form!.get('scantarget')!].id] }),
      },
      {
        method: 'GET',
        path: '/scanstatus',
        reply: (req) => {
          const id = req.query.get('id')!;
          polls.set(id, (polls.get(id) ?? 0) + 1);
          return spiderfootStatus(id, polls.get(id)! < 2 ? 'RUNNING' : 'FINISHED');
        },
      },
      { method: 'GET', path: '/scanerrors', reply: { json: [] } },
      {
        method: 'GET',
        path: '/scaneventresultexport',
        reply: (req) => {
          const scan = Object.values(SPIDERFOOT_SCANS).find((s) => s.id === req.query.get('id'));
          return scan ? fixtureReply(scan.csv) : { status: 404 };
        },
      },
    ]);

    // The recorded acceptance names job 260; job 72's recorded final state stands in for it.
    const intelowl = await replay([
      {
        method: 'POST',
        path: '/api/analyze_observable',
        reply: fixtureReply(FIXTURES.intelowlAccepted),
      },
      {
        method: 'GET',
        path: '/api/jobs/260',
        reply: [
          { json: { id: 260, status: 'running', analyzer_reports: [] } },
          fixtureReply(FIXTURES.intelowlJob),
        ],
      },
    ]);

    const crtsh = await replay([{ method: 'GET', path: '/', reply: fixtureReply(FIXTURES.crtsh) }]);
    const rdap = await replay([
      {
        method: 'GET',
        path: `/domain/${DOMAIN}`,
        reply: fixtureReply(FIXTURES.rdap, { contentType: 'application/rdap+json' }),
      },
    ]);

    const env: Record<string, string> = {
      SEARXNG_URL: searxng.url,
      SPIDERFOOT_URL: spiderfoot.url,
      INTELOWL_URL: intelowl.url,
      INTELOWL_API_KEY: 'e2e-intelowl-token',
      CRTSH_URL: crtsh.url,
      RDAP_URL: rdap.url,
      // A closed port on loopback unless dnsmasq runs: nothing leaves the machine.
      DNS_SERVERS: '127.0.0.1:9',
      DNS_TIMEOUT_MS: '1000',
      DNS_TRIES: '1',
      DOCKER_HOST: withContainers
        ? `unix://${testDockerSocket}`
        : 'unix:///nonexistent/loom-test-docker.sock',
      MAX_CONCURRENT_RUNS: '12',
      MAX_RUNS_PER_TOOL: '2',
    };

    if (haveDnsmasq) {
      dnsmasq = await startDnsmasq(ZONE);
      env.DNS_SERVERS = dnsmasq.server;
    }

    if (haveSshd) {
      sshd = await startSshd();
      reconCli = await writeStandIn({ fixture: FIXTURES.reconNg, runOutput: ['[*] e2e module'] });
      const knownHosts = join(sshd.dir, 'known_hosts');
      await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
      Object.assign(env, {
        RECONNG_SSH_HOST: '127.0.0.1',
        RECONNG_SSH_PORT: String(sshd.port),
        RECONNG_SSH_USER: sshd.user,
        RECONNG_SSH_KEY: sshd.clientKeyPath,
        RECONNG_SSH_KNOWN_HOSTS: knownHosts,
        RECONNG_COMMAND: reconCli.program,
        // A loaded CI machine can be slow to finish the SSH handshake.
        RECONNG_SSH_READY_TIMEOUT_MS: '30000',
      });
    }

    if (withContainers) {
      const docker = testDocker();
      Object.assign(env, {
        CONTAINER_NETWORK_MODE: 'none',
        CONTAINER_MEMORY_MB: '64',
        CONTAINER_CPUS: '0.5',
        THEHARVESTER_ENTRYPOINT: '/bin/theHarvester',
        THEHARVESTER_IMAGE: await buildToolImage(docker, 'e2e-theharvester', {
          'bin/theHarvester': THEHARVESTER,
          'replay/console.txt': readFixture(FIXTURES.theharvesterConsole),
          'replay/report.json': readFixture(FIXTURES.theharvesterReport),
        }),
        SHERLOCK_ENTRYPOINT: '/bin/sherlock',
        SHERLOCK_IMAGE: await buildToolImage(docker, 'e2e-sherlock', {
          'bin/sherlock': SHERLOCK,
          'replay/console.txt': readFixture(FIXTURES.sherlock),
        }),
      });
    }
    return env;
  }

  beforeAll(async () => {
    const env = await startStandIns();
    app = await startTestApp({ tools: builtinTools(), env });
  });

  afterAll(async () => {
    await app?.stop();
    await closeReconNgPools();
    await closeHttpClients();
    await Promise.all(servers.map((s) => s.close()));
    await dnsmasq?.stop();
    await sshd?.stop();
    await reconCli?.remove();
  });

  /** Creates the case, follows it live to its end, and returns its events, runs and findings. */
  async function runCase(target: string, tools: string[], toolOptions: Record<string, unknown>) {
    const created = await app.gql<CreatedCase>(CREATE_CASE, {
      input: { title: `Every tool on ${target}`, target, tools, toolOptions },
    });
    expect(created.errors).toBeUndefined();
    const caseId = created.data!.createCase.id;

    const watch = watchOverWs(app.url, { caseId, afterSeq: 0 }, 50_000);
    let events: CaseEvent[];
    try {
      events = await watch.finished;
    } finally {
      await watch.close();
    }
    const result = await app.gql<CaseResult>(CASE_RESULT, { id: caseId });
    const findings = await allFindings(app.url, caseId);
    return { events, result: result.data!.case, findings };
  }

  function expectEveryRunSucceeded(
    events: CaseEvent[],
    result: CaseResult['case'],
    tools: string[],
  ) {
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const tool of tools) {
      expect(statusTrail(events, tool), tool).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    }
    const runs = result.toolRuns.map((r) => [r.tool.name, r.status, r.error]);
    expect(runs.sort()).toEqual(tools.map((t) => [t, 'SUCCEEDED', null]).sort());
    expect(result.status).toBe('COMPLETED');
    expect(events.at(-1)).toMatchObject({ type: 'CASE_STATUS', status: 'COMPLETED' });
  }

  /** Findings the given tool stands behind, as `KIND value`. */
  const foundBy = (findings: FindingNode[], tool: string) =>
    keysOf(findings.filter((f) => f.tools.includes(tool)));

  function expectReportLists(
    markdown: string,
    result: CaseResult['case'],
    findings: FindingNode[],
  ) {
    for (const run of result.toolRuns) {
      const row = new RegExp(
        `\\| ${run.tool.name} \\| SUCCEEDED \\| [\\d.]+ s \\| ${run.findingCount} \\|`,
      );
      expect(markdown).toMatch(row);
      expect(run.findingCount, run.tool.name).toBe(foundBy(findings, run.tool.name).length);
      expect(run.findingCount, run.tool.name).toBeGreaterThan(0);
    }
    expect(markdown).toContain(`- **Findings:** ${findings.length}`);
  }

  it('runs searxng, recon-ng, theharvester, spiderfoot, intelowl, dns, crtsh and rdap on a domain', async () => {
    const tools = ['searxng', 'spiderfoot', 'intelowl', 'crtsh', 'rdap'];
    if (haveDnsmasq) tools.push('dns');
    if (haveSshd) tools.push('recon-ng');
    if (withContainers) tools.push('theharvester');

    const { events, result, findings } = await runCase(DOMAIN, tools, {
      spiderfoot: { pollSeconds: 0.1 },
      intelowl: { pollSeconds: 0.1, analyzers: ['Classic_DNS'] },
    });
    expectEveryRunSucceeded(events, result, tools);

    // Each tool stands behind exactly what its parser finds in what its stand-in played.
    expect(foundBy(findings, 'searxng')).toEqual(parsed('searxng', FIXTURES.searxngDomain));
    expect(foundBy(findings, 'spiderfoot')).toEqual(
      parsed('spiderfoot', FIXTURES.spiderfootDomain),
    );
    expect(foundBy(findings, 'intelowl')).toEqual(parsed('intelowl', FIXTURES.intelowlJob));
    expect(foundBy(findings, 'crtsh')).toEqual(parsed('crtsh', FIXTURES.crtsh));
    expect(foundBy(findings, 'rdap')).toEqual(parsed('rdap', FIXTURES.rdap));
    if (haveSshd) {
      expect(foundBy(findings, 'recon-ng')).toEqual(parsed('recon-ng', FIXTURES.reconNg));
    }
    if (withContainers) {
      expect(foundBy(findings, 'theharvester')).toEqual(
        parsed('theharvester', FIXTURES.theharvesterReport),
      );
    }
    if (haveDnsmasq) {
      const dns = foundBy(findings, 'dns').filter((k) => !k.startsWith('OTHER '));
      expect(dns).toEqual([
        'HOST example.com',
        'HOST mail.example.com',
        'HOST ns1.google.com',
        'HOST ns2.google.com',
        'IP 127.0.0.1',
      ]);
    }

    // Warnings of the stand-ins' recorded answers reach the runs.
    const warnings = Object.fromEntries(result.toolRuns.map((r) => [r.tool.name, r.warnings]));
    expect(warnings.searxng).toHaveLength(4);
    expect(warnings.intelowl.length).toBeGreaterThan(0);

    // One value found by several tools is one finding naming every one of them.
    const toolsBehind = (kind: string, value: string) =>
      findings.find((f) => f.kind === kind && f.value === value)?.tools;
    const loopbackBy = ['dns', 'recon-ng', 'theharvester'].filter((t) => tools.includes(t));
    if (loopbackBy.length > 1) expect(toolsBehind('IP', '127.0.0.1')).toEqual(loopbackBy);
    if (haveDnsmasq) {
      expect(toolsBehind('HOST', DOMAIN)).toEqual(['crtsh', 'dns']);
      expect(toolsBehind('HOST', 'ns1.google.com')).toEqual(['dns', 'rdap']);
    }

    const markdown = result.report!.markdown;
    expect(result.report!.generator).toBe('loom');
    expectReportLists(markdown, result, findings);
    if (haveDnsmasq) {
      expect(markdown).toContain('## Found by more than one tool');
      expect(markdown).toContain(`- HOST \`${DOMAIN}\` — crtsh, dns`);
      expect(markdown).toContain('- HOST `ns1.google.com` — dns, rdap');
      expect(markdown).toContain(`| 127.0.0.1 | ${loopbackBy.join(', ')} |`);
    }
  }, 60_000);

  it('runs sherlock, searxng and spiderfoot on a username', async () => {
    const tools = ['searxng', 'spiderfoot'];
    if (withContainers) tools.push('sherlock');

    const { events, result, findings } = await runCase(USERNAME, tools, {
      spiderfoot: { pollSeconds: 0.1 },
    });
    expectEveryRunSucceeded(events, result, tools);

    expect(foundBy(findings, 'searxng')).toEqual(parsed('searxng', FIXTURES.searxngUser));
    expect(foundBy(findings, 'spiderfoot')).toEqual(parsed('spiderfoot', FIXTURES.spiderfootUser));
    if (withContainers) {
      const accounts = parsed('sherlock', FIXTURES.sherlock);
      expect(accounts).toHaveLength(8);
      expect(foundBy(findings, 'sherlock')).toEqual(accounts);
    }
    expectReportLists(result.report!.markdown, result, findings);
  }, 60_000);
});
