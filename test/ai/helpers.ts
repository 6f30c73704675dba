import type { AddressInfo } from 'node:net';

import { dependencyHealth } from '../../src/app/dependency-health.js';
import { buildHttpApp } from '../../src/server/http-server.js';
import { type TestApp, waitFor } from '../support/test-app.js';

export const CREATE = `mutation($input: CreateCaseInput!) { createCase(input: $input) { id } }`;

export const CASE = `query($id: ID!) {
  case(id: $id) {
    id status archiveStatus
    report { generator markdown }
    reports { generator markdown createdAt }
    chat { id role content model createdAt }
    events { seq type status message }
  }
}`;

export interface CaseView {
  id: string;
  status: string;
  archiveStatus: string | null;
  report: { generator: string; markdown: string } | null;
  reports: { generator: string; markdown: string; createdAt: string }[];
  chat: { id: string; role: string; content: string; model: string | null; createdAt: string }[];
  events: { seq: number; type: string; status: string | null; message: string | null }[];
}

const FINAL = ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED'];

export async function createCase(app: TestApp, tools: string[], target = 'example.com') {
  const created = await app.gql<{ createCase: { id: string } }>(CREATE, {
    input: { title: `Case on ${target}`, target, tools },
  });
  if (created.errors) throw new Error(JSON.stringify(created.errors));
  return created.data!.createCase.id;
}

export async function loadCase(app: TestApp, id: string): Promise<CaseView> {
  const result = await app.gql<{ case: CaseView }>(CASE, { id });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.case;
}

/** Waits until the case has its final status and returns it as the API shows it. */
export async function waitForFinal(app: TestApp, id: string, timeoutMs = 20_000) {
  return waitFor(async () => {
    const view = await loadCase(app, id);
    return FINAL.includes(view.status) ? view : undefined;
  }, timeoutMs);
}

/** /health of the app as `startApp` serves it (with the llm and archive checks). */
export async function healthOf(app: TestApp): Promise<{
  dependencies: Record<string, { status: string; detail?: string }>;
}> {
  const http = buildHttpApp(app.services, { health: dependencyHealth(app.services) });
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = http.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return (await res.json()) as never;
  } finally {
    await http.close();
  }
}
