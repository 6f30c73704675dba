import { Command } from 'commander';

import type { CreateFlags, ListFlags } from './client/case-commands.js';
import { withClientOptions, type ClientFlags } from './client/options.js';
import type { ReportFlags } from './client/report-command.js';
import type { WatchFlags } from './client/watch-command.js';

/**
 * The `loom` command. Each subcommand loads its module lazily so that `loom parse` does not
 * pay for the server's imports.
 */
const program = new Command('loom').description('Loom OSINT orchestration server');

program
  .command('serve')
  .description('start the API server (and workers unless WORKERS=0)')
  .action(async () => {
    const { runServe } = await import('./serve-command.js');
    await runServe();
  });

program
  .command('worker')
  .description('run tool workers only, no API')
  .action(async () => {
    const { runWorker } = await import('./serve-command.js');
    await runWorker();
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const { runMigrate } = await import('./migrate-command.js');
    process.exitCode = await runMigrate();
  });

program
  .command('parse')
  .description('parse a saved output of TOOL and print one JSON finding per line')
  .argument('<tool>', 'tool name, e.g. theharvester')
  .argument('<file>', 'saved output of the tool')
  .action(async (tool: string, file: string) => {
    const { runParse } = await import('./parse-command.js');
    process.exitCode = await runParse(tool, file);
  });

// Key management works on the database directly, like migrate.
const keysCommand = program.command('keys').description('manage API keys (stored as hashes)');

keysCommand
  .command('create')
  .description('create a key and print it once')
  .requiredOption('--name <name>', 'a unique name for the key, e.g. ci-reader')
  .requiredOption('--role <role>', 'viewer, analyst or admin')
  .action(async (flags: { name: string; role: string }) => {
    const { runKeysCreate } = await import('./keys-command.js');
    process.exitCode = await runKeysCreate(flags);
  });

keysCommand
  .command('list')
  .description('every key with its role and status (never the key itself)')
  .option('--json', 'one JSON object per line')
  .action(async (flags: { json?: boolean }) => {
    const { runKeysList } = await import('./keys-command.js');
    process.exitCode = await runKeysList(flags);
  });

keysCommand
  .command('revoke')
  .description('revoke a key by name; it stops working at once')
  .argument('<name>', 'key name')
  .action(async (name: string) => {
    const { runKeysRevoke } = await import('./keys-command.js');
    process.exitCode = await runKeysRevoke(name);
  });

// Client commands talk to a running server over HTTP and WebSocket; they load no server code.
const caseCommand = program.command('case').description('create, list and show cases on a server');

withClientOptions(
  caseCommand
    .command('create')
    .description('open a case for TARGET with the given tools')
    .argument('<target>', 'domain, IP address, email address or username')
    .requiredOption('--tools <names>', 'comma-separated tool names, e.g. dns,crtsh,rdap')
    .option('--title <text>', 'case title (default: the target)')
    .option('--description <text>', 'what the case is about')
    .option('--options <json>', 'tool options as JSON keyed by tool name, or @FILE')
    .option('--watch', 'follow the case until it ends (as loom watch)')
    .option('--verbose', 'with --watch: also show output lines and findings'),
).action(async (target: string, flags: CreateFlags) => {
  const { runCaseCreate } = await import('./client/case-commands.js');
  process.exitCode = await runCaseCreate(target, flags);
});

withClientOptions(
  caseCommand
    .command('list')
    .description('cases, newest first')
    .option('--status <status>', 'only cases with this status, e.g. RUNNING')
    .option('--search <text>', 'only cases whose title or target contains the text')
    .option('--first <n>', 'how many (default 20)'),
).action(async (flags: ListFlags) => {
  const { runCaseList } = await import('./client/case-commands.js');
  process.exitCode = await runCaseList(flags);
});

withClientOptions(
  caseCommand.command('show').description('a case and its tool runs').argument('<id>', 'case id'),
).action(async (id: string, flags: ClientFlags) => {
  const { runCaseShow } = await import('./client/case-commands.js');
  process.exitCode = await runCaseShow(id, flags);
});

withClientOptions(
  program
    .command('watch')
    .description('follow a case live until it ends; exit 1 if it FAILED, 3 if CANCELLED')
    .argument('<id>', 'case id')
    .option('--verbose', 'also show output lines and findings')
    .option('--after-seq <n>', 'start after this event seq instead of replaying everything'),
).action(async (id: string, flags: WatchFlags) => {
  const { runWatch } = await import('./client/watch-command.js');
  process.exitCode = await runWatch(id, flags);
});

withClientOptions(
  program
    .command('report')
    .description('the newest report of a case as Markdown')
    .argument('<id>', 'case id')
    .option('--out <file>', 'write it to FILE instead of stdout'),
).action(async (id: string, flags: ReportFlags) => {
  const { runReport } = await import('./client/report-command.js');
  process.exitCode = await runReport(id, flags);
});

withClientOptions(
  program.command('cancel').description('cancel the unfinished runs of a case').argument('<id>'),
).action(async (id: string, flags: ClientFlags) => {
  const { runCancel } = await import('./client/case-commands.js');
  process.exitCode = await runCancel(id, flags);
});

// A reader that goes away (`loom case list | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await program.parseAsync(process.argv);
