/** Runs `examples/partner-consumer` as a partner would (its own process) and collects what it prints. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../../scripts/saga-driver.js';
import { infra } from './support.js';

const script = fileURLToPath(new URL('../../examples/partner-consumer/consumer.mjs', import.meta.url));

export interface PartnerRun {
  /** Each event it printed on stdout (one JSON object per line). */
  events: { id: string; type: string; subject: string; data: Record<string, unknown> }[];
  /** Its stderr lines: "listening …", "duplicate <id> …", "skipped …: <reason>". */
  notes: string[];
  stop(): Promise<void>;
}

export function runPartnerConsumer(env: { topicPrefix: string; groupId: string; seenFile?: string; topic?: string }): PartnerRun {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      KAFKA_BROKERS: infra.kafkaBrokers,
      TOPIC_PREFIX: env.topicPrefix,
      GROUP_ID: env.groupId,
      // From the beginning of the topic: events published before it joined are read too, so no
      // test races its start.
      FROM_BEGINNING: 'true',
      ...(env.topic ? { TOPIC: env.topic } : {}),
      ...(env.seenFile ? { SEEN_FILE: env.seenFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: PartnerRun = {
    events: [],
    notes: [],
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) onLine(line);
    });
  };
  lines(child.stdout!, (line) => run.events.push(JSON.parse(line)));
  lines(child.stderr!, (line) => run.notes.push(line));
  return run;
}

/** Waits until the run printed what `done` looks for (or exited, which fails with its notes). */
export async function partnerSaw(run: PartnerRun, what: string, done: (run: PartnerRun) => boolean): Promise<void> {
  await waitUntil(what, async () => done(run), 60_000, 50);
}
