import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildReconNgCommand } from '../../src/tools/recon-ng/command.js';
import { builtinTools } from '../../src/tools/catalogue.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { codes, post, rawPost, type Reply } from './helpers.js';
import { storedCases, storedCounts } from './stored-state.js';

const KEY = 'bootstrap-key-for-the-hostile-input-tests-01';
const AS = { 'x-api-key': KEY };

/** Shell, SQL, path, template and markup injection attempts; none is a valid name or target. */
const INJECTIONS = [
  '; rm -rf /',
  '$(id)',
  '`id`',
  '| nc 127.0.0.1 4444',
  '&& curl http://127.0.0.1:9/',
  "'; DROP TABLE cases; --",
  '" OR 1=1 --',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '%0aid',
  'a;id',
  'x|id',
  '{{7*7}}',
  '\\\\127.0.0.1\\share',
];

/** Attempts to pass a flag where a value goes; they matter where a command line is built. */
const ARGUMENT_INJECTIONS = ['--help', '-oProxyCommand=id', '-h'];

const CREATE = `mutation($input: CreateCaseInput!) { createCase(input: $input) { id title description } }`;

/** Each tool's options that carry text, with a target the tool accepts. */
const OPTION_SLOTS: {
  tool: string;
  target: string;
  options: (s: string) => unknown;
  /** The value ends up on a command line (containers, SSH). */
  cli?: boolean;
}[] = [
  { tool: 'dns', target: 'example.com', options: (s) => ({ subdomains: true, labels: [s] }) },
  { tool: 'dns', target: 'example.com', options: (s) => ({ concurrency: s }) },
  { tool: 'searxng', target: 'example.com', options: (s) => ({ categories: [s] }) },
  { tool: 'searxng', target: 'example.com', options: (s) => ({ engines: [s] }) },
  { tool: 'searxng', target: 'example.com', options: (s) => ({ language: s }) },
  { tool: 'searxng', target: 'example.com', options: (s) => ({ timeRange: s }) },
  { tool: 'intelowl', target: 'example.com', options: (s) => ({ analyzers: [s] }) },
  { tool: 'intelowl', target: 'example.com', options: (s) => ({ playbook: s }) },
  { tool: 'intelowl', target: 'example.com', options: (s) => ({ tlp: s }) },
  { tool: 'spiderfoot', target: 'example.com', options: (s) => ({ usecase: s }) },
  { tool: 'spiderfoot', target: 'example.com', options: (s) => ({ modules: [s] }) },
  { tool: 'spiderfoot', target: 'example.com', options: (s) => ({ eventTypes: [s] }) },
  { tool: 'sherlock', target: 'someone', options: (s) => ({ sites: [s] }), cli: true },
  { tool: 'theharvester', target: 'example.com', options: (s) => ({ sources: [s] }), cli: true },
  { tool: 'recon-ng', target: 'example.com', options: (s) => ({ modules: [s] }), cli: true },
  {
    tool: 'recon-ng',
    target: 'example.com',
    options: (s) => ({ moduleOptions: { [s]: 'x' } }),
    cli: true,
  },
  { tool: 'crtsh', target: 'example.com', options: (s) => ({ excludeExpired: s }) },
  { tool: 'rdap', target: 'example.com', options: (s) => ({ extra: s }) },
];

