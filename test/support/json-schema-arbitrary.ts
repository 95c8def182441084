import fc from 'fast-check';

type Schema = Record<string, unknown>;

/**
 * Request bodies for fuzzing, derived from a route's JSON Schema: mostly well-shaped values
 * (the right fields, enums, examples, formats), each field sometimes missing or replaced by any
 * JSON at all, so the validation of every field and of their combinations is exercised.
 */
export function arbitraryFromSchema(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const anyJson = fc.jsonValue({ maxDepth: 2 });
  const shaped = shapedFrom(schema, depth);
  return depth > 3 ? anyJson : fc.oneof({ arbitrary: shaped, weight: 5 }, { arbitrary: anyJson, weight: 1 });
}

function shapedFrom(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const examples = Array.isArray(schema.examples) ? (schema.examples as unknown[]) : [];
  const fromExamples = examples.length > 0 ? [fc.constantFrom(...examples)] : [];
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const options = ((schema.anyOf ?? schema.oneOf) as Schema[]).map((option) =>
      arbitraryFromSchema(option, depth + 1),
    );
    return fc.oneof(...options, ...fromExamples);
  }
  if (Array.isArray(schema.enum))
    return fc.oneof(fc.constantFrom(...(schema.enum as unknown[])), fc.string());
  if ('const' in schema) return fc.oneof(fc.constant(schema.const), fc.string());
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const fields = Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [
          name,
          arbitraryFromSchema(property, depth + 1),
        ]),
      );
      const record = fc.record(fields, { requiredKeys: [] });
      // Now and then an unknown field, which strict schemas must refuse.
      return fc.oneof(
        { arbitrary: record, weight: 4 },
        {
          arbitrary: fc
            .tuple(record, fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }))
            .map(([value, key, extra]) => ({ ...value, [key]: extra })),
          weight: 1,
        },
      );
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      return fc.array(arbitraryFromSchema(items, depth + 1), { maxLength: 4 });
    }
    case 'string':
      return fc.oneof(
        ...fromExamples,
        schema.format === 'date-time'
          ? fc.date({ noInvalidDate: true }).map((date) => date.toISOString())
          : fc.string({ maxLength: 40 }),
        fc.constantFrom('', ' ', '2026-02-29', '25:61', 'Europe/Paris', '\u0000', 'x'.repeat(300)),
      );
    case 'integer':
      return fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.constantFrom(0, 1, 1001, -1, 2 ** 53));
    case 'number':
      return fc.oneof(fc.double({ noNaN: true }), fc.integer());
    case 'boolean':
      return fc.boolean();
    default:
      return fc.oneof(...fromExamples, fc.jsonValue({ maxDepth: 2 }));
  }
}
