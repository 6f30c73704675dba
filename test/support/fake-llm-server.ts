import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A local stand-in for an LLM server, speaking Ollama's NDJSON (`/api/chat`, `/api/tags`) and
 * the OpenAI-compatible SSE format (`/v1/chat/completions`, `/v1/models`) with the line and
 * chunk shapes of the real servers. The requested model name picks the behaviour: `llama3.2`
 * and `gpt-4o-mini` answer normally, a scenario name below behaves as described, and any other
 * name gets the server's real "model not found" answer.
 */
export const SCENARIOS = [
  'ok',
  /** One token, then nothing until `release()`. */
  'gated',
  /** Tokens 40 ms apart. */
  'slow',
  /** Two tokens, then the server's mid-stream error framing. */
  'mid-error',
  /** Accepts the request and never answers. */
  'stall-head',
  /** One token, then silence. */
  'stall-body',
  /** 503 for the first two requests, then a normal answer. */
  'flaky',
  /** One token, then the socket is destroyed. */
  'reset',
  /** The whole normal answer written 3 bytes at a time, splitting UTF-8 characters. */
  'fragmented',
  /** Tokens, then the end of the body without the final line or `[DONE]`. */
  'truncated',
  /** OpenAI only: CRLF framing, `:` keep-alive comments, a multi-line `data:` event, a usage
   * chunk with `choices: []`, llama.cpp's `content: null` first delta, and `[DONE]` with no
   * blank line after it. */
  'quirky',
  /** OpenAI only: older llama.cpp's bare `error: {…}` line, then `data: [DONE]`. */
  'bare-error-line',
  /** OpenAI only: older vLLM's flat `{"object":"error", …}` envelope mid-stream. */
  'flat-error',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const REPLY_TOKENS = ['The', ' sky', ' is', ' blue', ' — Rayleigh', ' scattering', ' ☀️.'];
export const REPLY = REPLY_TOKENS.join('');

export interface FakeLlmRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: { model?: string; messages?: { role: string; content: string }[]; stream?: boolean };
  /** The server wrote its whole answer. */
  finished: boolean;
  /** The connection closed before the server finished writing. */
  closedEarly: boolean;
  /** Resolves when the connection of this request has closed, for whatever reason. */
  closed: Promise<void>;
}

export interface FakeLlmServer {
  url: string;
  requests: FakeLlmRequest[];
  /** Lets every `gated` answer waiting now go on. */
  release(): void;
  stop(): Promise<void>;
}

export interface FakeLlmOptions {
  /** When set, the OpenAI routes demand `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Models listed by `/api/tags` and `/v1/models`. */
  listed?: string[];
}

type Flavor = 'ollama' | 'openai';

