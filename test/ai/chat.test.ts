import { isNull } from 'drizzle-orm';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/auth/api-keys.js';
import { chatMessages } from '../../src/db/schema.js';
import {
  type FakeLlmRequest,
  type FakeLlmServer,
  REPLY,
  REPLY_TOKENS,
  startFakeLlmServer,
} from '../support/fake-llm-server.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { collectSse, collectWs, wsClient } from '../support/subscriptions.js';
import { startTestApp, type TestApp, waitFor } from '../support/test-app.js';
import { createCase, loadCase, waitForFinal } from './helpers.js';

const STREAM = `subscription($input: ChatInput!) {
  chatStream(input: $input) { delta done messageId }
}`;
const CHAT = `mutation($input: ChatInput!) {
  chat(input: $input) { id role content model createdAt }
}`;

type Chunk = { chatStream: { delta: string; done: boolean; messageId: string | null } };
type Answer = { chat: { id: string; role: string; content: string; model: string | null } };

const finder = scriptedTool('finder', {
  findings: [
    { kind: 'HOST', value: 'vpn.example.com' },
    { kind: 'EMAIL', value: 'it-helpdesk@example.com' },
  ],
});
const tools = [finder];

let fake: FakeLlmServer;
const apps: TestApp[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  fake = await startFakeLlmServer();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await Promise.all(apps.map((a) => a.stop()));
  await fake?.stop();
});

async function appWithModel(model?: string, idleSeconds = 5): Promise<TestApp> {
  const env: Record<string, string> = {
    LLM_TIMEOUT_SECONDS: String(idleSeconds),
    RATE_LIMIT_CHAT_PER_MINUTE: '0',
  };
  if (model) Object.assign(env, { OLLAMA_URL: fake.url, OLLAMA_MODEL: model });
  const app = await startTestApp({ tools, env });
  apps.push(app);
  return app;
}

function client(app: TestApp): Client {
  const c = wsClient(app.url);
  clients.push(c);
  return c;
}

/** The request the fake received for a question (the last user message of a chat prompt). */
function requestFor(question: string): FakeLlmRequest | undefined {
  return fake.requests.find((r) => r.body.messages?.at(-1)?.content === question);
}

/** Resolves when the fake saw the request's connection close, failing after `ms`. */
async function closedWithin(request: FakeLlmRequest, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`LLM request still open after ${ms} ms`)), ms);
  });
  await Promise.race([request.closed, late]).finally(() => clearTimeout(timer));
}

