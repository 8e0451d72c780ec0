import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { TestIssuer } from '@foodxchange/service-kit/testing';
import { CATEGORY_LEAF_SLUGS, CATEGORY_TREE, categoryLabelsOf, categoryPathOf, isLeafCategory } from '../src/categories/taxonomy.js';
import { buyer, startCatalog, type CatalogTestApp } from './products.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;
beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
});
afterAll(async () => {
  await catalog?.close();
});

describe('GET /categories', () => {
  it('answers the two-level taxonomy to any signed-in user, and 401 without a token', async () => {
    const res = await server.inject({ url: '/api/v1/categories', headers: buyer(issuer) });
    expect(res.statusCode).toBe(200);
    const groups = res.json().data as Array<{ slug: string; label: string; children: Array<{ slug: string; label: string }> }>;
    expect(groups.length).toBeGreaterThanOrEqual(12);
    expect(groups.find((group) => group.slug === 'vegetables')!.children).toContainEqual({ slug: 'vegetables.tomatoes', label: 'Tomatoes' });
    expect(groups.find((group) => group.slug === 'fruit')!.children.map((leaf) => leaf.slug)).toContain('fruit.citrus');
    for (const group of groups) {
      expect(group.children.length, group.slug).toBeGreaterThanOrEqual(4);
      expect(group.children.length, group.slug).toBeLessThanOrEqual(8);
      for (const leaf of group.children) expect(leaf.slug).toMatch(new RegExp(`^${group.slug}\\.[a-z-]+$`));
    }
    expect((await server.inject({ url: '/api/v1/categories' })).statusCode).toBe(401);
  });
});

describe('the taxonomy lookups', () => {
  it('tells leaves from groups and gives the path and labels of a slug', () => {
    expect(new Set(CATEGORY_LEAF_SLUGS).size).toBe(CATEGORY_LEAF_SLUGS.length);
    expect(CATEGORY_TREE.flatMap((group) => group.children)).toHaveLength(CATEGORY_LEAF_SLUGS.length);
    expect(isLeafCategory('dairy.cheese')).toBe(true);
    expect(isLeafCategory('dairy')).toBe(false);
    expect(isLeafCategory('dairy.kryptonite')).toBe(false);
    expect(categoryPathOf('seafood.shrimp')).toEqual(['seafood', 'seafood.shrimp']);
    expect(categoryPathOf('meat')).toEqual(['meat']);
    expect(categoryPathOf('nothing')).toEqual([]);
    expect(categoryLabelsOf('meat.poultry')).toEqual(['Meat', 'Poultry']);
  });
});
