/** `run` over `values` with at most `concurrency` at once; results in input order. */
export async function mapLimited<T, R>(
  values: readonly T[],
  concurrency: number,
  run: (value: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(values.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, values.length) }, async () => {
    while (next < values.length) {
      const index = next;
      next += 1;
      results[index] = await run(values[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}