export async function startFakeLlmServer(options: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  const requests: FakeLlmRequest[] = [];
  const listed = options.listed ?? ['llama3.2:latest', 'gpt-4o-mini'];
  const flakyCount = new Map<string, number>();
  let gate = deferred();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const closed = deferred();
    const record: FakeLlmRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as FakeLlmRequest['body']) : {},
      finished: false,
      closedEarly: false,
      closed: closed.promise,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.closedEarly = true;
      closed.resolve();
    });
    res.on('finish', () => {
      record.finished = true;
    });

    if (req.method === 'GET' && path === '/api/tags') return sendTags(res);
    if (req.method === 'GET' && path === '/v1/models') return sendModels(req, res);
    if (req.method === 'POST' && path === '/api/chat') return chat('ollama', record, req, res);
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      return chat('openai', record, req, res);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  }

  function sendTags(res: ServerResponse): void {
    const models = listed.map((name) => ({
      name,
      model: name,
      modified_at: '2025-06-01T10:00:00.123456789Z',
      size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      },
    }));
    sendJson(res, 200, { models });
  }

  function sendModels(req: IncomingMessage, res: ServerResponse): void {
    if (!authorised(req)) return sendJson(res, 401, openAiError('invalid_api_key'));
    const data = listed.map((id) => ({ id, object: 'model', created: 1718000000, owned_by: 'me' }));
    sendJson(res, 200, { object: 'list', data });
  }

  function authorised(req: IncomingMessage): boolean {
    return !options.apiKey || req.headers.authorization === `Bearer ${options.apiKey}`;
  }

  async function chat(
    flavor: Flavor,
    record: FakeLlmRequest,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (flavor === 'openai' && !authorised(req)) {
      return sendJson(res, 401, openAiError('invalid_api_key'));
    }
    const model = record.body.model ?? '';
    const scenario = scenarioFor(model);
    if (!scenario) {
      return flavor === 'ollama'
        ? sendJson(res, 404, { error: `model '${model}' not found` })
        : sendJson(res, 404, openAiError('model_not_found', model));
    }
    if (scenario === 'stall-head') return;
    if (scenario === 'flaky') {
      const seen = (flakyCount.get(flavor) ?? 0) + 1;
      flakyCount.set(flavor, seen);
      if (seen <= 2) {
        return flavor === 'ollama'
          ? sendJson(res, 503, {
              error: 'server busy, please try again.  maximum pending requests exceeded',
            })
          : sendJson(res, 503, {
              error: { code: 503, message: 'Loading model', type: 'unavailable_error' },
            });
      }
    }

    const wire = flavor === 'ollama' ? new OllamaWire(model) : new OpenAiWire(model);
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'content-type': flavor === 'ollama' ? 'application/x-ndjson' : 'text/event-stream',
      ...(flavor === 'openai' ? { 'cache-control': 'no-cache' } : {}),
    });

    switch (scenario) {
      case 'ok':
      case 'flaky':
        for (const token of REPLY_TOKENS) res.write(wire.token(token));
        return void res.end(wire.end());
      case 'gated':
        res.write(wire.token(REPLY_TOKENS[0]!));
        await gate.promise;
        for (const token of REPLY_TOKENS.slice(1)) res.write(wire.token(token));
        return void res.end(wire.end());
      case 'slow':
        for (const token of REPLY_TOKENS) {
          if (res.destroyed) return;
          res.write(wire.token(token));
          await sleep(40);
        }
        return void res.end(wire.end());
      case 'mid-error':
        res.write(wire.token(REPLY_TOKENS[0]!));
        res.write(wire.token(REPLY_TOKENS[1]!));
        return void res.end(
          wire.error('an error was encountered while running the model: unexpected EOF'),
        );
      case 'stall-body':
        res.write(wire.token(REPLY_TOKENS[0]!));
        return;
      case 'reset':
        res.write(wire.token(REPLY_TOKENS[0]!));
        await sleep(20);
        return void res.destroy();
      case 'truncated':
        res.write(wire.token(REPLY_TOKENS[0]!));
        return void res.end(wire.token(REPLY_TOKENS[1]!));
      case 'fragmented': {
        const all = Buffer.from(REPLY_TOKENS.map((t) => wire.token(t)).join('') + wire.end());
        for (let i = 0; i < all.length; i += 3) {
          res.write(all.subarray(i, i + 3));
          await sleep(1);
        }
        return void res.end();
      }
      case 'quirky':
      case 'bare-error-line':
      case 'flat-error':
        if (!(wire instanceof OpenAiWire))
          return void res.end(wire.error('not an Ollama scenario'));
        return void res.end(wire.special(scenario));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    release() {
      gate.resolve();
      gate = deferred();
    },
    async stop() {
      gate.resolve();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Node 20 has no `Promise.withResolvers`. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function scenarioFor(model: string): Scenario | undefined {
  if (['llama3.2', 'llama3.2:latest', 'gpt-4o-mini'].includes(model)) return 'ok';
  return (SCENARIOS as readonly string[]).includes(model) ? (model as Scenario) : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function openAiError(code: 'model_not_found' | 'invalid_api_key', model = ''): unknown {
  const message =
    code === 'model_not_found'
      ? `The model \`${model}\` does not exist or you do not have access to it.`
      : 'Incorrect API key provided.';
  return { error: { message, type: 'invalid_request_error', param: null, code } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Ollama `/api/chat` lines: one JSON object per line, the last with `done: true`. */
class OllamaWire {
  constructor(private readonly model: string) {}

  token(content: string): string {
    return line({
      model: this.model,
      created_at: createdAt(),
      message: { role: 'assistant', content },
      done: false,
    });
  }

  end(): string {
    return line({
      model: this.model,
      created_at: createdAt(),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      total_duration: 1900000000,
      load_duration: 12000000,
      prompt_eval_count: 26,
      prompt_eval_duration: 130000000,
      eval_count: REPLY_TOKENS.length,
      eval_duration: 1650000000,
    });
  }

  /** After streaming began the status stays 200: a last `{"error"}` line, no `done` line. */
  error(message: string): string {
    return line({ error: message });
  }
}

/** OpenAI chat completion chunks as server-sent events, ending with `data: [DONE]`. */
class OpenAiWire {
  private first = true;
  private readonly id = 'chatcmpl-9x1Lq2Zk';

  constructor(private readonly model: string) {}

  private chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
    return event({
      id: this.id,
      object: 'chat.completion.chunk',
      created: 1718000000,
      model: this.model,
      system_fingerprint: 'fp_1a2b',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    });
  }

  token(content: string): string {
    const opening = this.first ? this.chunk({ role: 'assistant', content: '' }) : '';
    this.first = false;
    return opening + this.chunk({ content });
  }

  end(): string {
    return `${this.chunk({}, 'stop')}data: [DONE]\n\n`;
  }

  /** vLLM and current llama.cpp: `data: {"error": {…}}`, then `data: [DONE]`. */
  error(message: string): string {
    return `${event({ error: { message, type: 'InternalServerError', param: null, code: 500 } })}data: [DONE]\n\n`;
  }

  special(scenario: 'quirky' | 'bare-error-line' | 'flat-error'): string {
    if (scenario === 'bare-error-line') {
      const first = this.token(REPLY_TOKENS[0]!);
      const error = { code: 500, message: 'the model crashed', type: 'server_error' };
      return `${first}error: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`;
    }
    if (scenario === 'flat-error') {
      const first = this.token(REPLY_TOKENS[0]!);
      const error = {
        object: 'error',
        message: 'out of KV cache',
        type: 'InternalServerError',
        param: null,
        code: 500,
      };
      return `${first}${event(error)}data: [DONE]\n\n`;
    }

    // llama.cpp opens with `content: null`; the rest is OpenAI's framing with every quirk a
    // compliant parser must survive.
    const base = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: 1718000000,
      model: this.model,
    };
    const parts = [
      ': keep-alive\r\n\r\n',
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] })}\r\n\r\n`,
    ];
    REPLY_TOKENS.forEach((token, i) => {
      const json = JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: { content: token }, finish_reason: null }],
        usage: null,
      });
      if (i === 2) {
        // One event over two `data:` lines; joined with "\n" it is still valid JSON.
        const cut = json.indexOf('"choices"');
        parts.push(`data: ${json.slice(0, cut)}\r\ndata: ${json.slice(cut)}\r\n\r\n`);
      } else {
        parts.push(`data:${json}\r\n\r\n`);
      }
      if (i === 3) parts.push(':\r\n\r\n');
    });
    parts.push(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null })}\r\n\r\n`,
    );
    parts.push(
      `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 26, completion_tokens: 7, total_tokens: 33 } })}\r\n\r\n`,
    );
    parts.push('data: [DONE]');
    return parts.join('');
  }
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

function event(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** UTC RFC 3339 with nanoseconds, as Ollama writes it. */
function createdAt(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1456789Z');
}
