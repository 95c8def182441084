import { useEffect, useRef } from 'preact/hooks';

/**
 * Runs `load` now and then every `intervalMs` while the tab is visible: a hidden tab makes no
 * requests (API keys are rate-limited, and nobody is watching), and becoming visible again
 * refreshes at once. A slow answer never overlaps the next poll. Changing `key` restarts it.
 */
export function usePolling(load: () => Promise<void>, intervalMs: number, key?: unknown): void {
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;

    const schedule = (): void => {
      clearTimeout(timer);
      if (!stopped && document.visibilityState === 'visible') timer = setTimeout(run, intervalMs);
    };
    const run = (): void => {
      if (stopped || running) return;
      running = true;
      void latest.current().finally(() => {
        running = false;
        schedule();
      });
    };
    const onVisibility = (): void => {
      if (document.visibilityState === 'visible') run();
      else clearTimeout(timer);
    };

    run();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs, key]);
}
