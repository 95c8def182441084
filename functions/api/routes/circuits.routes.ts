import { NotFoundError } from '#commons/errors';
import { DEFAULT_FORCE_OPEN_SECONDS, type ControlCircuits } from '#use-cases/control-circuits.use-case';
import { etagOf, expectedVersionOf, json, parseJsonBody } from '../http';
import type { Route, RouteRequest } from '../router';
import {
  CircuitListSchema,
  CircuitSchema,
  ENDPOINT_KEY_PATTERN,
  ForceOpenRequestSchema,
  toCircuitJson,
} from '../schemas/circuit.schema';

export const CIRCUITS_PATH = '/v1/circuits';

/** The `{endpoint}` segment (already percent-decoded); anything else names no circuit: 404. */
function endpointOf({ params }: RouteRequest): string {
  const endpoint = params.endpoint ?? '';
  if (!ENDPOINT_KEY_PATTERN.test(endpoint)) throw new NotFoundError('circuit', endpoint);
  return endpoint;
}

const ENDPOINT_NOTE =
  'The endpoint is `scheme://host[:port]` exactly as the circuit list shows it (a default port is left out), percent-encoded (`https%3A%2F%2Fhooks.example.com`).';

export function circuitRoutes(circuits: ControlCircuits): Route[] {
  return [
    {
      method: 'GET',
      path: CIRCUITS_PATH,
      handler: async () => json(200, { items: (await circuits.list()).map(toCircuitJson) }),
      doc: {
        summary: 'List the circuit of every endpoint',
        tag: 'circuits',
        responses: {
          200: { description: 'Every endpoint ever tripped or steered.', schema: CircuitListSchema },
        },
      },
    },
    {
      method: 'GET',
      path: `${CIRCUITS_PATH}/{endpoint}`,
      handler: async (request) => {
        const view = await circuits.get(endpointOf(request));
        return json(200, toCircuitJson(view), { etag: etagOf(view.version) });
      },
      doc: {
        summary: 'Get one endpoint’s circuit',
        description: ENDPOINT_NOTE,
        tag: 'circuits',
        responses: {
          200: {
            description: 'The circuit.',
            schema: CircuitSchema,
            headers: { etag: 'The circuit’s version' },
          },
        },
        errors: [404],
      },
    },
    {
      method: 'POST',
      path: `${CIRCUITS_PATH}/{endpoint}/reset`,
      handler: async (request) => {
        const endpoint = endpointOf(request);
        const expected = expectedVersionOf(request.event);
        const before = await circuits.get(endpoint);
        const after = await circuits.reset(endpoint, expected);
        return {
          ...json(200, toCircuitJson(after), { etag: etagOf(after.version) }),
          audit: {
            resource: 'circuit',
            resourceId: endpoint,
            action: 'command',
            before: toCircuitJson(before),
            after: toCircuitJson(after),
          },
        };
      },
      doc: {
        summary: 'Reset (close) a circuit',
        description: `Closes it and forgets its failures; workers see it within 5 s. ${ENDPOINT_NOTE}`,
        tag: 'circuits',
        responses: { 200: { description: 'The circuit, closed.', schema: CircuitSchema } },
        errors: [404, 409, 412],
      },
    },
    {
      method: 'POST',
      path: `${CIRCUITS_PATH}/{endpoint}/open`,
      handler: async (request) => {
        const endpoint = endpointOf(request);
        // No body means the default duration; a body must be valid JSON of the schema.
        const hasBody = (request.event.body ?? '') !== '';
        const { durationSeconds } = hasBody ? parseJsonBody(request.event, ForceOpenRequestSchema) : {};
        const expected = expectedVersionOf(request.event);
        const before = await circuits.get(endpoint).catch((error: unknown) => {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        });
        const after = await circuits.forceOpen(
          endpoint,
          durationSeconds ?? DEFAULT_FORCE_OPEN_SECONDS,
          expected,
        );
        return {
          ...json(200, toCircuitJson(after), { etag: etagOf(after.version) }),
          audit: {
            resource: 'circuit',
            resourceId: endpoint,
            action: 'command',
            ...(before ? { before: toCircuitJson(before) } : {}),
            after: toCircuitJson(after),
          },
        };
      },
      doc: {
        summary: 'Force a circuit open',
        description:
          'Deliveries to the endpoint are deferred (never failed) until the duration ends; then one ' +
          `probe decides, as after a trip. ${ENDPOINT_NOTE}`,
        tag: 'circuits',
        body: ForceOpenRequestSchema,
        responses: { 200: { description: 'The circuit, open.', schema: CircuitSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
    },
  ];
}
