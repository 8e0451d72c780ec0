/**
 * `pnpm infra up [--only redis,kafka,...] | down | status [--json] | prometheus-config [--check]`
 * Failures print one sentence and exit 1; FOODXCHANGE_DEBUG=1 adds the stack.
 */
import { describeError, InfraError } from './errors.js';
import { down, formatStatusTable, resolveSelection, status, up } from './launcher.js';
import { writePrometheusFiles } from './monitoring.js';
import type { ServerSelector } from './types.js';

const usage =
  'usage: pnpm infra up [--only redis,postgres,ferretdb|mongo,kafka,elasticsearch,prometheus,maildev] | down | status [--json] | prometheus-config [--check]';

function parseOnly(args: string[]): ServerSelector[] | undefined {
  const index = args.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (index < 0) {
    return undefined;
  }
  const arg = args[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  if (!value) {
    throw new InfraError(`--only needs a comma-separated list of servers: ${usage}`);
  }
  const selectors = value.split(',').map((name) => name.trim()) as ServerSelector[];
  resolveSelection(selectors);
  return selectors;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'up': {
      const only = parseOnly(args);
      await up(only ? { only } : {});
      return 0;
    }
    case 'down':
      await down();
      return 0;
    case 'status': {
      const servers = await status();
      console.log(args.includes('--json') ? JSON.stringify(servers, null, 2) : formatStatusTable(servers));
      return 0;
    }
    case 'prometheus-config': {
      // infra/prometheus/prometheus.yml and prometheus.compose.yml, from the platform's process list.
      const check = args.includes('--check');
      const stale = writePrometheusFiles(check);
      if (check && stale.length > 0) {
        console.error(`Out of date (run pnpm infra prometheus-config): ${stale.join(', ')}`);
        return 1;
      }
      console.log(stale.length === 0 ? 'Prometheus configurations are up to date.' : `Wrote ${stale.join(', ')}`);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
      console.log(usage);
      return command === undefined ? 1 : 0;
    default:
      console.error(`Unknown command "${command}": ${usage}`);
      return 1;
  }
}

// If a bug left a promise that never settles, Node would exit 0 on an empty event loop.
process.on('beforeExit', () => {
  console.error('infra stopped before finishing: this is a bug in infra/src (rerun with FOODXCHANGE_DEBUG=1).');
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    // The probe clients (mongodb, kafkajs) may keep sockets in teardown: do not wait for them.
    process.exit(code);
  },
  (error: unknown) => {
    const message = error instanceof InfraError ? error.message : `infra failed: ${describeError(error)}`;
    console.error(message);
    if (process.env.FOODXCHANGE_DEBUG && error instanceof Error) {
      console.error(error.stack);
    }
    process.exit(1);
  },
);
