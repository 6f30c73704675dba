// Opens a case, follows its events to the end, then prints the report.
// Run from the repository root: npx tsx clients/typescript/examples/watch-case.ts example.com dns
import WebSocket from 'ws';

import {
  CaseReportDocument,
  CreateCaseDocument,
  createLoomClient,
  subscribeCaseEvents,
} from '../src/index.js';

const [target = 'example.com', ...tools] = process.argv.slice(2);

const client = createLoomClient({
  url: process.env.LOOM_URL ?? 'http://127.0.0.1:8787',
  apiKey: process.env.LOOM_API_KEY,
  webSocketImpl: WebSocket,
});

const { createCase } = await client.request(CreateCaseDocument, {
  input: { title: `Look at ${target}`, target, tools: tools.length ? tools : ['dns'] },
});
console.log(`case ${createCase.id} ${createCase.status}`);

const { final } = await subscribeCaseEvents(client, createCase.id, {
  afterSeq: 0,
  onEvent: (event) => {
    if (event.type === 'TOOL_STATUS') console.log(`${event.tool} ${event.status}`);
    if (event.type === 'FINDING') console.log(`  ${event.finding?.kind} ${event.finding?.value}`);
  },
  onReconnect: ({ afterSeq }) => console.log(`reconnecting after seq ${afterSeq}`),
});
console.log(`case ended ${final?.status}`);

const { case: done } = await client.request(CaseReportDocument, { id: createCase.id });
console.log(done?.report?.markdown ?? '(no report)');
await client.dispose();
