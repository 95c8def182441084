import { GLOBAL_OPTIONS, type OptionSpecs } from './arguments';
import { commandName, type Command } from './command';
import { formatTable } from './format';

/** Command groups in the order the help lists them, with what each is for. */
export const GROUPS: readonly { name: string; summary: string }[] = [
  { name: 'users', summary: 'bulk import of users' },
  { name: 'notifications', summary: 'the notification log and each attempt' },
  { name: 'dlq', summary: 'the dead-letter queue: list, redrive, delete' },
  { name: 'replay', summary: 'send a window of notifications again' },
  { name: 'circuits', summary: 'the circuit breaker of each webhook endpoint' },
];

const EXIT_CODES =
  'Exit codes: 0 ok, 1 partly failed (rows, messages, a replay job), 2 usage error,\n' +
  '3 authentication (no key, 401, 403), 4 other API error, 5 API unreachable.';

export function rootHelp(commands: readonly Command[], version: string): string {
  return [
    `occasions ${version}: the command-line client of the Occasions admin API`,
    '',
    'Usage: occasions <group> <command> [arguments] [options]',
    '',
    'Commands:',
    indent(commandTable(commands)),
    '',
    'Global options:',
    indent(optionTable(GLOBAL_OPTIONS)),
    '',
    EXIT_CODES,
    'Run `occasions <group> <command> --help` for a command, docs/cli.md for everything.',
  ].join('\n');
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  const summary = GROUPS.find((candidate) => candidate.name === group)?.summary ?? '';
  return [
    `occasions ${group}: ${summary}`,
    '',
    `Usage: occasions ${group} <command> [arguments] [options]`,
    '',
    'Commands:',
    indent(commandTable(commands.filter((command) => command.group === group))),
    '',
    `Run \`occasions ${group} <command> --help\` for the options of each.`,
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const hasOptions = Object.keys(command.options).length > 0;
  return [
    `${commandName(command)}: ${command.summary}`,
    '',
    `Usage: ${commandName(command)}${command.arguments ? ` ${command.arguments}` : ''}${hasOptions ? ' [options]' : ''} [global options]`,
    '',
    command.description,
    ...(hasOptions ? ['', 'Options:', indent(optionTable(command.options))] : []),
    '',
    'Global options:',
    indent(optionTable(GLOBAL_OPTIONS)),
    ...(command.examples.length > 0 ? ['', 'Examples:', indent(command.examples.join('\n'))] : []),
    '',
    EXIT_CODES,
  ].join('\n');
}

function commandTable(commands: readonly Command[]): string {
  const rows = commands.map((command) => [
    `${command.group} ${command.name}${command.arguments ? ` ${command.arguments}` : ''}`,
    command.summary,
  ]);
  return stripHeader(formatTable(['', ''], rows));
}

function optionTable(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`,
    spec.description,
  ]);
  return stripHeader(formatTable(['', ''], rows));
}

function stripHeader(table: string): string {
  return table.split('\n').slice(1).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
