import type { estypes } from '@elastic/elasticsearch';
import { SEARCH_LANGUAGES, analyzeQuery, type AnalyzedQuery, type SearchLanguage } from './analysis.js';
import { nameTextField, textField } from './mapping.js';

/**
 * Query clauses shared by product search (`GET /products`) and supplier matching. They use core
 * Elasticsearch features only (DESIGN.md: match with fuzziness, bool, nested, term, range).
 */

export interface TextQueryOptions {
  /** The searcher's language: its fields weigh double. Every language's fields are searched. */
  lang?: SearchLanguage;
}

/**
 * The query a word needs: all of up to two words, three quarters of longer queries (rounded
 * down), so one extra word the catalogue lacks doesn't empty a long query's result.
 */
const MINIMUM_SHOULD_MATCH = '2<75%';

/**
 * Full text over the analysed fields of every language: the query is analysed the way the index
 * analysed each language's text (analysis.ts: folding, stemming, synonyms), languages that give
 * the same analysis share one clause, and each clause tolerates typos (`fuzziness: AUTO`, with
 * the first letter fixed so "tomato" never fuzzes into "potato"). A query with a synonym phrase
 * also matches its words as typed ("bell pepper" finds capsicum and also "bell … pepper").
 * Names weigh more than descriptions; an exact SKU matches too and ranks first.
 *
 * Text with no word in it (punctuation only) matches nothing.
 */
export function textQuery(text: string, { lang }: TextQueryOptions = {}): estypes.QueryDslQueryContainer {
  const groups = new Map<string, { analysed: AnalyzedQuery; languages: SearchLanguage[] }>();
  for (const language of SEARCH_LANGUAGES) {
    const analysed = analyzeQuery(text, language);
    if (analysed.tokens.length === 0) continue;
    const key = `${analysed.withSynonyms.join(' ')}|${analysed.tokens.join(' ')}`;
    const group = groups.get(key);
    if (group) group.languages.push(language);
    else groups.set(key, { analysed, languages: [language] });
  }
  if (groups.size === 0) return { match_none: {} };

  const weighted = (field: string, language: SearchLanguage) => (language === lang ? `${field}^2` : field);
  // A supplier's own SKU typed as it is finds that product, first.
  const matches: estypes.QueryDslQueryContainer[] = [{ term: { sku: { value: text.trim(), boost: 10 } } }];
  const nameBoosts: estypes.QueryDslQueryContainer[] = [];
  for (const { analysed, languages } of groups.values()) {
    const fields = languages.map((language) => weighted(textField(language), language));
    const fuzzyMatch = (query: string): estypes.QueryDslQueryContainer => ({
      multi_match: { query, fields, type: 'best_fields', fuzziness: 'AUTO', prefix_length: 1, minimum_should_match: MINIMUM_SHOULD_MATCH },
    });
    const withSynonyms = analysed.withSynonyms.join(' ');
    matches.push(fuzzyMatch(withSynonyms));
    const asTyped = analysed.tokens.join(' ');
    if (asTyped !== withSynonyms) matches.push(fuzzyMatch(asTyped));
    nameBoosts.push({
      multi_match: {
        query: withSynonyms,
        fields: languages.map((language) => weighted(nameTextField(language), language)),
        type: 'best_fields',
        fuzziness: 'AUTO',
        prefix_length: 1,
        boost: 2,
      },
    });
  }
  return {
    bool: {
      must: [{ bool: { should: matches, minimum_should_match: 1 } }],
      // Scoring only (a `must` is present): they never widen what matches.
      should: nameBoosts,
    },
  };
}

/**
 * The supplier holds a certificate of `type` valid at `date` (the copy stores a date-only bound as
 * the whole UTC day: validFrom at 00:00:00.000, validUntil at 23:59:59.999). Nested, so one and the
 * same certificate must have the type and cover the date.
 */
export function certificationValidOn(type: string, date: Date): estypes.QueryDslQueryContainer {
  const at = date.toISOString();
  return {
    nested: {
      path: 'supplierCertifications',
      query: {
        bool: {
          filter: [
            { term: { 'supplierCertifications.type': type } },
            { range: { 'supplierCertifications.validFrom': { lte: at } } },
            { range: { 'supplierCertifications.validUntil': { gte: at } } },
          ],
        },
      },
    },
  };
}

/** Only what buyers may see: live products (not deleted) of active supplier companies. */
export function liveProductFilters(): estypes.QueryDslQueryContainer[] {
  return [{ term: { status: 'active' } }, { term: { supplierActive: true } }];
}
