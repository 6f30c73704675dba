import type { Logger } from 'pino';

import type { AppServices } from '../app/services.js';
import { getCase } from '../cases/case-repository.js';
import { type CaseSnapshot, loadCaseSnapshot } from '../cases/case-snapshot.js';
import { AppError, notFound } from '../errors/app-error.js';
import type { LlmClient } from '../llm/llm-client.js';
import type { ChatTurn } from '../llm/prompt.js';
import { type ChatInput, validateChatInput } from './chat-input.js';
import { type ChatMessageRow, insertChatExchange, listChatMessages } from './chat-repository.js';
import { answerChat, generatorName, llmAppError } from './chat-service.js';

/** Earlier messages read for a prompt; the prompt budget keeps the newest that fit. */
const HISTORY_MESSAGES = 200;

/** A validated chat turn with everything the prompt needs, ready to be answered. */
export interface PreparedChatTurn {
  llm: LlmClient;
  caseId: string | null;
  message: string;
  askedAt: Date;
  snapshot?: CaseSnapshot;
  history: ChatTurn[];
}

/**
 * Validates the input and loads what the answer is grounded in: with a case, its stored data and
 * its earlier conversation. Throws BAD_USER_INPUT, NOT_FOUND or LLM_UNAVAILABLE before anything
 * is sent to the model.
 */
export async function prepareChatTurn(
  services: AppServices,
  input: ChatInput,
): Promise<PreparedChatTurn> {
  const valid = validateChatInput(input);
  const askedAt = new Date();
  if (valid.caseId !== undefined && !(await getCase(services.db, valid.caseId))) {
    throw notFound('Case', valid.caseId);
  }

  const llm = services.llm;
  if (!llm) {
    throw new AppError('LLM_UNAVAILABLE', 'no LLM is configured on this server');
  }
  if (valid.caseId === undefined) {
    // The general assistant has no conversation of its own: each question stands alone.
    return { llm, caseId: null, message: valid.message, askedAt, history: [] };
  }

  const snapshot = await loadCaseSnapshot(services.db, valid.caseId);
  const stored = await listChatMessages(services.db, valid.caseId, { last: HISTORY_MESSAGES });
  const history = stored.map((m) => ({
    role: m.role === 'assistant' ? ('assistant' as const) : ('user' as const),
    content: m.content,
  }));
  return { llm, caseId: valid.caseId, message: valid.message, askedAt, snapshot, history };
}

export interface RunChatOptions {
  /** The caller going away (an HTTP request closed, a subscription ended) stops generation. */
  signal?: AbortSignal;
  onDelta?: (delta: string) => void;
  log: Logger;
}

/**
 * Asks the model, streaming the answer through `onDelta`, and stores the question and the
 * complete answer. Returns the stored answer; an LLM failure throws LLM_UNAVAILABLE or
 * LLM_ERROR and stores nothing (a partial answer is not kept).
 */
export async function runChatTurn(
  services: AppServices,
  turn: PreparedChatTurn,
  options: RunChatOptions,
): Promise<ChatMessageRow> {
  const { config, db } = services;
  const model = generatorName(turn.llm);
  const log = options.log.child({ caseId: turn.caseId, model });
  const capMs = config.LLM_CHAT_MAX_SECONDS * 1000;
  const cap = AbortSignal.timeout(capMs);
  const signal = options.signal ? AbortSignal.any([options.signal, cap]) : cap;

  const answer = await answerChat({
    client: turn.llm,
    snapshot: turn.snapshot,
    history: turn.history,
    message: turn.message,
    budgetChars: config.LLM_PROMPT_BUDGET_CHARS,
    signal,
    onDelta: options.onDelta,
  });
  if (answer.error) {
    log.warn({ llmCode: answer.error.code, partialChars: answer.text.length }, 'chat turn failed');
    if (cap.aborted) {
      throw new AppError('LLM_ERROR', `no complete answer within ${config.LLM_CHAT_MAX_SECONDS} s`);
    }
    throw llmAppError(answer.error);
  }
  if (answer.text.trim() === '') {
    throw new AppError('LLM_ERROR', 'the model returned an empty answer');
  }

  const { answer: stored } = await insertChatExchange(db, {
    caseId: turn.caseId,
    question: { content: turn.message, askedAt: turn.askedAt },
    answer: { content: answer.text, model },
  });
  log.info({ messageId: stored.id, chars: answer.text.length }, 'chat answered');
  return stored;
}
