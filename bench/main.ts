export {};

/**
 * `npm run bench` (every section) and `npm run bench:load` (the admin API load test only).
 * Sections: scheduler, delivery, cold, api; pass some as arguments to run only those.
 * Knobs (environment): BENCH_RUNS (3), BENCH_USERS (extra table sizes, e.g. 1000000), BENCH_DUE
 * (1000), BENCH_SIZES (replaces 10000,100000), BENCH_BURST (10000), BENCH_COST_NOTIFICATIONS (1000), BENCH_CEILING_SECONDS (3),
 * BENCH_API_SECONDS (10), BENCH_API_GET_RATE (40), BENCH_API_POST_RATE (20), BENCH_LOG_LEVEL (ERROR).
 * Exits 1 when a goal is missed, after writing bench/results/<date>.json.
 */
// Types only: erased, so nothing loads before the environment below is set.
import type { SchedulerRun, SchedulerTable } from './scheduler.bench';
// Powertools reads these at import: quiet, and no EMF lines (as `npm start`), before loading the runtime.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.BENCH_LOG_LEVEL ?? 'ERROR';
// The X-Ray SDK (loaded by the Powertools Tracer, which is off outside Lambda) otherwise hooks
// every promise of the process (cls-hooked); locally there is nothing to trace. Lambda keeps
// automatic mode: this is set only by the local entry points, never in a function's code.
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

const { mkdirSync, writeFileSync } = await import('node:fs');
const path = await import('node:path');
const { machineFacts, median, round, log, epochMs } = await import('./support/stats');
const { loadSchedulerTable, schedulerSize } = await import('./scheduler.bench');
const { deliveryRun } = await import('./delivery.bench');
const { startReceiverProcess } = await import('./support/receiver-process');
const { benchColdStart } = await import('./cold-start.bench');
const { benchApiLoad } = await import('./api-load.bench');
const { costPerMillion, PRICES } = await import('./support/cost');

const env = process.env;
const int = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const ALL = ['scheduler', 'delivery', 'cold', 'api'] as const;
const chosen = process.argv.slice(2).filter((arg) => (ALL as readonly string[]).includes(arg));
const sections = new Set<string>(chosen.length > 0 ? chosen : ALL);
const runs = Math.max(3, int('BENCH_RUNS', 3));
const due = int('BENCH_DUE', 1000);
// BENCH_SIZES replaces the default sizes (quick trials); BENCH_USERS adds to them (1 M).
const baseSizes = env.BENCH_SIZES ? env.BENCH_SIZES.split(',').map(Number) : [10_000, 100_000];
const sizes = [...new Set([...baseSizes, ...(env.BENCH_USERS ?? '').split(',').filter(Boolean).map(Number)])]
  .filter((n) => Number.isInteger(n) && n > due)
  .sort((a, b) => a - b);
const logLevel = env.BENCH_LOG_LEVEL ?? 'ERROR';

interface Goal {
  goal: string;
  target: string;
  measured: string;
  pass: boolean;
}
const goals: Goal[] = [];
const results: Record<string, unknown> = {
  machine: machineFacts(),
  settings: { runs, due, sizes, sections: [...sections], logLevel },
  prices: PRICES,
};
const started = performance.now();

/** Runs one section; a section that breaks is reported as a failed goal, and the others still run. */
async function section(name: string, body: () => Promise<void>): Promise<void> {
  if (!sections.has(name)) return;
  try {
    await body();
  } catch (error) {
    log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    results[`${name}Error`] = String(error);
    goals.push({ goal: `${name} section ran`, target: 'completes', measured: String(error), pass: false });
  }
}

await section('scheduler', async () => {
  // Every size is loaded first, then their runs are taken in turns, the order reversed every other
  // run (10 k, 100 k, 100 k, 10 k, 10 k, 100 k), so the pass-time ratio compares neighbouring
  // passes, and neither size always follows the other's (slower) Scan.
  const tables: SchedulerTable[] = [];
  const measured = [];
  try {
    for (const users of sizes) tables.push(await loadSchedulerTable({ users, due }));
    const runsBySize: SchedulerRun[][] = tables.map(() => []);
    for (let run = 0; run < runs; run += 1) {
      const order = [...tables.entries()];
      if (run % 2 === 1) order.reverse();
      for (const [index, table] of order) runsBySize[index]?.push(await table.measure(run));
    }
    for (const [index, table] of tables.entries())
      measured.push(schedulerSize(table, runsBySize[index] ?? []));
  } finally {
    await Promise.allSettled(tables.map((table) => table.stop()));
  }
  results.scheduler = measured;
  for (const size of measured) {
    goals.push({
      goal: `scheduler read units per due notification, ${size.users.toLocaleString('en')} users`,
      target: '<= 1.5',
      measured: `${round(size.median.readUnitsPerDue, 3)} (Scan baseline ${round(size.median.scanReadUnitsPerDue, 3)})`,
      pass: size.median.readUnitsPerDue <= 1.5,
    });
  }
  const small = measured.find((s) => s.users === 10_000);
  const large = measured.find((s) => s.users === 100_000);
  if (small && large) {
    // The median of the ratios of passes taken one after the other (run i at 100 k ÷ run i at
    // 10 k), beside the ratio of the medians.
    const ratio = median(small.runs.map((run, i) => (large.runs[i]?.passMs ?? Number.NaN) / run.passMs));
    goals.push({
      goal: 'scheduler pass at 100 k users / pass at 10 k users',
      target: '<= 1.3',
      measured:
        `${round(ratio, 2)} (median of paired runs; medians ${round(large.median.passMs)} / ` +
        `${round(small.median.passMs)} ms)`,
      pass: ratio <= 1.3,
    });
  }
});

