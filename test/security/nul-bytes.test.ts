import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scriptedTool } from '../support/scripted-tool.js';
import { collectWs, wsClient } from '../support/subscriptions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('NUL characters in arguments', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ tools: [scriptedTool('quick', { lines: ['x'] })] });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it.each([
    ['an inline id', '{ case(id: "a\\u0000b") { id } }', undefined],
    ['an id variable', 'query($id: ID!) { case(id: $id) { id } }', { id: 'a\u0000b' }],
    ['a search', 'query($q: String) { cases(search: $q) { totalCount } }', { q: 'x\u0000' }],
    ['a mutation', 'mutation($id: ID!) { cancelCase(id: $id) { id } }', { id: '\u0000' }],
    [
      'a nested input',
      'mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }',
      {
        i: {
          title: 't',
          target: 'example.com',
          tools: ['quick'],
          toolOptions: { quick: { ['k\u0000']: 1 } },
        },
      },
    ],
  ])('in %s are a client error, and the server keeps serving', async (_what, query, variables) => {
    const result = await app.gql(query, variables);
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(
      (await app.gql<{ cases: { totalCount: number } }>('{ cases { totalCount } }')).data,
    ).toEqual({ cases: { totalCount: 0 } });
  });

  it('in a subscription over WebSocket are a client error too', async () => {
    const client = wsClient(app.url);
    await expect(
      collectWs(
        client,
        'subscription($id: ID!) { caseEvents(caseId: $id) { seq } }',
        { id: 'a\u0000' },
        () => true,
        5_000,
      ),
    ).rejects.toThrow(/BAD_USER_INPUT/);
    await client.dispose();
  });
});
