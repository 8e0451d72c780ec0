import { Type, type TSchema } from '@sinclair/typebox';

/**
 * One line of text people type (names, cities, job titles): not blank, no control characters
 * (NUL included, which PostgreSQL under FerretDB refuses), bounded.
 */
export function SingleLine(maxLength: number, description?: string) {
  return Type.String({
    minLength: 1,
    maxLength,
    pattern: '^(?!\\s*$)[^\\x00-\\x1F\\x7F]+$',
    ...(description ? { description } : {}),
  });
}

/** Free text over several lines (a company description): line breaks and tabs, no other control characters. */
export function MultiLine(maxLength: number, description?: string) {
  return Type.String({ maxLength, pattern: '^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]*$', ...(description ? { description } : {}) });
}

export const PhoneSchema = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^\\+?[0-9][0-9 ().-]{2,31}$',
  description: 'Phone number, digits with an optional leading + and spaces, dots, dashes or brackets',
});

export const WebsiteSchema = Type.String({ format: 'uri', maxLength: 500, pattern: '^https?://', description: 'http(s) address' });

/** A PATCH field that may also be `null`: null removes the value. */
export function Clearable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()], { description: `${schema.description ?? 'Value'}; null removes it` });
}
