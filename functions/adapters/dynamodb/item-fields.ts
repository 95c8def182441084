/**
 * Typed reads of a stored item's attributes. A wrong type is a bug or foreign data, never user
 * input, so it throws, naming the item (`label`) and the attribute.
 *
 * @example
 * const fields = itemFields(item, `user item ${String(item.pk)}`);
 * fields.text('firstName'); fields.integer('version');
 */
export interface ItemFields {
  text: (name: string) => string;
  /** `undefined` when absent; a present value must be a string. */
  optionalText: (name: string) => string | undefined;
  integer: (name: string) => number;
  /** The anchor of an item in the slot index (see `dueAttributesOf`, ADR 0009), or null. */
  schedule: () => { localDate: string; dueAt: number } | null;
}

export function itemFields(item: Record<string, unknown>, label: string): ItemFields {
  const text = (name: string): string => {
    const value = item[name];
    if (typeof value !== 'string') throw new Error(`${label}: ${name} is not a string`);
    return value;
  };
  const integer = (name: string): number => {
    const value = item[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new Error(`${label}: ${name} is not an integer`);
    }
    return value;
  };
  return {
    text,
    optionalText: (name) => (item[name] === undefined ? undefined : text(name)),
    integer,
    schedule: () =>
      item.dueAt === undefined ? null : { localDate: text('nextLocalDate'), dueAt: integer('dueAt') },
  };
}
