import { describe, expect, it } from 'vitest';
import {
  FOLDED_ONLY_LANGUAGES,
  SEARCH_LANGUAGES,
  STEMMED_LANGUAGES,
  analyzeForIndex,
  analyzeQuery,
  analyzeTokens,
  synonymGroupToken,
} from '../src/search/analysis.js';
import { FOOD_SYNONYM_GROUPS } from '../src/search/synonyms.js';
import { certificationValidOn, textQuery } from '../src/search/queries.js';

/** Whether the query's analysed tokens all occur in the indexed text (what a match needs). */
function finds(query: string, indexed: string, lang: 'en' | 'de' = 'en'): boolean {
  const stored = new Set(analyzeForIndex(indexed, lang).split(' '));
  const { tokens, withSynonyms } = analyzeQuery(query, lang);
  return withSynonyms.every((token) => stored.has(token)) || tokens.every((token) => stored.has(token));
}

describe('text analysis (no servers)', () => {
  it('stems English plurals to the singular', () => {
    expect(analyzeTokens('tomatoes', 'en')).toEqual(analyzeTokens('tomato', 'en'));
    expect(finds('tomatoes', 'Cherry tomato, vine ripened')).toBe(true);
    expect(finds('potato', 'Cherry tomatoes')).toBe(false);
  });

  it('folds accents and case, both ways', () => {
    expect(analyzeTokens('Jalapeño', 'en')).toEqual(analyzeTokens('jalapeno', 'en'));
    expect(finds('jalapeno', 'Green JALAPEÑOS in brine')).toBe(true);
    expect(finds('jalapeños', 'green jalapeno')).toBe(true);
    expect(analyzeTokens('Crème brûlée', 'fr')).toEqual(analyzeTokens('creme brulee', 'fr'));
    // Greek keeps its letters but loses its accents.
    expect(analyzeTokens('Ντομάτες', 'el')).toEqual(['ντοματες']);
  });

  it('stems German with the German stemmer (Tomaten ~ Tomate, umlauts folded)', () => {
    expect(analyzeTokens('Tomaten', 'de')).toEqual(analyzeTokens('Tomate', 'de'));
    expect(analyzeTokens('Äpfel', 'de')).toEqual(analyzeTokens('apfel', 'de'));
    expect(finds('tomate', 'Frische Tomaten aus Italien', 'de')).toBe(true);
    // The English stemmer leaves the German plural alone: each language has its own.
    expect(analyzeTokens('Tomaten', 'en')).not.toEqual(analyzeTokens('Tomate', 'en'));
  });

  it('turns every member of a synonym group into the same group token, both ways', () => {
    for (const [a, b] of [
      ['aubergine', 'eggplant'],
      ['courgettes', 'zucchini'],
      ['prawns', 'shrimp'],
      ['coriander', 'cilantro'],
      ['rocket', 'arugula'],
    ] as const) {
      expect(finds(a, `Fresh ${b}`)).toBe(true);
      expect(finds(b, `Fresh ${a}`)).toBe(true);
    }
    expect(finds('potato', 'Fresh eggplant')).toBe(false);
  });

  it('matches multi-word synonyms as phrases', () => {
    expect(finds('capsicum', 'Red bell peppers, Spain')).toBe(true);
    expect(finds('bell pepper', 'Capsicum mix')).toBe(true);
    expect(finds('red bell pepper', 'red capsicum')).toBe(true);
    expect(finds('scallion', 'Spring onions, bunched')).toBe(true);
    expect(finds('spring onion', 'scallions')).toBe(true);
    // Two words apart are not the phrase: "bell" and "pepper" alone are no capsicum.
    expect(finds('capsicum', 'Black pepper from Bell farms')).toBe(false);
    expect(analyzeQuery('red bell pepper', 'en').withSynonyms).toEqual(['red', synonymGroupToken(['capsicum'])]);
  });

  it('keeps the synonym list as data: 20+ groups, no word in two groups', () => {
    expect(FOOD_SYNONYM_GROUPS.length).toBeGreaterThanOrEqual(20);
    const seen = new Map<string, number>();
    FOOD_SYNONYM_GROUPS.forEach((group, index) => {
      expect(group.length).toBeGreaterThanOrEqual(2);
      for (const member of group) {
        const key = analyzeTokens(member, 'en').join(' ');
        expect(seen.get(key) ?? index, `${member} is in two groups`).toBe(index);
        seen.set(key, index);
      }
    });
  });

  it('names which languages are stemmed and which are folded only', () => {
    expect([...STEMMED_LANGUAGES, ...FOLDED_ONLY_LANGUAGES].sort()).toEqual([...SEARCH_LANGUAGES].sort());
    expect(STEMMED_LANGUAGES).toEqual(expect.arrayContaining(['en', 'de', 'fr', 'it', 'es', 'nl']));
    expect(FOLDED_ONLY_LANGUAGES).toEqual(expect.arrayContaining(['pl', 'el', 'bg']));
    // Folded only: case and accents, no stemming.
    expect(analyzeTokens('Pomidory ŚWIEŻE', 'pl')).toEqual(['pomidory', 'swieze']);
  });
});

describe('query clauses', () => {
  it('textQuery matches nothing for text without words', () => {
    expect(textQuery('!!! ---')).toEqual({ match_none: {} });
  });

  it('textQuery searches every language field and weighs the given language double', () => {
    const json = JSON.stringify(textQuery('Tomaten', { lang: 'de' }));
    expect(json).toContain('"text.de^2"');
    expect(json).toContain('"text.en"');
    expect(json).toContain('"fuzziness":"AUTO"');
  });

  it('certificationValidOn is one nested certificate covering the instant', () => {
    const clause = certificationValidOn('HACCP', new Date('2026-03-01T12:00:00Z'));
    expect(clause).toEqual({
      nested: {
        path: 'supplierCertifications',
        query: {
          bool: {
            filter: [
              { term: { 'supplierCertifications.type': 'HACCP' } },
              { range: { 'supplierCertifications.validFrom': { lte: '2026-03-01T12:00:00.000Z' } } },
              { range: { 'supplierCertifications.validUntil': { gte: '2026-03-01T12:00:00.000Z' } } },
            ],
          },
        },
      },
    });
  });
});
