/**
 * The catalogue's food taxonomy: two levels (a top-level group and its leaves), kept as data in
 * the service. Products are filed under a leaf; the search facets and the supplier matching use
 * the group too. Slugs are `<group>.<leaf>`, lower-case ASCII, stable (they are stored on
 * products and in the index): relabel freely, never rename a slug.
 */
export interface CategoryLeaf {
  slug: string;
  label: string;
}

export interface CategoryGroup {
  slug: string;
  label: string;
  children: readonly CategoryLeaf[];
}

type Definition = readonly [slug: string, label: string, leaves: ReadonlyArray<readonly [slug: string, label: string]>];

const DEFINITIONS: readonly Definition[] = [
  ['vegetables', 'Vegetables', [
    ['tomatoes', 'Tomatoes'],
    ['peppers', 'Peppers and chillies'],
    ['leafy-greens', 'Leafy greens and salads'],
    ['root-vegetables', 'Root vegetables'],
    ['onions-garlic', 'Onions and garlic'],
    ['cucurbits', 'Cucumbers, courgettes and squash'],
    ['aubergines', 'Aubergines'],
    ['mushrooms', 'Mushrooms'],
  ]],
  ['fruit', 'Fruit', [
    ['citrus', 'Citrus fruit'],
    ['apples-pears', 'Apples and pears'],
    ['berries', 'Berries'],
    ['stone-fruit', 'Stone fruit'],
    ['tropical', 'Tropical fruit'],
    ['grapes', 'Grapes'],
    ['melons', 'Melons'],
    ['dried-fruit', 'Dried fruit'],
  ]],
  ['dairy', 'Dairy and eggs', [
    ['milk', 'Milk and cream'],
    ['cheese', 'Cheese'],
    ['butter', 'Butter'],
    ['yoghurt', 'Yoghurt and fermented milk'],
    ['eggs', 'Eggs'],
    ['milk-powder', 'Milk powder'],
  ]],
  ['meat', 'Meat', [
    ['beef', 'Beef'],
    ['pork', 'Pork'],
    ['poultry', 'Poultry'],
    ['lamb', 'Lamb and mutton'],
    ['processed-meat', 'Cured and processed meat'],
    ['game', 'Game'],
  ]],
  ['seafood', 'Fish and seafood', [
    ['white-fish', 'White fish'],
    ['oily-fish', 'Salmon and oily fish'],
    ['shrimp', 'Shrimp and prawns'],
    ['molluscs', 'Mussels, oysters and other molluscs'],
    ['crustaceans', 'Crabs and lobsters'],
    ['canned-fish', 'Canned fish'],
  ]],
  ['grains', 'Grains and cereals', [
    ['wheat', 'Wheat'],
    ['rice', 'Rice'],
    ['maize', 'Maize'],
    ['oats-barley', 'Oats and barley'],
    ['flour', 'Flour'],
    ['pasta', 'Pasta and noodles'],
  ]],
  ['pulses-nuts', 'Pulses, nuts and seeds', [
    ['beans', 'Beans'],
    ['lentils-chickpeas', 'Lentils and chickpeas'],
    ['nuts', 'Tree nuts'],
    ['peanuts', 'Peanuts'],
    ['seeds', 'Seeds'],
  ]],
  ['oils', 'Oils and fats', [
    ['olive-oil', 'Olive oil'],
    ['sunflower-oil', 'Sunflower oil'],
    ['rapeseed-oil', 'Rapeseed oil'],
    ['palm-oil', 'Palm oil'],
    ['specialty-oils', 'Nut and specialty oils'],
  ]],
  ['spices', 'Herbs, spices and condiments', [
    ['herbs', 'Dried herbs'],
    ['spices', 'Spices'],
    ['salt', 'Salt'],
    ['sauces', 'Sauces and dressings'],
    ['vinegar', 'Vinegar'],
  ]],
  ['beverages', 'Beverages', [
    ['coffee', 'Coffee'],
    ['tea', 'Tea'],
    ['juice', 'Juices'],
    ['soft-drinks', 'Soft drinks'],
    ['water', 'Water'],
    ['wine', 'Wine'],
    ['beer', 'Beer'],
  ]],
  ['bakery', 'Bakery and confectionery', [
    ['bread', 'Bread'],
    ['pastry', 'Pastry and cakes'],
    ['biscuits', 'Biscuits'],
    ['chocolate', 'Chocolate and cocoa'],
    ['sugar-honey', 'Sugar, honey and syrups'],
  ]],
  ['preserved', 'Preserved and frozen foods', [
    ['canned-vegetables', 'Canned vegetables'],
    ['frozen-vegetables', 'Frozen vegetables'],
    ['frozen-meals', 'Frozen meals'],
    ['jams', 'Jams and spreads'],
    ['pickles', 'Pickles and olives'],
  ]],
];

/** The whole tree, groups and leaves in a fixed order (what GET /categories answers). */
export const CATEGORY_TREE: readonly CategoryGroup[] = DEFINITIONS.map(([group, label, leaves]) => ({
  slug: group,
  label,
  children: leaves.map(([leaf, leafLabel]) => ({ slug: `${group}.${leaf}`, label: leafLabel })),
}));

const leaves = new Map<string, { leaf: CategoryLeaf; group: CategoryGroup }>(
  CATEGORY_TREE.flatMap((group) => group.children.map((leaf) => [leaf.slug, { leaf, group }] as const)),
);
const groups = new Map<string, CategoryGroup>(CATEGORY_TREE.map((group) => [group.slug, group]));

/** Every leaf slug: the values a product's `category` may take. */
export const CATEGORY_LEAF_SLUGS: readonly string[] = [...leaves.keys()];

/** Whether a product may be filed under `slug` (a leaf, not a group). */
export function isLeafCategory(slug: string): boolean {
  return leaves.has(slug);
}

/** A leaf or a group by slug. */
export function findCategory(slug: string): CategoryLeaf | CategoryGroup | undefined {
  return leaves.get(slug)?.leaf ?? groups.get(slug);
}

/**
 * The slugs from the top down to `slug`: `vegetables.tomatoes` → `['vegetables', 'vegetables.tomatoes']`
 * (a group → itself only; unknown → empty). The index stores it so a filter on a group finds its leaves.
 */
export function categoryPathOf(slug: string): string[] {
  const found = leaves.get(slug);
  if (found) return [found.group.slug, slug];
  return groups.has(slug) ? [slug] : [];
}

/** Labels from the top down (`['Vegetables', 'Tomatoes']`): text a search can match on. */
export function categoryLabelsOf(slug: string): string[] {
  const found = leaves.get(slug);
  if (found) return [found.group.label, found.leaf.label];
  const group = groups.get(slug);
  return group ? [group.label] : [];
}
