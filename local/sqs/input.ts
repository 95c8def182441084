import { SqsError } from './errors';

/**
 * Typed reads from an untrusted JSON request body. Wrong types are client errors, as in AWS:
 * the SDK only ever sends well-typed input, so these guard against hand-written requests.
 */
export class Input {
  constructor(
    private readonly data: Record<string, unknown>,
    private readonly path = '',
  ) {}

  static parse(text: string): Input {
    let value: unknown;
    try {
      value = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new SqsError('SerializationException', 'The request body is not valid JSON.');
    }
    if (!isRecord(value))
      throw new SqsError('SerializationException', 'The request body must be a JSON object.');
    return new Input(value);
  }

  has(name: string): boolean {
    return this.data[name] !== undefined && this.data[name] !== null;
  }

  optionalString(name: string): string | undefined {
    const value = this.data[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.typeError(name, 'a string');
    return value;
  }

  string(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined) {
      throw new SqsError('MissingParameter', `The request must contain the parameter ${this.path}${name}.`);
    }
    return value;
  }

  optionalInt(name: string): number | undefined {
    const value = this.data[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw this.typeError(name, 'an integer');
    return value;
  }

  stringList(name: string): string[] {
    const value = this.data[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw this.typeError(name, 'a list of strings');
    }
    return value;
  }

  stringMap(name: string): Record<string, string> {
    const value = this.data[name];
    if (value === undefined || value === null) return {};
    if (!isRecord(value) || !Object.values(value).every((item) => typeof item === 'string')) {
      throw this.typeError(name, 'a map of strings');
    }
    return value as Record<string, string>;
  }

  /** A map whose values are objects (message attributes). */
  objectMap(name: string): Record<string, Input> | undefined {
    const value = this.data[name];
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) throw this.typeError(name, 'a map');
    const result: Record<string, Input> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!isRecord(item)) throw this.typeError(`${name}.${key}`, 'an object');
      result[key] = new Input(item, `${this.path}${name}.${key}.`);
    }
    return result;
  }

  list(name: string): Input[] | undefined {
    const value = this.data[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw this.typeError(name, 'a list');
    return value.map((item: unknown, index) => {
      if (!isRecord(item)) throw this.typeError(`${name}.${index + 1}`, 'an object');
      return new Input(item, `${this.path}${name}.${index + 1}.`);
    });
  }

  private typeError(name: string, expected: string): SqsError {
    return new SqsError('SerializationException', `${this.path}${name} must be ${expected}.`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
