/**
 * Pushes ~200 MB of tool output through the runner (executor, event log, stored output tail)
 * on an embedded database and reports peak memory: the run's stored output and its live
 * events stay bounded however much the tool prints.
 *
 *   npx tsx bench/runner-output.ts [megabytes]
 */
import { z } from 'zod';

import { closeServices, createServices } from '../src/app/services.js';
import { testConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import type { ToolAdapter } from '../src/tools/tool.js';

const megabytes = Number(process.argv[2] ?? 200);
const LINE = `${'loom-bench '.repeat(9)}0123456789`;
const lines = Math.floor((megabytes * 1024 * 1024) / (LINE.length + 1));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const chatty: ToolAdapter = {
  name: 'chatty',
  description: 'prints a lot',
  transport: 'NATIVE',
  targetKinds: ['DOMAIN'],
  options: z.object({}),
  checkAvailability: async () => ({ available: true }),
  parse: () => [],
  run: async (_target, _options, ctx) => {
    for (let i = 0; i < lines; i++) {
      ctx.output(LINE);
      // Yield now and then, as a real transport does between chunks.
      if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  },
};

async function main(): Promise<void> {
  const config = testConfig({ DATA_DIR: 'memory://', TOOL_TIMEOUT_SECONDS: '3600' });
  const services = await createServices(config, createLogger(config), { tools: [chatty] });
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);

  const started = Date.now();
  const created = await services.caseService.create({
    title: 'bench',
    target: 'example.com',
    tools: ['chatty'],
  });
  for (;;) {
    const row = await services.db.query.cases.findFirst({
      where: (c, { eq }) => eq(c.id, created.id),
    });
    if (row && ['COMPLETED', 'PARTIAL', 'FAILED'].includes(row.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const run = await services.db.query.toolRuns.findFirst({
    where: (r, { eq }) => eq(r.caseId, created.id),
  });
  await closeServices(services);

  process.stdout.write(
    `${megabytes} MiB in ${lines} lines through the runner in ${seconds.toFixed(1)} s\n` +
      `rss baseline ${mib(baseline)}, peak ${mib(peak)} (+${mib(peak - baseline)})\n` +
      `stored output ${mib(run?.output.length ?? 0)}, truncated: ${run?.outputTruncated}\n`,
  );
  if (run?.status !== 'SUCCEEDED' || !run.outputTruncated) process.exitCode = 1;
}

await main();
