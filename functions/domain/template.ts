/**
 * Message templates: logic-less `{{placeholder}}` substitution over a fixed set of names.
 *
 * Templates come from admins through the API, so rendering never evaluates anything: a value is
 * looked up only among the known names, only as an own property, and inserted verbatim (a value
 * that itself contains `{{...}}` is not expanded again). Single braces are plain text.
 *
 * @example
 * renderTemplate(BIRTHDAY_TEMPLATE, { fullName: 'Ada Lovelace' }); // "Hey, Ada Lovelace it's your birthday"
 */

export const BIRTHDAY_TEMPLATE = "Hey, {{fullName}} it's your birthday";

export const TEMPLATE_PLACEHOLDERS = ['firstName', 'lastName', 'fullName', 'date', 'years'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

export const MAX_TEMPLATE_LENGTH = 1_000;
export const MAX_RENDERED_LENGTH = 2_000;

const OPEN = '{{';
const CLOSE = '}}';
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Token = { kind: 'text'; text: string } | { kind: 'placeholder'; name: string };

interface ParsedTemplate {
  tokens: Token[];
  /** The first syntax problem; the tokens still cover the whole template (bad parts as text). */
  problem?: string;
}

/** Placeholder names the template uses, in order of first use, each once (unknown ones too). */
export function templatePlaceholders(template: string): string[] {
  const names = parseTemplate(template).tokens.flatMap((token) =>
    token.kind === 'placeholder' ? [token.name] : [],
  );
  return [...new Set(names)];
}

export function validateTemplate(template: string): { ok: true } | { ok: false; message: string } {
  if (template.length > MAX_TEMPLATE_LENGTH) {
    return { ok: false, message: `template is longer than ${MAX_TEMPLATE_LENGTH} characters` };
  }
  if (template.trim() === '') return { ok: false, message: 'template is empty' };
  const { problem } = parseTemplate(template);
  if (problem !== undefined) return { ok: false, message: problem };
  const unknown = templatePlaceholders(template).filter((name) => !isKnownPlaceholder(name));
  if (unknown.length > 0) {
    const names = unknown.map((name) => `{{${name}}}`).join(', ');
    return {
      ok: false,
      message: `unknown placeholder ${names}; known: ${TEMPLATE_PLACEHOLDERS.join(', ')}`,
    };
  }
  return { ok: true };
}

/**
 * Substitutes placeholders. A missing, unknown or non-text value renders as ''; malformed braces
 * are kept as text (validateTemplate rejects them earlier). The output is capped so a large value
 * cannot blow up a webhook body.
 */
export function renderTemplate(
  template: string,
  values: Partial<Record<TemplatePlaceholder, string | number>>,
): string {
  let output = '';
  for (const token of parseTemplate(template).tokens) {
    output += token.kind === 'text' ? token.text : valueOf(values, token.name);
    if (output.length >= MAX_RENDERED_LENGTH) break;
  }
  return truncate(output, MAX_RENDERED_LENGTH);
}

function isKnownPlaceholder(name: string): name is TemplatePlaceholder {
  return (TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name);
}

function valueOf(values: Partial<Record<TemplatePlaceholder, string | number>>, name: string): string {
  // Own known keys only: `{{constructor}}` or `{{__proto__}}` must never reach Object.prototype.
  if (!isKnownPlaceholder(name) || !Object.hasOwn(values, name)) return '';
  const value: unknown = values[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** Cuts to `max` UTF-16 units without leaving half of a surrogate pair at the end. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(max - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

function parseTemplate(template: string): ParsedTemplate {
  const tokens: Token[] = [];
  let problem: string | undefined;
  const report = (message: string): void => {
    problem ??= message;
  };
  let position = 0;
  while (position < template.length) {
    const open = template.indexOf(OPEN, position);
    const strayClose = template.indexOf(CLOSE, position);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      report(`unbalanced braces: '}}' without '{{' at position ${strayClose}`);
      tokens.push({ kind: 'text', text: template.slice(position, strayClose + CLOSE.length) });
      position = strayClose + CLOSE.length;
      continue;
    }
    if (open === -1) {
      tokens.push({ kind: 'text', text: template.slice(position) });
      break;
    }
    if (open > position) tokens.push({ kind: 'text', text: template.slice(position, open) });
    position = readPlaceholder(template, open, tokens, report);
  }
  return problem === undefined ? { tokens } : { tokens, problem };
}

/** Reads the placeholder opening at `open`; returns where scanning continues. */
function readPlaceholder(
  template: string,
  open: number,
  tokens: Token[],
  report: (message: string) => void,
): number {
  const close = template.indexOf(CLOSE, open + OPEN.length);
  if (close === -1) {
    report(`unbalanced braces: '{{' at position ${open} is never closed`);
    tokens.push({ kind: 'text', text: template.slice(open) });
    return template.length;
  }
  const inner = template.slice(open + OPEN.length, close);
  if (inner.includes('{') || inner.includes('}')) {
    report(`unbalanced braces: '{{' at position ${open} holds a brace before its '}}'`);
    tokens.push({ kind: 'text', text: OPEN });
    return open + OPEN.length;
  }
  const name = inner.trim();
  if (!PLACEHOLDER_NAME.test(name)) {
    report(`invalid placeholder {{${inner}}} at position ${open}: expected a name like {{fullName}}`);
    tokens.push({ kind: 'text', text: template.slice(open, close + CLOSE.length) });
  } else {
    tokens.push({ kind: 'placeholder', name });
  }
  return close + CLOSE.length;
}
