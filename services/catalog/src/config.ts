import { Type } from '@sinclair/typebox';

/**
 * The catalog's own settings, validated with the kit's base ones. Each feature keeps its keys
 * together under its own heading.
 */
export const catalogConfig = {
  // products and the two-level cache

  // search

  // imports

  // matching
};
