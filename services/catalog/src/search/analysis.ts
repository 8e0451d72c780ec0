import foldToAscii from 'fold-to-ascii';
import { LRUCache } from 'lru-cache';
import snowball, { type Stemmer } from 'snowball-stemmers';
import { EU_LANGUAGES, type EuLanguage } from '@foodxchange/contracts';
import { FOOD_SYNONYM_GROUPS } from './synonyms.js';

/**
 * Text analysis the service does itself, identically at index and at query time, because the
 * local Elasticsearch is the core distribution (DESIGN.md: standard tokenizer and lowercase only,
 * no asciifolding, stemmers or synonyms). The index stores the analysed tokens joined by spaces
 * and its fields use the `standard` analyzer, which leaves them as they are.
 *
 * Pipeline per language: Unicode NFKC → lower case → fold accents to ASCII (fold-to-ascii:
 * "jalapeño" → "jalapeno", "Äpfel" → "apfel", "ß" → "ss") → split into words (Intl.Segmenter,
 * the platform's Unicode word boundaries) → stem with that language's Snowball stemmer
 * (snowball-stemmers) → food synonyms (synonyms.ts).
 *
 * Folding comes before stemming on purpose: a buyer who types without accents must reach the
 * very same stem as the accented catalogue text, so the stemmer always sees the folded word.
 * Greek and Bulgarian letters are kept (fold-to-ascii maps Latin letters only), lower-cased and
 * stripped of their combining accents.
 */

/** The 24 official EU languages (ISO 639-1), the languages a product's texts may be in. */
export const SEARCH_LANGUAGES = EU_LANGUAGES;
export type SearchLanguage = EuLanguage;

/**
 * The Snowball algorithm of each language snowball-stemmers has. The others (Bulgarian, Greek,
 * Estonian, Croatian, Lithuanian, Latvian, Maltese, Polish, Slovak) have no stemmer there: their
 * text is folded and lower-cased only, and typo tolerance (fuzziness) covers some inflection.
 */
const SNOWBALL_ALGORITHM: Partial<Record<SearchLanguage, string>> = {
  cs: 'czech',
  da: 'danish',
  de: 'german',
  en: 'english',
  es: 'spanish',
  fi: 'finnish',
  fr: 'french',
  ga: 'irish',
  hu: 'hungarian',
  it: 'italian',
  nl: 'dutch',
  pt: 'portuguese',
  ro: 'romanian',
  sl: 'slovene',
  sv: 'swedish',
};

export const STEMMED_LANGUAGES = SEARCH_LANGUAGES.filter((lang) => SNOWBALL_ALGORITHM[lang] !== undefined);
export const FOLDED_ONLY_LANGUAGES = SEARCH_LANGUAGES.filter((lang) => SNOWBALL_ALGORITHM[lang] === undefined);

export function isSearchLanguage(value: unknown): value is SearchLanguage {
  return typeof value === 'string' && (SEARCH_LANGUAGES as readonly string[]).includes(value);
}

type Stem = (word: string) => string;

/**
 * A language's stemmer with a memory of the words it stemmed: a food catalogue's vocabulary is
 * small and repeats, and stemming is most of the analysis's cost (a reindex analyses every text).
 */
const stemmers = new Map<SearchLanguage, Stem | null>();
function stemmerOf(lang: SearchLanguage): Stem | null {
  let stem = stemmers.get(lang);
  if (stem === undefined) {
    const algorithm = SNOWBALL_ALGORITHM[lang];
    if (algorithm) {
      const stemmer: Stemmer = snowball.newStemmer(algorithm);
      const stems = new LRUCache<string, string>({ max: 20_000 });
      stem = (word) => {
        let stemmed = stems.get(word);
        if (stemmed === undefined) {
          stemmed = stemmer.stem(word);
          stems.set(word, stemmed);
        }
        return stemmed;
      };
    } else {
      stem = null;
    }
    stemmers.set(lang, stem);
  }
  return stem;
}

const segmenters = new Map<SearchLanguage, Intl.Segmenter>();
function segmenterOf(lang: SearchLanguage): Intl.Segmenter {
  let segmenter = segmenters.get(lang);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(lang, { granularity: 'word' });
    segmenters.set(lang, segmenter);
  }
  return segmenter;
}

