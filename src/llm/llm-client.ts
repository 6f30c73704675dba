import type { Logger } from 'pino';
import { Agent } from 'undici';

import type { AppConfig } from '../config/config.js';
import { createOllamaClient } from './ollama.js';
import { createOpenAiClient } from './openai.js';

export { isLlmError, LlmError, type LlmErrorCode } from './llm-error.js';
export { collectStream } from './stream-request.js';

export type LlmRole = 'system' | 'user' | 'assistant';

export interface LlmMessage {
  role: LlmRole;
  content: string;
}

export interface LlmCallOptions {
  /** Aborting it stops the HTTP request, which tells the server to stop generating. */
  signal: AbortSignal;
}

export interface LlmHealth {
  ok: boolean;
  /** Why it is not ok (or a note when it is); never contains a credential. */
  detail?: string;
}

/**
 * One configured chat model. Every failure is an `LlmError`; a retryable one is retried only
 * before the first delta, so a stream never repeats text it already yielded.
 */
export interface LlmClient {
  readonly provider: 'ollama' | 'openai';
  readonly model: string;
  /** Yields the answer as it is generated, one non-empty text delta at a time. */
  chatStream(messages: LlmMessage[], opts: LlmCallOptions): AsyncIterable<string>;
  /** The whole answer; streams underneath so the idle timeout applies between chunks. */
  chat(messages: LlmMessage[], opts: LlmCallOptions): Promise<string>;
  /** Reachability and whether the configured model is there. Never throws. */
  health(signal?: AbortSignal): Promise<LlmHealth>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export interface LlmClientOptions {
  log?: Logger;
  /** TCP connect timeout; default 10 s (capped by LLM_TIMEOUT_SECONDS). */
  connectTimeoutMs?: number;
  /** Longest silence before the answer starts or between chunks; default LLM_TIMEOUT_SECONDS. */
  idleTimeoutMs?: number;
  /** Further attempts before the first delta; default 2. */
  retries?: number;
  /** First retry delay, doubled each time; default 500 ms. */
  retryDelayMs?: number;
}

/** What a provider module receives from `createLlmClient`. */
export interface ProviderSettings {
  baseUrl: string;
  model: string;
  apiKey?: string;
  dispatcher: Agent;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  log?: Logger;
}

/** The client for the configured provider, or undefined when that provider has no URL set. */
export function createLlmClient(
  config: Pick<
    AppConfig,
    | 'LLM_PROVIDER'
    | 'OLLAMA_URL'
    | 'OLLAMA_MODEL'
    | 'OPENAI_BASE_URL'
    | 'OPENAI_API_KEY'
    | 'OPENAI_MODEL'
    | 'LLM_TIMEOUT_SECONDS'
  >,
  options: LlmClientOptions = {},
): LlmClient | undefined {
  const baseUrl = config.LLM_PROVIDER === 'ollama' ? config.OLLAMA_URL : config.OPENAI_BASE_URL;
  if (!baseUrl) return undefined;

  const idleTimeoutMs = options.idleTimeoutMs ?? config.LLM_TIMEOUT_SECONDS * 1000;
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(10_000, idleTimeoutMs);
  const settings = {
    baseUrl,
    connectTimeoutMs,
    idleTimeoutMs,
    retries: options.retries ?? 2,
    retryDelayMs: options.retryDelayMs ?? 500,
    log: options.log?.child({ component: 'llm', provider: config.LLM_PROVIDER }),
    // Our own idle timers govern waiting; undici's would cut a long model load short.
    dispatcher: new Agent({
      connect: { timeout: connectTimeoutMs },
      headersTimeout: 0,
      bodyTimeout: 0,
    }),
  };

  return config.LLM_PROVIDER === 'ollama'
    ? createOllamaClient({ ...settings, model: config.OLLAMA_MODEL })
    : createOpenAiClient({
        ...settings,
        model: config.OPENAI_MODEL,
        apiKey: config.OPENAI_API_KEY,
      });
}
