/**
 * The catalogue search's state lives in the address bar, so a search can be bookmarked, shared
 * and restored with Back. These functions turn URLSearchParams into the search API's query and
 * back, dropping anything the API would refuse (unknown sorts, malformed numbers, empty values).
 */
import { CERTIFICATIONS, type SearchQuery } from './types';

export const SORTS = ['relevance', 'price_asc', 'price_desc', 'newest'] as const;
export const STORAGES = ['ambient', 'chilled', 'frozen'] as const;
export const PAGE_SIZE = 20;

export interface SearchState {
  q: string;
  category?: string;
  origin: string[];
  certification: string[];
  storage?: (typeof STORAGES)[number];
  sort: (typeof SORTS)[number];
  verifiedOnly: boolean;
  page: number;
}

const positiveInt = (value: string | null, fallback: number) => {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : fallback;
};

export function stateFromParams(params: URLSearchParams): SearchState {
  const sort = params.get('sort');
  const storage = params.get('storage');
  const category = params.get('category')?.trim();
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    ...(category && /^[a-z-]+(\.[a-z-]+)?$/.test(category) ? { category } : {}),
    origin: [...new Set(params.getAll('origin').filter((c) => /^[A-Z]{2}$/.test(c)))],
    certification: [...new Set(params.getAll('certification').filter((c) => (CERTIFICATIONS as string[]).includes(c)))],
    ...(storage && (STORAGES as readonly string[]).includes(storage) ? { storage: storage as SearchState['storage'] } : {}),
    sort: sort && (SORTS as readonly string[]).includes(sort) ? (sort as SearchState['sort']) : 'relevance',
    verifiedOnly: params.get('verified') === '1',
    page: positiveInt(params.get('page'), 1),
  };
}

/** The address-bar form: only what differs from the defaults, in a stable order. */
export function paramsFromState(state: SearchState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.q.trim()) params.set('q', state.q.trim());
  if (state.category) params.set('category', state.category);
  for (const origin of state.origin) params.append('origin', origin);
  for (const certification of state.certification) params.append('certification', certification);
  if (state.storage) params.set('storage', state.storage);
  if (state.sort !== 'relevance') params.set('sort', state.sort);
  if (state.verifiedOnly) params.set('verified', '1');
  if (state.page > 1) params.set('page', String(state.page));
  return params;
}

/** The search API's query for a state. */
export function queryFromState(state: SearchState): SearchQuery {
  return {
    ...(state.q.trim() ? { q: state.q.trim() } : {}),
    ...(state.category ? { category: state.category as SearchQuery['category'] } : {}),
    ...(state.origin.length ? { origin: state.origin as SearchQuery['origin'] } : {}),
    ...(state.certification.length ? { certification: state.certification as SearchQuery['certification'] } : {}),
    ...(state.storage ? { storage: state.storage } : {}),
    ...(state.sort !== 'relevance' ? { sort: state.sort } : {}),
    ...(state.verifiedOnly ? { verifiedOnly: true } : {}),
    page: state.page,
    pageSize: PAGE_SIZE,
  };
}

/** Toggles one value of a multi-valued facet; any filter change starts again at page 1. */
export function toggle(state: SearchState, facet: 'origin' | 'certification', value: string): SearchState {
  const values = state[facet].includes(value) ? state[facet].filter((v) => v !== value) : [...state[facet], value];
  return { ...state, [facet]: values, page: 1 };
}
