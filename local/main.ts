export {};

/**
 * `npm start`: the whole service on this machine (CONTRACT section 2). Metrics are written as
 * EMF to stdout only when asked (POWERTOOLS_METRICS_DISABLED=false): locally they are noise.
 * The runtime is imported after that default is set, because Powertools reads it at import.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The X-Ray SDK (loaded by the Powertools Tracer, which is off outside Lambda) otherwise hooks
// every promise of the process (cls-hooked); locally there is nothing to trace. Lambda keeps
// automatic mode: this is set only by the local entry points, never in a function's code.
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

const { localConfigFromEnv } = await import('./local-config');
const { startLocalRuntime } = await import('./runtime');

let config;
try {
  config = localConfigFromEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}

const runtime = await startLocalRuntime(config);
const lines = [
  `Occasions is running at ${runtime.url} (clock ${new Date(runtime.clock.now()).toISOString()}, x${config.clockRate})`,
  `  data:         ${config.dataDir}`,
  `  health:       curl ${runtime.url}/health`,
];
// A generated credential is shown once, on the start that made it; after that it lives in DATA_DIR.
if (runtime.generatedSecrets.includes('ADMIN_API_KEY')) lines.push(`  ADMIN_API_KEY=${runtime.adminApiKey}`);
if (runtime.generatedSecrets.includes('WEBHOOK_SECRET'))
  lines.push(`  WEBHOOK_SECRET=${runtime.webhookSecret}`);
console.log(lines.join('\n'));

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) {
    // A second signal while the first stop waits (a long request, a delivery to a slow receiver):
    // leave now. Nothing is lost: what was not recorded is delivered again, under its webhook-id.
    console.log(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  console.log(
    `${signal}: stopping; in-flight deliveries finish, the rest stays queued (again to exit at once)`,
  );
  runtime.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('unclean stop', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => {
  shutdown('SIGINT');
});
process.on('SIGTERM', () => {
  shutdown('SIGTERM');
});