await section('delivery', async () => {
  const receiver = await startReceiverProcess();
  try {
    const common = {
      receiver,
      ceilingMs: int('BENCH_CEILING_SECONDS', 3) * 1000,
      logLevel,
      timeoutMs: 30 * 60_000,
    };
    const burst = int('BENCH_BURST', 10_000);
    const deliveryRuns = [];
    for (let run = 0; run < runs; run += 1) {
      deliveryRuns.push(await deliveryRun({ ...common, notifications: burst, metered: false }));
    }
    const costRun = await deliveryRun({
      ...common,
      notifications: int('BENCH_COST_NOTIFICATIONS', 1000),
      metered: true,
    });
    // Counts from the metered run; the batch duration from the unmetered ones (no proxy in the way).
    const cost = costPerMillion(costRun, {
      workerBatchSeconds: median(deliveryRuns.map((r) => r.workerBatchSeconds ?? Number.NaN)),
    });
    results.delivery = { runs: deliveryRuns, costRun, cost };
    const throughputRatio = median(deliveryRuns.map((r) => r.throughput / r.lowerCeiling));
    goals.push({
      goal: 'delivery throughput / lower ceiling',
      target: '>= 0.5',
      measured:
        `${round(throughputRatio, 3)} (${round(median(deliveryRuns.map((r) => r.throughput)), 1)}/s; ceilings ` +
        `${round(median(deliveryRuns.map((r) => r.postsPerSecond)), 0)} POST/s, ` +
        `${round(median(deliveryRuns.map((r) => r.writesPerSecond)), 0)} writes/s)`,
      pass: throughputRatio >= 0.5,
    });
    const burstRatio = median(deliveryRuns.map((r) => r.burstMs / r.minimumBurstMs));
    goals.push({
      goal: `burst of ${burst.toLocaleString('en')}: tick to last delivery / minimum`,
      target: '<= 2',
      measured:
        `${round(burstRatio, 2)} (${round(median(deliveryRuns.map((r) => r.burstMs)) / 1000, 1)} s; minimum ` +
        `${round(median(deliveryRuns.map((r) => r.minimumBurstMs)) / 1000, 1)} s)`,
      pass: burstRatio <= 2,
    });
    const lost = deliveryRuns.reduce((sum, r) => sum + (r.notifications - r.delivered), 0);
    const duplicates = deliveryRuns.reduce((sum, r) => sum + r.duplicates, 0);
    goals.push({
      goal: 'delivery runs: lost / duplicates / failed',
      target: '0 / 0 / 0',
      measured: `${lost} / ${duplicates} / ${deliveryRuns.reduce((sum, r) => sum + r.failed, 0)}`,
      pass: lost === 0 && duplicates === 0 && deliveryRuns.every((r) => r.failed === 0),
    });
    goals.push({
      goal: 'cost per million notifications (us-east-1 on demand)',
      target: '<= $3',
      measured:
        `$${round(cost.total, 2)} (requests counted during the run); fixed $${round(cost.fixedDollarsPerDay, 4)} a day ` +
        `besides, $${round(cost.totalWithFixedAt10M, 2)} per million with it at 10 M users`,
      pass: cost.total <= 3,
    });
  } finally {
    await receiver.stop();
  }
});

await section('cold', async () => {
  results.coldStart = await benchColdStart(Math.max(5, runs));
});

await section('api', async () => {
  const api = await benchApiLoad({
    runs,
    seconds: int('BENCH_API_SECONDS', 10),
    getRate: int('BENCH_API_GET_RATE', 40),
    postRate: int('BENCH_API_POST_RATE', 20),
  });
  results.apiLoad = api;
  for (const route of [...new Set(api.map((r) => r.route))]) {
    const of = api.filter((r) => r.route === route);
    const p99 = median(of.map((r) => r.p99Ms));
    const errorRate = median(of.map((r) => r.errorRate));
    goals.push({
      goal: `admin API ${route} at ${of[0]?.rate ?? 0} req/s: p99 / error rate`,
      target: '<= 250 ms / <= 0.1 %',
      measured: `${round(p99, 1)} ms / ${round(errorRate * 100, 3)} %`,
      pass: p99 <= 250 && errorRate <= 0.001,
    });
  }
});

results.goals = goals;
results.durationSeconds = round((performance.now() - started) / 1000, 1);
const day = new Date(epochMs()).toISOString().slice(0, 10);
const suffix = sections.size === ALL.length ? '' : `-${[...sections].join('-')}`;
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${day}${suffix}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

const lines = ['| goal | target | measured | |', '|---|---|---|---|'];
for (const goal of goals)
  lines.push(`| ${goal.goal} | ${goal.target} | ${goal.measured} | ${goal.pass ? 'pass' : '**FAIL**'} |`);
console.log(lines.join('\n'));
log(`results in ${file} (${String(results.durationSeconds)} s)`);
if (goals.some((goal) => !goal.pass)) process.exitCode = 1;