/** Folded, lower-cased words of `text` (no stemming). Underscores separate words too. */
export function foldedWords(text: string, lang: SearchLanguage = 'en'): string[] {
  // The underscore is reserved for synonym group tokens (a user can't type one into existence).
  const normalised = foldToAscii
    .foldMaintaining(text.normalize('NFKC').toLowerCase())
    // What fold-to-ascii keeps (Greek, Cyrillic) loses its accents the Unicode way: "ά" → "α".
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/_/g, ' ');
  const words: string[] = [];
  for (const segment of segmenterOf(lang).segment(normalised)) {
    if (segment.isWordLike) words.push(segment.segment);
  }
  return words;
}

/** The analysed tokens of `text` in `lang`: folded, lower-cased, split into words and stemmed. */
export function analyzeTokens(text: string, lang: SearchLanguage): string[] {
  const stem = stemmerOf(lang);
  const words = foldedWords(text, lang);
  return stem ? words.map(stem) : words;
}

interface SynonymPhrase {
  tokens: string[];
  groupToken: string;
}

/** Per language: the analysed phrases of every synonym group, indexed by their first token. */
const synonymIndexes = new Map<SearchLanguage, Map<string, SynonymPhrase[]>>();

/** The token standing for a whole synonym group: `syn_` + its first member ("syn_bell_pepper"). */
export function synonymGroupToken(group: readonly string[]): string {
  return `syn_${foldedWords(group[0] ?? '').join('_')}`;
}

function synonymIndexOf(lang: SearchLanguage): Map<string, SynonymPhrase[]> {
  let index = synonymIndexes.get(lang);
  if (!index) {
    index = new Map();
    for (const group of FOOD_SYNONYM_GROUPS) {
      const groupToken = synonymGroupToken(group);
      for (const member of group) {
        const tokens = analyzeTokens(member, lang);
        const first = tokens[0];
        if (first === undefined) continue;
        const phrases = index.get(first) ?? [];
        phrases.push({ tokens, groupToken });
        index.set(first, phrases);
      }
    }
    // Longest phrase first: "garbanzo bean" is one food, not "garbanzo" and then "bean".
    for (const phrases of index.values()) phrases.sort((a, b) => b.tokens.length - a.tokens.length);
    synonymIndexes.set(lang, index);
  }
  return index;
}

function phraseAt(tokens: readonly string[], at: number, lang: SearchLanguage): SynonymPhrase | undefined {
  const candidates = synonymIndexOf(lang).get(tokens[at] ?? '');
  return candidates?.find((phrase) => phrase.tokens.every((token, i) => tokens[at + i] === token));
}

/**
 * What the index stores for a text: its tokens plus, for every synonym phrase in it, the token of
 * the phrase's group ("bell peppers" → "bell pepper syn_capsicum"). Any member of a group, at
 * query time, becomes that same group token, so it finds the others.
 */
export function analyzeForIndex(text: string, lang: SearchLanguage): string {
  const tokens = analyzeTokens(text, lang);
  const groups = new Set<string>();
  for (let at = 0; at < tokens.length; at += 1) {
    const phrase = phraseAt(tokens, at, lang);
    if (phrase) groups.add(phrase.groupToken);
  }
  return [...tokens, ...groups].join(' ');
}

export interface AnalyzedQuery {
  /** The query's own analysed tokens. */
  tokens: string[];
  /** The same with every synonym phrase replaced by its group token (equal to tokens if none). */
  withSynonyms: string[];
}

/** A query text analysed as the index analyses its texts, with synonym phrases replaced. */
export function analyzeQuery(text: string, lang: SearchLanguage): AnalyzedQuery {
  const tokens = analyzeTokens(text, lang);
  const withSynonyms: string[] = [];
  for (let at = 0; at < tokens.length; ) {
    const phrase = phraseAt(tokens, at, lang);
    if (phrase) {
      withSynonyms.push(phrase.groupToken);
      at += phrase.tokens.length;
    } else {
      withSynonyms.push(tokens[at]!);
      at += 1;
    }
  }
  return { tokens, withSynonyms };
}
