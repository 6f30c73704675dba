import { randomUUID } from 'node:crypto';

import { asc, desc, eq } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { chatMessages } from '../db/schema.js';

export type ChatMessageRow = typeof chatMessages.$inferSelect;

/** A case's conversation, oldest first; with `last`, only its newest `last` messages. */
export async function listChatMessages(
  db: Db,
  caseId: string,
  options: { last?: number } = {},
): Promise<ChatMessageRow[]> {
  if (options.last === undefined) {
    return db
      .select()
      .from(chatMessages)
      .where(eq(chatMessages.caseId, caseId))
      .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id));
  }
  const newest = await db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.caseId, caseId))
    .orderBy(desc(chatMessages.createdAt), desc(chatMessages.id))
    .limit(options.last);
  return newest.reverse();
}

export interface ChatExchange {
  /** Null for the general assistant. */
  caseId: string | null;
  question: { content: string; askedAt: Date };
  answer: { content: string; model: string };
}

/**
 * Stores a question with its answer, together: a turn that failed leaves no unanswered question
 * behind to be sent again as history. The answer is dated after the question even when the
 * clock has not moved, so the conversation always reads in order.
 */
export async function insertChatExchange(
  db: Db,
  exchange: ChatExchange,
): Promise<{ question: ChatMessageRow; answer: ChatMessageRow }> {
  const askedAt = exchange.question.askedAt;
  const answeredAt = new Date(Math.max(Date.now(), askedAt.getTime() + 1));
  return db.transaction(async (tx) => {
    const [question] = await tx
      .insert(chatMessages)
      .values({
        id: randomUUID(),
        caseId: exchange.caseId,
        role: 'user',
        content: exchange.question.content,
        createdAt: askedAt,
      })
      .returning();
    const [answer] = await tx
      .insert(chatMessages)
      .values({
        id: randomUUID(),
        caseId: exchange.caseId,
        role: 'assistant',
        content: exchange.answer.content,
        model: exchange.answer.model,
        createdAt: answeredAt,
      })
      .returning();
    return { question: question!, answer: answer! };
  });
}
