/* Dependency-free, so the authorizer's bundle does not carry zod for one header. */

/**
 * A header by name, whatever its case: API Gateway passes headers with the case the client
 * used, and HTTP names are case-insensitive.
 */
export function headerOf(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