const errorCode = (result: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  result.errors?.[0]?.extensions?.code;

describe('chat grounded in a case', () => {
  let app: TestApp;
  let caseId: string;
  let firstAnswerId: string;

  beforeAll(async () => {
    app = await appWithModel('slow');
    caseId = await createCase(app, ['finder']);
    await waitForFinal(app, caseId);
  });

  it('streams the answer over graphql-ws as it is generated, ending with the stored id', async () => {
    const question = 'Which hosts did the tools find?';
    const arrivals: number[] = [];
    const chunks = await collectWs<Chunk>(
      client(app),
      STREAM,
      { input: { message: question, caseId } },
      (item) => {
        arrivals.push(Date.now());
        return item.chatStream.done;
      },
    );

    expect(chunks.map((c) => c.chatStream.delta)).toEqual([...REPLY_TOKENS, '']);
    expect(chunks.slice(0, -1).every((c) => !c.chatStream.done && !c.chatStream.messageId)).toBe(
      true,
    );
    const last = chunks.at(-1)!.chatStream;
    expect(last.done).toBe(true);
    expect(last.messageId).toBeTruthy();
    firstAnswerId = last.messageId!;
    // The fake sends a token every 40 ms: chunks arriving spread out were not buffered.
    expect(arrivals.at(-2)! - arrivals[0]!).toBeGreaterThan(150);

    const sent = requestFor(question)!;
    expect(sent.body.model).toBe('slow');
    const system = sent.body.messages![0]!.content;
    expect(system).toContain('<<<BEGIN CASE DATA>>>');
    expect(system).toContain('vpn.example.com');
    expect(system).toContain('it-helpdesk@example.com');
    expect(system).toContain('"tools":["finder"]');

    const view = await loadCase(app, caseId);
    expect(view.chat.map((m) => [m.role, m.content, m.model])).toEqual([
      ['user', question, null],
      ['assistant', REPLY, 'ollama:slow'],
    ]);
    expect(view.chat[1]!.id).toBe(firstAnswerId);
  });

  it('answers a follow-up through the mutation with the earlier conversation in the prompt', async () => {
    const question = 'And which of them\n\tlook like remote access?';
    const result = await app.gql<Answer>(CHAT, { input: { message: question, caseId } });
    expect(result.errors).toBeUndefined();
    expect(result.data!.chat).toMatchObject({
      role: 'assistant',
      content: REPLY,
      model: 'ollama:slow',
    });

    const sent = requestFor(question)!;
    expect(sent.body.messages!.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(sent.body.messages![1]!.content).toBe('Which hosts did the tools find?');
    expect(sent.body.messages![2]!.content).toBe(REPLY);
    expect(sent.body.messages![0]!.content).toContain('vpn.example.com');

    const view = await loadCase(app, caseId);
    expect(view.chat.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(view.chat[2]!.content).toBe(question);
    expect(view.chat[3]!.id).toBe(result.data!.chat.id);
    const times = view.chat.map((m) => Date.parse(m.createdAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('answers as the general assistant without a case, keeping the exchange out of every case', async () => {
    const question = 'What should I run against a username?';
    const result = await app.gql<Answer>(CHAT, { input: { message: question } });
    expect(result.errors).toBeUndefined();

    const system = requestFor(question)!.body.messages![0]!.content;
    expect(system).toContain('sherlock (username)');
    expect(system).not.toContain('<<<BEGIN CASE DATA>>>');
    const general = await app.services.db
      .select()
      .from(chatMessages)
      .where(isNull(chatMessages.caseId));
    expect(general.map((m) => m.content)).toEqual([question, REPLY]);
    expect((await loadCase(app, caseId)).chat).toHaveLength(4);
  });

  it('refuses bad messages, unknown cases and viewers before asking the model', async () => {
    const before = fake.requests.length;
    const ask = (input: Record<string, unknown>, headers?: Record<string, string>) =>
      app.gql(CHAT, { input }, headers);

    expect(errorCode(await ask({ message: '' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await ask({ message: '  \n\t ' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await ask({ message: 'x'.repeat(8001) }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await ask({ message: 'ring the bell \u0007' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await ask({ message: 'escape \u001b[2J' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await ask({ message: 'hello', caseId: 'no-such-case' }))).toBe('NOT_FOUND');

    const { key } = await createApiKey(app.services.db, 'reader', 'viewer');
    const asViewer = await ask({ message: 'hello' }, { 'x-api-key': key });
    expect(errorCode(asViewer)).toBe('FORBIDDEN');

    const streamed = collectWs<Chunk>(
      client(app),
      STREAM,
      { input: { message: '', caseId } },
      () => true,
    );
    await expect(streamed).rejects.toThrow(/BAD_USER_INPUT/);
    expect(fake.requests.length).toBe(before);
  });

  it('accepts a message of exactly 8000 characters', async () => {
    const message = `${'é'.repeat(7999)}?`;
    const result = await app.gql<Answer>(CHAT, { input: { message, caseId } });
    expect(result.errors).toBeUndefined();
  });
});

describe('a client that goes away', () => {
  let app: TestApp;

  beforeAll(async () => {
    // A long idle timeout: only the client going away can end these requests early.
    app = await appWithModel('gated', 60);
  });

  it('stops the LLM request when the WebSocket closes mid-answer, storing nothing', async () => {
    const question = 'Tell me about passive DNS.';
    const ws = client(app);
    const first = await collectWs<Chunk>(ws, STREAM, { input: { message: question } }, () => true);
    expect(first[0]!.chatStream.delta).toBe(REPLY_TOKENS[0]);
    const sent = await waitFor(() => requestFor(question));
    expect(sent.finished).toBe(false);

    await ws.dispose();
    await closedWithin(sent, 2000);
    expect(sent.closedEarly).toBe(true);
    await waitFor(() => app.services.subscriptions.openCount === 0);
    const stored = await app.services.db.select().from(chatMessages);
    expect(stored).toHaveLength(0);
  });

  it('stops the LLM request when an SSE client aborts', async () => {
    const question = 'Tell me about certificate transparency.';
    const first = await collectSse<Chunk>(
      app.url,
      STREAM,
      { input: { message: question } },
      () => true,
    );
    expect(first[0]!.chatStream.delta).toBe(REPLY_TOKENS[0]);
    const sent = await waitFor(() => requestFor(question));
    await closedWithin(sent, 2000);
    expect(sent.closedEarly).toBe(true);
  });
});

describe('an LLM failing mid-answer', () => {
  it('streams what came, then an LLM_ERROR, and stores no answer', async () => {
    const app = await appWithModel('mid-error');
    const question = 'Summarise the case.';
    const payloads: { data?: Chunk | null; errors?: { extensions?: { code?: string } }[] }[] =
      await new Promise((resolve, reject) => {
        const items: never[] = [];
        client(app).subscribe(
          { query: STREAM, variables: { input: { message: question } } },
          {
            next: (value) => items.push(value as never),
            error: reject,
            complete: () => resolve(items),
          },
        );
      });

    expect(payloads.slice(0, 2).map((p) => p.data?.chatStream.delta)).toEqual(
      REPLY_TOKENS.slice(0, 2),
    );
    expect(payloads).toHaveLength(3);
    expect(payloads[2]!.errors?.[0]?.extensions?.code).toBe('LLM_ERROR');

    const mutation = await app.gql(CHAT, { input: { message: 'Again, please.' } });
    expect(errorCode(mutation)).toBe('LLM_ERROR');
    expect(await app.services.db.select().from(chatMessages)).toHaveLength(0);
  });
});

describe('no LLM configured', () => {
  it('answers LLM_UNAVAILABLE to chat and chatStream, and cases still get their report', async () => {
    const app = await appWithModel(undefined);
    const caseId = await createCase(app, ['finder']);
    const view = await waitForFinal(app, caseId);
    expect(view.status).toBe('COMPLETED');
    expect(view.report?.generator).toBe('loom');

    const result = await app.gql(CHAT, { input: { message: 'hello', caseId } });
    expect(errorCode(result)).toBe('LLM_UNAVAILABLE');
    const streamed = collectWs<Chunk>(
      client(app),
      STREAM,
      { input: { message: 'hello' } },
      () => true,
    );
    await expect(streamed).rejects.toThrow(/LLM_UNAVAILABLE/);
    expect((await loadCase(app, caseId)).chat).toEqual([]);
  });
});
