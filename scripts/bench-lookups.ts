/**
 * `npm run bench:lookups`: does a point lookup on the Mongo-compatible server stay as fast when
 * a collection grows from 1,000 to 50,000 documents? Builds both collections in a throwaway
 * database through the MongoDB driver, times findOne by _id, findOne by a field with a declared
 * unique index and updateOne by _id (the sizes take turns over a few rounds), prints p50/p99 and
 * the ratio largest/smallest (target: within 2×), then drops the database. A benchmark prints
 * figures; it asserts nothing (see infra/README.md, "Indexes under FerretDB").
 *
 *   npm run bench:lookups                         # 1,000 and 50,000 documents, 300 calls each
 *   BENCH_SIZES=1000,10000,50000 BENCH_LOOKUPS=600 npm run bench:lookups
 */
import { infraUp } from '../infra/src/index.js';
import { LOOKUP_OPERATIONS, runLookupBench, type LookupFigures } from '../infra/src/lookup-bench.js';

const sizes = (process.env.BENCH_SIZES ?? '1000,50000').split(',').map((size) => Number(size.trim()));
const lookups = Number(process.env.BENCH_LOOKUPS ?? 300);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_RATIO = 2;

if (sizes.length < 2 || sizes.some((size) => !Number.isInteger(size) || size <= 0) || !(lookups > 0) || !(rounds > 0)) {
  console.error('BENCH_SIZES needs two or more positive integers (e.g. 1000,50000); BENCH_LOOKUPS and BENCH_ROUNDS positive numbers.');
  process.exit(1);
}
sizes.sort((a, b) => a - b);

const { mongoUrl } = await infraUp({ log: (line) => console.log(`[infra] ${line}`) });
console.log(`lookups on ${mongoUrl}: sizes ${sizes.join(', ')}; ${lookups} calls per operation and size in ${rounds} rounds`);
const result = await runLookupBench({ mongoUrl, sizes, lookups, rounds, log: (line) => console.log(`  ${line}`) });

const smallest = sizes[0] as number;
const largest = sizes[sizes.length - 1] as number;
const figureOf = (size: number, operation: string): LookupFigures | undefined =>
  result.figures.find((figure) => figure.size === size && figure.operation === operation);
const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(1));

const header = ['operation', ...sizes.flatMap((size) => [`p50 ${size}`, `p99 ${size}`]), `p50 ${largest}/${smallest}`, 'verdict'];
const rows = LOOKUP_OPERATIONS.map((operation) => {
  const small = figureOf(smallest, operation);
  const large = figureOf(largest, operation);
  const ratio = small && large ? large.p50Ms / small.p50Ms : Number.NaN;
  return [
    operation,
    ...sizes.flatMap((size) => [ms(figureOf(size, operation)?.p50Ms), ms(figureOf(size, operation)?.p99Ms)]),
    Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}×`,
    ratio <= TARGET_RATIO ? `within ${TARGET_RATIO}×` : `over ${TARGET_RATIO}×`,
  ];
});
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
const render = (row: string[]): string => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
console.log('\nlatency in ms');
console.log(render(header));
for (const row of rows) console.log(render(row));
console.log(`\nbuild (insertMany in batches of 1,000): ${sizes.map((size) => `${size} docs ${ms(result.buildMs[size])} ms`).join(', ')}`);
console.log(`plan of findOne by _id on ${largest} docs: ${result.plan}`);
console.log(`database ${result.database} dropped`);
