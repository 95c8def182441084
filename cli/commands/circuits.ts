import { endpointKeyOf as serviceEndpointKeyOf } from '../../functions/domain/endpoint-key';
import type { Circuit } from '#api/answer-types';
import type { CommandArgs } from '../arguments';
import type { Command } from '../command';
import { ExitCode } from '../errors';
import { formatFields, formatTable, orDash } from '../format';

export const circuitsList: Command = {
  group: 'circuits',
  name: 'list',
  summary: 'list the circuit of every webhook endpoint',
  arguments: '',
  description: [
    'GET /v1/circuits: each endpoint ever tripped or steered, closed, open or half-open (the next',
    'call is the probe), its failures and how long it stays open.',
  ].join('\n'),
  options: {},
  examples: ['occasions circuits list'],
  run: async (context, args) => {
    if (args.positionals.length > 0) throw args.usage(`unexpected argument "${args.positionals[0] ?? ''}"`);
    const { body } = await context.api().get<{ items: Circuit[] }>('/v1/circuits');
    context.out.result(body, () =>
      body.items.length === 0
        ? 'No circuits yet: no endpoint has failed or been steered.'
        : formatTable(
            ['ENDPOINT', 'STATE', 'FAILURES', 'OPEN SINCE', 'OPEN UNTIL', 'FORCED'],
            body.items.map((circuit) => [
              circuit.endpoint,
              circuit.state,
              String(circuit.failures),
              orDash(circuit.openSince),
              orDash(circuit.openUntil),
              circuit.forced ? 'yes' : 'no',
            ]),
          ),
    );
    return ExitCode.ok;
  },
};

export const circuitsShow: Command = {
  group: 'circuits',
  name: 'show',
  summary: 'show one endpoint’s circuit',
  arguments: '<endpoint>',
  description: 'GET /v1/circuits/{endpoint}. The endpoint is scheme://host:port, or any URL on it.',
  options: {},
  examples: ['occasions circuits show https://hooks.example.com'],
  run: async (context, args) => {
    const endpoint = endpointArgument(args);
    const { body } = await context.api().get<Circuit>(`/v1/circuits/${encodeURIComponent(endpoint)}`);
    context.out.result(body, () => renderCircuit(body));
    return ExitCode.ok;
  },
};

export const circuitsReset: Command = {
  group: 'circuits',
  name: 'reset',
  summary: 'close a circuit and forget its failures',
  arguments: '<endpoint>',
  description: [
    'POST /v1/circuits/{endpoint}/reset: deliveries to the endpoint resume (workers see it within',
    '5 s). The endpoint is scheme://host:port as `circuits list` shows it, or any URL on it',
    '(https://hooks.example.com/birthdays resets https://hooks.example.com).',
  ].join('\n'),
  options: {},
  examples: ['occasions circuits reset https://hooks.example.com'],
  run: async (context, args) => {
    const endpoint = endpointArgument(args);
    const { body } = await context.api().post<Circuit>(`/v1/circuits/${encodeURIComponent(endpoint)}/reset`, {
      idempotencyKey: context.newIdempotencyKey(),
    });
    context.out.result(body, () => `Reset ${body.endpoint}: now ${body.state}.`);
    return ExitCode.ok;
  },
};

function endpointArgument(args: CommandArgs): string {
  const [endpoint, ...extra] = args.positionals;
  if (endpoint === undefined || extra.length > 0)
    throw args.usage('give exactly one endpoint (scheme://host:port)');
  const key = endpointKeyOf(endpoint);
  if (key === undefined)
    throw args.usage(`"${endpoint}" is not an http(s) URL like https://hooks.example.com`);
  return key;
}

/**
 * The circuit key of a URL as the service computes it (the same function: a module of its own,
 * with no imports, so the CLI stays a client of the API and not of the service's code), or
 * undefined for text that is not an http(s) URL.
 */
export function endpointKeyOf(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return serviceEndpointKeyOf(text);
  } catch {
    return undefined;
  }
}

function renderCircuit(circuit: Circuit): string {
  return formatFields([
    ['endpoint', circuit.endpoint],
    [
      'state',
      `${circuit.state}${circuit.forced ? ' (held open by an admin)' : ''}${circuit.probing ? ', probe in flight' : ''}`,
    ],
    ['failures', String(circuit.failures)],
    ['open since', orDash(circuit.openSince)],
    ['open until', orDash(circuit.openUntil)],
    ['updated', orDash(circuit.updatedAt)],
  ]);
}
