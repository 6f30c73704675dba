import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const cases = pgTable(
  'cases',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    description: text('description'),
    target: text('target').notNull(),
    targetKind: text('target_kind').notNull(),
    status: text('status').notNull(),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Highest event sequence number handed out; bumped in the same transaction as the insert. */
    lastSeq: integer('last_seq').notNull().default(0),
    /** Set by cancelCase; the case ends CANCELLED once its running runs have stopped. */
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    /** null: nothing to archive; PENDING, ARCHIVED or FAILED once the case has finished. */
    archiveStatus: text('archive_status'),
    archiveError: text('archive_error'),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
  },
  (t) => [index('cases_status_idx').on(t.status), index('cases_created_idx').on(t.createdAt)],
);

export const toolRuns = pgTable(
  'tool_runs',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    tool: text('tool').notNull(),
    options: jsonb('options').notNull().default({}),
    status: text('status').notNull(),
    /** How many times a worker has claimed this run (a lost worker's claim counts). */
    attempts: integer('attempts').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    error: text('error'),
    warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
    output: text('output').notNull().default(''),
    outputTruncated: boolean('output_truncated').notNull().default(false),
  },
  (t) => [
    index('tool_runs_case_idx').on(t.caseId),
    index('tool_runs_claim_idx').on(t.status, t.queuedAt),
  ],
);

export const findings = pgTable(
  'findings',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    value: text('value').notNull(),
    data: jsonb('data'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('findings_case_kind_value_idx').on(t.caseId, t.kind, t.value)],
);

/** Which run (and so which tool) found a finding; one finding can have many. */
export const findingSources = pgTable(
  'finding_sources',
  {
    findingId: text('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    runId: text('run_id')
      .notNull()
      .references(() => toolRuns.id, { onDelete: 'cascade' }),
    tool: text('tool').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.findingId, t.runId] }),
    index('finding_sources_run_idx').on(t.runId),
  ],
);

export const caseEvents = pgTable(
  'case_events',
  {
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    tool: text('tool'),
    runId: text('run_id'),
    status: text('status'),
    message: text('message'),
    findingId: text('finding_id'),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.seq] })],
);

export const reports = pgTable(
  'reports',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    markdown: text('markdown').notNull(),
    generator: text('generator').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('reports_case_idx').on(t.caseId, t.createdAt)],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id').references(() => cases.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    content: text('content').notNull(),
    model: text('model'),
    createdAt: createdAt(),
  },
  (t) => [index('chat_messages_case_idx').on(t.caseId, t.createdAt)],
);

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** SHA-256 of the key; the key itself is shown once and never stored. */
  keyHash: text('key_hash').notNull().unique(),
  role: text('role').notNull(),
  revoked: boolean('revoked').notNull().default(false),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    keyName: text('key_name'),
    operation: text('operation').notNull(),
    caseId: text('case_id'),
    requestId: text('request_id'),
    clientAddress: text('client_address'),
    outcome: text('outcome').notNull(),
    detail: text('detail'),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);
