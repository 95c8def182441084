import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BIRTHDAY_TEMPLATE,
  MAX_RENDERED_LENGTH,
  MAX_TEMPLATE_LENGTH,
  TEMPLATE_PLACEHOLDERS,
  renderTemplate,
  templatePlaceholders,
  validateTemplate,
  type TemplatePlaceholder,
} from '#domain/template';

type Values = Partial<Record<TemplatePlaceholder, string | number>>;

describe('renderTemplate', () => {
  it('given the birthday template, when rendered, then it greets the full name', () => {
    expect(renderTemplate(BIRTHDAY_TEMPLATE, { fullName: 'Ada Lovelace' })).toBe(
      "Hey, Ada Lovelace it's your birthday",
    );
  });

  it('given whitespace inside the braces and a number, when rendered, then both are substituted', () => {
    expect(
      renderTemplate('{{ firstName }} turns {{\tyears\n}} on {{date}}', {
        firstName: 'Ada',
        years: 36,
        date: '2027-06-15',
      }),
    ).toBe('Ada turns 36 on 2027-06-15');
  });

  it('given a missing value, when rendered, then the placeholder becomes empty', () => {
    expect(renderTemplate('Hi {{firstName}}{{lastName}}!', { firstName: 'Ada' })).toBe('Hi Ada!');
  });

  it('given placeholders that name Object.prototype members, when rendered, then nothing leaks', () => {
    const values = { fullName: 'Ada' } as Values;
    expect(renderTemplate('[{{constructor}}][{{__proto__}}][{{toString}}][{{hasOwnProperty}}]', values)).toBe(
      '[][][][]',
    );
  });

  it('given a values object with an inherited known key, when rendered, then only own keys count', () => {
    const values = Object.create({ firstName: 'Inherited' }) as Values;
    expect(renderTemplate('[{{firstName}}]', values)).toBe('[]');
  });

  it('given a value that looks like a placeholder or code, when rendered, then it is inserted verbatim, once', () => {
    const values: Values = { firstName: '{{lastName}}', lastName: '${process.exit()}' };
    expect(renderTemplate('{{firstName}} {{lastName}}', values)).toBe('{{lastName}} ${process.exit()}');
  });

  it('given values that are not text or finite numbers, when rendered, then they render as empty', () => {
    const values = {
      firstName: { toString: () => 'pwned' },
      years: Number.NaN,
      date: Infinity,
    } as unknown as Values;
    expect(renderTemplate('[{{firstName}}][{{years}}][{{date}}]', values)).toBe('[][][]');
  });

  it('given single braces and malformed placeholders, when rendered, then they stay as text', () => {
    expect(renderTemplate('{json} {{ full name }} {{fullName', { fullName: 'Ada' })).toBe(
      '{json} {{ full name }} {{fullName',
    );
  });

  it('given a huge value, when rendered, then the output is capped', () => {
    const rendered = renderTemplate('{{fullName}}{{fullName}}', { fullName: 'x'.repeat(5_000) });
    expect(rendered).toHaveLength(MAX_RENDERED_LENGTH);
  });

  it('given a cap that would split an emoji, when rendered, then no half surrogate pair is left', () => {
    const rendered = renderTemplate('{{fullName}}', { fullName: `${'x'.repeat(MAX_RENDERED_LENGTH - 1)}😀` });
    expect(rendered).toBe('x'.repeat(MAX_RENDERED_LENGTH - 1));
  });

  it('given any text without braces, when rendered, then it is unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }).filter((text) => !text.includes('{') && !text.includes('}')),
        (text) => {
          expect(renderTemplate(text, {})).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('given any template and values, when rendered, then it never throws and stays within the cap', () => {
    const values = fc.record(
      Object.fromEntries(
        TEMPLATE_PLACEHOLDERS.map((name) => [name, fc.oneof(fc.string(), fc.integer())]),
      ) as Record<TemplatePlaceholder, fc.Arbitrary<string | number>>,
      { requiredKeys: [] },
    );
    const template = fc
      .array(fc.oneof(fc.constantFrom('{{', '}}', '{', '}', ' ', ...TEMPLATE_PLACEHOLDERS), fc.string()), {
        maxLength: 30,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(template, values, (text, given) => {
        expect(renderTemplate(text, given).length).toBeLessThanOrEqual(MAX_RENDERED_LENGTH);
      }),
      { numRuns: 300 },
    );
  });
});

describe('templatePlaceholders', () => {
  it('given repeated and unknown placeholders, when listed, then they come in order of first use, once each', () => {
    expect(templatePlaceholders('{{fullName}} {{ years }} {{fullName}} {{nickname}}')).toEqual([
      'fullName',
      'years',
      'nickname',
    ]);
  });

  it('given no placeholders, when listed, then the list is empty', () => {
    expect(templatePlaceholders('Happy birthday! {not one}')).toEqual([]);
  });
});

describe('validateTemplate', () => {
  it.each([
    BIRTHDAY_TEMPLATE,
    '{{firstName}} {{lastName}} {{fullName}} {{date}} {{years}}',
    'Plain text { with } braces',
  ])('given %j, when validated, then it is fine', (template) => {
    expect(validateTemplate(template)).toEqual({ ok: true });
  });

  it('given an unknown placeholder, when validated, then the message names it', () => {
    const result = validateTemplate('Hi {{nickname}}');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain('{{nickname}}');
  });

  it.each([
    ['an unclosed placeholder', 'Hi {{fullName', "'{{' at position 3 is never closed"],
    ['a stray closing pair', 'Hi fullName}}', "'}}' without '{{'"],
    ['a nested opening', 'Hi {{ {{fullName}}', 'unbalanced braces'],
    ['a triple mustache', '{{{fullName}}}', 'unbalanced braces'],
    ['an empty placeholder', 'Hi {{ }}', 'invalid placeholder'],
    ['a dotted path', 'Hi {{user.name}}', 'invalid placeholder'],
  ])('given %s, when validated, then it is rejected', (_description, template, message) => {
    const result = validateTemplate(template);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(message);
  });

  it('given a template over the length limit or empty, when validated, then it is rejected', () => {
    expect(validateTemplate('x'.repeat(MAX_TEMPLATE_LENGTH)).ok).toBe(true);
    expect(validateTemplate('x'.repeat(MAX_TEMPLATE_LENGTH + 1)).ok).toBe(false);
    expect(validateTemplate('  ').ok).toBe(false);
  });
});
