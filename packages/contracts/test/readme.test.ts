import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_TOPICS, EVENT_CATALOG, parseEvent, TOPICS } from '../src/index.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');

describe('README', () => {
  it('has the topic table of EVENT_CATALOG', () => {
    for (const topic of ALL_TOPICS) {
      const { producer, consumers, key, summary } = EVENT_CATALOG[topic];
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${topic}\` |`));
      expect(row, `no README row for ${topic}`).toBeDefined();
      expect(row).toBe(`| \`${topic}\` | ${producer} | ${consumers.join(', ')} | \`${key}\` | ${summary} |`);
    }
  });

  it('shows a record value that is a valid event', () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const event = parseEvent(example!, TOPICS.orderConfirmed);
    expect(event.type).toBe('com.foodxchange.order.confirmed');
  });
});