/** A refusal a client can act on: errors with codes, no data, and no server error. */
function expectRefused(reply: Reply, code?: string) {
  expect(reply.status).toBeLessThan(500);
  expect(reply.body.data ?? null).toBeNull();
  expect(reply.body.errors?.length).toBeGreaterThan(0);
  for (const c of codes(reply)) expect(typeof c).toBe('string');
  if (code) expect(codes(reply)).toContain(code);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

describe('a corpus of hostile inputs', () => {
  let app: TestApp;
  let before: Record<string, number>;
  let seeded: Awaited<ReturnType<typeof storedCases>>;
  let added = 0;

  beforeAll(async () => {
    // The real tool adapters validate the options; no worker runs, so nothing leaves the machine.
    app = await startTestApp({
      tools: builtinTools(),
      workers: false,
      env: { ENVIRONMENT: 'production', OSINT_API_KEY: KEY },
    });
    for (const [target, tool] of [
      ['example.com', 'dns'],
      ['192.0.2.1', 'rdap'],
      ['someone', 'sherlock'],
    ]) {
      const reply = await post(
        app.url,
        CREATE,
        { input: { title: target, target, tools: [tool] } },
        AS,
      );
      expect(reply.body.errors).toBeUndefined();
    }
    before = await storedCounts(app.services.db);
    seeded = await storedCases(app.services.db);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses command injection in the target and the tool names', async () => {
    for (const attempt of [...INJECTIONS, ...ARGUMENT_INJECTIONS]) {
      const asTarget = await post(
        app.url,
        CREATE,
        {
          input: { title: 't', target: attempt, tools: ['dns'] },
        },
        AS,
      );
      expectRefused(asTarget, 'BAD_USER_INPUT');
      expect(asTarget.body.errors![0].extensions).toMatchObject({ field: 'target' });

      const asTool = await post(
        app.url,
        CREATE,
        {
          input: { title: 't', target: 'example.com', tools: [attempt] },
        },
        AS,
      );
      expectRefused(asTool, 'BAD_USER_INPUT');
      expect(asTool.body.errors![0].extensions).toMatchObject({ field: 'tools[0]' });
    }
  });

  it('refuses command injection in every text option of every tool', async () => {
    for (const slot of OPTION_SLOTS) {
      for (const attempt of slot.cli ? [...INJECTIONS, ...ARGUMENT_INJECTIONS] : INJECTIONS) {
        const reply = await post(
          app.url,
          CREATE,
          {
            input: {
              title: 't',
              target: slot.target,
              tools: [slot.tool],
              toolOptions: { [slot.tool]: slot.options(attempt) },
            },
          },
          AS,
        );
        if (reply.body.data)
          throw new Error(`${slot.tool} took ${JSON.stringify(slot.options(attempt))}`);
        expectRefused(reply, 'BAD_USER_INPUT');
        expect(String(reply.body.errors![0].extensions?.field)).toMatch(
          new RegExp(`^toolOptions\\.${slot.tool}`),
        );
      }
    }
  });

  it('keeps a recon-ng option value one quoted argument, whatever it holds', async () => {
    // Option values are free text (up to "=" and controls): the shell quoting is the defence.
    const dir = await mkdtemp(join(tmpdir(), 'loom-quote-'));
    try {
      const canary = join(dir, 'pwned');
      const argsFile = join(dir, 'args');
      const program = join(dir, 'fake-recon-cli');
      await writeFile(
        program,
        `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${argsFile}'\n`,
      );
      await chmod(program, 0o755);

      for (const attempt of [
        `$(touch ${canary})`,
        `; touch ${canary}`,
        `\`touch ${canary}\``,
        `' ; touch ${canary} ; '`,
        `"; touch ${canary}; "`,
        `| touch ${canary}`,
      ]) {
        await rm(argsFile, { force: true });
        const command = buildReconNgCommand({
          program,
          domain: 'example.com',
          workspace: 'loom_quote_test',
          options: {
            modules: ['recon/domains-hosts/hackertarget'],
            moduleOptions: { TEXT: attempt },
          },
        });
        await runDetached(command);
        expect(existsSync(canary)).toBe(false);
        const args = (await readFile(argsFile, 'utf8')).split('\n');
        expect(args).toContain(`TEXT=${attempt}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores injection strings in titles and descriptions as plain text, exactly', async () => {
    for (const attempt of INJECTIONS) {
      const reply = await post<{ createCase: { id: string; title: string; description: string } }>(
        app.url,
        CREATE,
        { input: { title: attempt, description: attempt, target: 'example.org', tools: ['rdap'] } },
        AS,
      );
      expect(reply.body.errors).toBeUndefined();
      expect(reply.body.data!.createCase).toMatchObject({ title: attempt, description: attempt });
      added += 1;
    }
    const found = await post<{ cases: { totalCount: number } }>(
      app.url,
      'query($s: String) { cases(search: $s) { totalCount } }',
      { s: "'; DROP TABLE cases; --" },
      AS,
    );
    expect(found.body.data!.cases.totalCount).toBe(1);
  });

  it('refuses control characters and unpaired surrogates in every text field', async () => {
    const bad = [
      'a\u0000b',
      'a\u0007b',
      '\u001b[31mred',
      'a\u0085b',
      'a\u009bb',
      'x\ud800y',
      '\udc00',
    ];
    for (const text of bad) {
      for (const input of [
        { title: text, target: 'example.com', tools: ['dns'] },
        { title: 't', description: `ok ${text}`, target: 'example.com', tools: ['dns'] },
        { title: 't', target: `example${text}.com`, tools: ['dns'] },
        { title: 't', target: 'example.com', tools: [`dns${text}`] },
      ]) {
        expectRefused(await post(app.url, CREATE, { input }, AS), 'BAD_USER_INPUT');
      }
    }
    // A line break is fine in a description, never in a title or a target.
    expectRefused(
      await post(
        app.url,
        CREATE,
        { input: { title: 'a\nb', target: 'example.com', tools: ['dns'] } },
        AS,
      ),
      'BAD_USER_INPUT',
    );
    expectRefused(
      await post(
        app.url,
        CREATE,
        { input: { title: 't', target: 'example.com\nid', tools: ['dns'] } },
        AS,
      ),
      'BAD_USER_INPUT',
    );
  });

  it('refuses a body that is not UTF-8 before reading it as JSON', async () => {
    const wrap = (inner: Buffer) =>
      Buffer.concat([
        Buffer.from('{"query":"{ __typename }","variables":{"x":"'),
        inner,
        Buffer.from('"}}'),
      ]);
    for (const bytes of [
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc0, 0xaf]), // overlong "/"
      Buffer.from([0xe2, 0x82]), // cut short
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
      Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    ]) {
      const reply = await rawPost(app.url, wrap(bytes), AS);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text).errors[0].extensions.code).toBe('BAD_REQUEST');
    }
    const inQuery = Buffer.concat([
      Buffer.from('{"query":"{ __typename '),
      Buffer.from([0x80]),
      Buffer.from('}"}'),
    ]);
    expect((await rawPost(app.url, inQuery, AS)).status).toBe(400);
  });

  it('refuses oversized strings, lists and bodies', async () => {
    const input = (patch: Record<string, unknown>) => ({
      input: { title: 't', target: 'example.com', tools: ['dns'], ...patch },
    });
    for (const patch of [
      { title: 'x'.repeat(201) },
      { title: 'x'.repeat(90_000) },
      { description: 'x'.repeat(1001) },
      { target: `${'a'.repeat(63)}.`.repeat(6) + 'com' },
      { target: 'x'.repeat(5000) },
      { tools: Array.from({ length: 11 }, (_, i) => `tool${i}`) },
      { tools: Array.from({ length: 5000 }, () => 'dns') },
      { tools: [] },
      {
        toolOptions: {
          dns: { subdomains: true, labels: Array.from({ length: 201 }, (_, i) => `l${i}`) },
        },
      },
    ]) {
      expectRefused(await post(app.url, CREATE, input(patch), AS), 'BAD_USER_INPUT');
    }
    expectRefused(
      await post(app.url, '{ cases(first: 100000) { totalCount } }', {}, AS),
      'MAX_COST_EXCEEDED',
    );
    expectRefused(
      await post(app.url, 'query($n: Int) { cases(first: $n) { totalCount } }', { n: 2 ** 40 }, AS),
    );
    const huge = await rawPost(
      app.url,
      JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(3_000_000) }),
      AS,
    );
    expect(huge.status).toBe(413);
  });

  it('refuses deep nesting in queries and variables', async () => {
    const deep = (n: number) => `${'{ a '.repeat(n)}${'}'.repeat(n)}`;
    expectRefused(await post(app.url, deep(20), {}, AS), 'MAX_DEPTH_EXCEEDED');
    expectRefused(await post(app.url, deep(5000), {}, AS), 'MAX_TOKENS_EXCEEDED');

    const nested = (n: number): unknown => (n === 0 ? 'x' : [nested(n - 1)]);
    for (const depth of [50, 2000]) {
      expectRefused(
        await post(
          app.url,
          CREATE,
          { input: { title: 't', target: 'example.com', tools: nested(depth) } },
          AS,
        ),
        'BAD_USER_INPUT',
      );
      expectRefused(
        await post(
          app.url,
          CREATE,
          {
            input: {
              title: 't',
              target: 'example.com',
              tools: ['dns'],
              toolOptions: { dns: { labels: nested(depth) } },
            },
          },
          AS,
        ),
        'BAD_USER_INPUT',
      );
    }
    // JSON nested deeper than any parser should be asked to go, within the body limit.
    const brackets = `{"query":"{ __typename }","variables":{"x":${'['.repeat(40_000)}${']'.repeat(40_000)}}}`;
    const reply = await rawPost(app.url, brackets, AS);
    expect(reply.status).toBeLessThan(500);
  });

  it('refuses alias and fragment bombs fast', async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expectRefused(await post(app.url, aliases(500), {}, AS), 'MAX_ALIASES_EXCEEDED');
    expectRefused(await post(app.url, aliases(20_000), {}, AS), 'PAYLOAD_TOO_LARGE');

    // Each fragment spreads the previous one twice: 2^25 copies of the innermost field.
    const fragments = ['fragment F0 on Query { __typename }'];
    for (let i = 1; i <= 25; i += 1) {
      fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    }
    const laughs = await timed(() => post(app.url, `{ ...F25 } ${fragments.join(' ')}`, {}, AS));
    expectRefused(laughs.value);
    expect(
      codes(laughs.value).some((c) => c === 'MAX_DEPTH_EXCEEDED' || c === 'MAX_COST_EXCEEDED'),
    ).toBe(true);
    expect(laughs.ms).toBeLessThan(2_000);

    const wide = Array.from({ length: 40 }, (_, i) => `fragment W${i} on Case { id title }`).join(
      ' ',
    );
    const spreads = Array.from({ length: 40 }, (_, i) => `...W${i}`).join(' ');
    const overlap = await timed(() =>
      post(app.url, `{ cases { edges { node { ${spreads} } } } } ${wide}`, {}, AS),
    );
    expect(overlap.value.status).toBeLessThan(500);
    expect(overlap.ms).toBeLessThan(2_000);

    const shallowThenDeep = `{
      tools { ...T }
      cases { edges { node { toolRuns { tool { ...T } } } } }
      again: cases { edges { node { toolRuns { tool { ...T } } } } }
    } fragment T on Tool { name description targetKinds }`;
    const limited = await post(app.url, shallowThenDeep, {}, AS);
    expect(limited.status).toBeLessThan(500);
    expect(codes(limited).every((c) => typeof c === 'string')).toBe(true);

    const namedSchema = `query __schema { a: cases(first: 1000) { edges { node { toolRuns { tool { name } } } } } }`;
    expectRefused(await post(app.url, namedSchema, {}, AS));
  });

  it('refuses circular fragments, batches, malformed JSON and unknown operations with codes', async () => {
    expectRefused(
      await post(
        app.url,
        '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
        {},
        AS,
      ),
      'GRAPHQL_VALIDATION_FAILED',
    );
    expectRefused(
      await post(app.url, '{ ...A } fragment A on Query { __typename ...A }', {}, AS),
      'GRAPHQL_VALIDATION_FAILED',
    );

    const batch = JSON.stringify(Array.from({ length: 2000 }, () => ({ query: '{ __typename }' })));
    const batchReply = await rawPost(app.url, batch, AS);
    expect(batchReply.status).toBe(400);
    expect(JSON.parse(batchReply.text).errors[0].extensions.code).toBe('BAD_REQUEST');

    for (const body of [
      '',
      '{"query": ',
      'not json',
      '[',
      'null',
      '"{ __typename }"',
      '123',
      '{"query": 5}',
      '{"query": "{ __typename }", "variables": "nope"}',
      '{"query": "{ __typename }", "operationName": {}}',
      '{"query": "{ __typename }", "extensions": []}',
      '\ufeff{"query": "{ __typename }"}',
      '{"query": "{ __typename }",}',
      '{"query": "a\u0001b"}',
    ]) {
      const reply = await rawPost(app.url, body, AS);
      expect(reply.status, body).toBeGreaterThanOrEqual(400);
      expect(reply.status, body).toBeLessThan(500);
      const parsed = JSON.parse(reply.text) as { errors: { extensions: { code: string } }[] };
      expect(typeof parsed.errors[0].extensions.code, body).toBe('string');
    }

    const unknownName = await post(app.url, 'query A { __typename }', {}, AS);
    expect(unknownName.body.errors).toBeUndefined();
    const body = JSON.stringify({ query: 'query A { __typename }', operationName: 'Nope' });
    const nope = JSON.parse((await rawPost(app.url, body, AS)).text) as Reply['body'];
    expect(typeof nope.errors![0].extensions?.code).toBe('string');
    expectRefused(await post(app.url, 'query A { __typename } query B { __typename }', {}, AS));
    expectRefused(await post(app.url, '{ noSuchField }', {}, AS), 'GRAPHQL_VALIDATION_FAILED');
    expectRefused(
      await post(app.url, 'mutation { noSuchMutation }', {}, AS),
      'GRAPHQL_VALIDATION_FAILED',
    );
    expectRefused(await post(app.url, '', {}, AS));

    const viaGet = await fetch(
      `${app.url}/graphql?query=${encodeURIComponent('mutation { deleteCase(id: "x") }')}`,
      { headers: AS },
    );
    expect(viaGet.status).toBe(405);
  });

  it('ignores a __proto__ key in tool options without polluting any object', async () => {
    const raw = `{"query":${JSON.stringify(CREATE)},"variables":{"input":{"title":"t","target":"example.com","tools":["dns"],"toolOptions":{"__proto__":{"polluted":true},"dns":{"__proto__":{"polluted":true}}}}}}`;
    const reply = await rawPost(app.url, raw, AS);
    expect(reply.status).toBeLessThan(500);
    const parsed = JSON.parse(reply.text) as Reply['body'];
    if (parsed.data) added += 1;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('kept serving, with nothing stored lost or changed', async () => {
    const now = await storedCounts(app.services.db);
    expect(now).toEqual({
      ...before,
      cases: before.cases + added,
      toolRuns: before.toolRuns + added,
      caseEvents: before.caseEvents + 2 * added,
    });
    const after = await storedCases(app.services.db);
    const ids = new Set(seeded.cases.map((c) => c.id));
    expect(after.cases.filter((c) => ids.has(c.id))).toEqual(seeded.cases);
    expect(after.runs.filter((r) => ids.has(r.caseId))).toEqual(seeded.runs);
    expect(after.events.filter((e) => ids.has(e.caseId))).toEqual(seeded.events);

    const ok = await post(app.url, '{ cases { totalCount } }', {}, AS);
    expect(ok.body.data).toEqual({ cases: { totalCount: before.cases + added } });
  });
});

/** Runs a command line the way a remote login shell would, in its own process group. */
function runDetached(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own group: the script's watchdog signals its group when stdin closes.
    const child = spawn('sh', ['-c', command], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error('quoted command did not finish'));
    }, 10_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
