import { Command } from 'commander';

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

await program.parseAsync(process.argv);
