import { describe, expect, it } from 'vitest';
import { paramsFromState, queryFromState, stateFromParams, toggle } from '../src/pages/buyer/search-params';

describe('catalogue search state in the address bar', () => {
  it('round-trips a full search through the URL', () => {
    const state = stateFromParams(new URLSearchParams('q=tomatoes&category=vegetables.tomatoes&origin=ES&origin=IT&certification=HACCP&storage=chilled&sort=price_asc&verified=1&page=3'));
    expect(state).toEqual({ q: 'tomatoes', category: 'vegetables.tomatoes', origin: ['ES', 'IT'], certification: ['HACCP'], storage: 'chilled', sort: 'price_asc', verifiedOnly: true, page: 3 });
    expect(stateFromParams(paramsFromState(state))).toEqual(state);
  });

  it('drops what the API would refuse instead of sending it', () => {
    const state = stateFromParams(new URLSearchParams('sort=cheapest&storage=warm&origin=spain&certification=NONE&page=-2&category=../x'));
    expect(state).toEqual({ q: '', origin: [], certification: [], sort: 'relevance', verifiedOnly: false, page: 1 });
    expect(paramsFromState(state).toString()).toBe('');
  });

  it('builds the API query with paging and only the filters set', () => {
    expect(queryFromState(stateFromParams(new URLSearchParams('q=%20olive%20oil%20')))).toEqual({ q: 'olive oil', page: 1, pageSize: 20 });
  });

  it('toggles a facet value and starts again at page 1', () => {
    const state = stateFromParams(new URLSearchParams('origin=ES&page=4'));
    expect(toggle(state, 'origin', 'IT')).toMatchObject({ origin: ['ES', 'IT'], page: 1 });
    expect(toggle(state, 'origin', 'ES')).toMatchObject({ origin: [], page: 1 });
  });
});
