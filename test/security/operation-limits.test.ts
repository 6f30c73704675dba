import { request as httpRequest } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from '../support/test-app.js';
import { codes, post, rawPost, RawWs, wsCode } from './helpers.js';

const LIMITS = {
  MAX_DEPTH: '5',
  MAX_COST: '70',
  MAX_ALIASES: '3',
  MAX_DIRECTIVES: '2',
  MAX_TOKENS: '60',
  MAX_BODY_BYTES: '4096',
};

/** Queries exactly at a limit and one step over it, with the code the step over must carry. */
const CASES: { limit: string; code: string; at: string; over: string }[] = [
  {
    limit: 'MAX_DEPTH',
    code: 'MAX_DEPTH_EXCEEDED',
    at: '{ cases { edges { node { toolRuns { id } } } } }',
    over: '{ cases { edges { node { toolRuns { tool { name } } } } } }',
  },
  {
    limit: 'MAX_COST (literal page size)',
    code: 'MAX_COST_EXCEEDED',
    // (object 2 + scalar 1.5) × 20 items = 70
    at: '{ cases(first: 20) { totalCount } }',
    over: '{ cases(first: 21) { totalCount } }',
  },
  {
    limit: 'MAX_ALIASES (__typename aliases count)',
    code: 'MAX_ALIASES_EXCEEDED',
    at: '{ a: __typename b: __typename c: __typename }',
    over: '{ a: __typename b: __typename c: __typename d: __typename }',
  },
  {
    limit: 'MAX_DIRECTIVES',
    code: 'MAX_DIRECTIVES_EXCEEDED',
    at: '{ __typename @skip(if: false) __typename @include(if: true) }',
    over: '{ __typename @skip(if: false) __typename @include(if: true) __typename @skip(if: false) }',
  },
  {
    limit: 'MAX_TOKENS',
    code: 'MAX_TOKENS_EXCEEDED',
    // Braces plus 58 names are 60 tokens.
    at: `{ ${'__typename '.repeat(58)}}`,
    over: `{ ${'__typename '.repeat(59)}}`,
  },
];

const COST_WITH_VARIABLE = 'query($n: Int) { cases(first: $n) { totalCount } }';

describe('operation limits', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ tools: [], env: LIMITS });
  });
  afterAll(async () => {
    await app?.stop();
  });

  for (const c of CASES) {
    it(`trips ${c.limit} one step over its value with ${c.code}, over HTTP and WebSocket`, async () => {
      const ok = await post(app.url, c.at);
      expect(ok.body.errors).toBeUndefined();
      expect(ok.status).toBe(200);

      const over = await post(app.url, c.over);
      expect(over.body.data).toBeUndefined();
      expect(codes(over)).toContain(c.code);

      const socket = new RawWs(app.url);
      expect(await socket.init()).toEqual({ acked: true });
      socket.subscribe('at', c.at);
      socket.subscribe('over', c.over);
      expect(wsCode(await socket.result('at'))).toBeUndefined();
      const refused = await socket.result('over');
      expect(refused.type).toBe('error');
      expect(wsCode(refused)).toBe(c.code);
      // The refusal ends that operation only: the socket goes on serving.
      socket.subscribe('again', '{ __typename }');
      expect(wsCode(await socket.result('again'))).toBeUndefined();
      socket.close();
    });
  }

  it('counts a page size given in a variable toward MAX_COST, over HTTP and WebSocket', async () => {
    const ok = await post(app.url, COST_WITH_VARIABLE, { n: 20 });
    expect(ok.body.errors).toBeUndefined();
    const over = await post(app.url, COST_WITH_VARIABLE, { n: 100 });
    expect(codes(over)).toEqual(['MAX_COST_EXCEEDED']);
    expect(over.body.errors![0].extensions).toMatchObject({ limit: 70 });

    const socket = new RawWs(app.url);
    await socket.init();
    socket.subscribe('over', COST_WITH_VARIABLE, { n: 100 });
    expect(wsCode(await socket.result('over'))).toBe('MAX_COST_EXCEEDED');
    socket.close();
  });

  it('counts a fragment spread shallow and then deep at its deep position', async () => {
    const query = `{
      a: cases { ...Deep }
      cases { edges { node { toolRuns { tool { ...Names } } } } }
    }
    fragment Deep on CaseConnection { totalCount }
    fragment Names on Tool { name }`;
    const reply = await post(app.url, query.replace('a: ', ''));
    expect(codes(reply)).toContain('MAX_DEPTH_EXCEEDED');

    const shallowThenDeep = `{
      tools { ...T }
      cases { edges { node { toolRuns { tool { ...T } } } } }
    }
    fragment T on Tool { name }`;
    expect(codes(await post(app.url, shallowThenDeep))).toContain('MAX_DEPTH_EXCEEDED');
  });

  it('limits an expensive operation named __schema like any other', async () => {
    const query = 'query __schema { cases { edges { node { toolRuns { tool { name } } } } } }';
    expect(codes(await post(app.url, query))).toContain('MAX_DEPTH_EXCEEDED');
    const aliased = `{ __schema: cases(first: 100) { totalCount } }`;
    expect(codes(await post(app.url, aliased))).toContain('MAX_COST_EXCEEDED');
  });

  it('accepts a body of exactly MAX_BODY_BYTES and refuses one byte more with 413', async () => {
    const sized = (bytes: number) => {
      const base = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
      return JSON.stringify({
        query: '{ __typename }',
        variables: { pad: 'x'.repeat(bytes - base.length) },
      });
    };
    const exact = await rawPost(app.url, sized(4096));
    expect(exact.status).toBe(200);
    expect(JSON.parse(exact.text)).toEqual({ data: { __typename: 'Query' } });

    const over = await rawPost(app.url, sized(4097));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body as soon as it passes MAX_BODY_BYTES', async () => {
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(`{"query":"{ __typename }","variables":{"pad":"`);
      // Keeps sending, as a hostile client would, without ever ending the body.
      const timer = setInterval(() => {
        if (!req.destroyed) req.write('x'.repeat(1024));
      }, 5);
      req.on('close', () => clearInterval(timer));
    });
    expect(reply.status).toBe(413);
    expect(reply.text).toContain('PAYLOAD_TOO_LARGE');
  });

  it('closes a WebSocket whose message is over MAX_BODY_BYTES with 1009', async () => {
    const socket = new RawWs(app.url);
    await socket.init();
    socket.subscribe('big', '{ __typename }', { pad: 'x'.repeat(5000) });
    expect((await socket.closed).code).toBe(1009);
  });

  it('refuses batches', async () => {
    const batch = JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ __typename }' })));
    const reply = await rawPost(app.url, batch);
    expect(reply.status).toBe(400);
    const body = JSON.parse(reply.text) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
  });
});
