/**
 * A case-insensitive "contains" filter for a typed search term. The term is escaped, so what an
 * admin types is matched literally and cannot become a costly or invalid regular expression.
 */
export function containsFilter(term: string): { $regex: string; $options: string } {
  return { $regex: term.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
}
