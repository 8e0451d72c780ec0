/**
 * The demo market, as data: fixed names, e-mail addresses, certificates, products and RFQs (no
 * randomness), so the seed (seed.ts) finds what an earlier run made by these natural keys — an
 * account's e-mail, a certificate's number, a product's sku, an RFQ's title — and adds only what
 * is missing.
 */

/** Every demo account signs in with this (a local demo: printed by `npm start`). */
export const DEMO_PASSWORD = process.env.FOODXCHANGE_DEMO_PASSWORD ?? 'FoodXchange-Demo-2026!';

export interface DemoBuyer {
  key: string;
  email: string;
  person: string;
  company: { name: string; country: string };
}

export const DEMO_BUYERS: readonly DemoBuyer[] = [
  { key: 'de', email: 'anna.becker@rheinland-frische.example.com', person: 'Anna Becker', company: { name: 'Rheinland Frischemarkt GmbH', country: 'DE' } },
  { key: 'fr', email: 'julien.moreau@halles-lyon.example.com', person: 'Julien Moreau', company: { name: 'Halles de Lyon Distribution SAS', country: 'FR' } },
  { key: 'uk', email: 'sarah.collins@thames-fine-foods.example.com', person: 'Sarah Collins', company: { name: 'Thames Fine Foods Ltd', country: 'GB' } },
];

export interface DemoCertificate {
  type: string;
  issuedBy: string;
  /** Years relative to the seed's current year: [from, until]. An `until` below 0 has expired. */
  years: readonly [number, number];
}

/** One product line of a supplier: listed once per pack format of the supplier. */
export interface DemoLine {
  code: string;
  category: string;
  name: string;
  description: string;
  unit: string;
  /** Price per unit of the smallest pack, decimal, in the supplier's currency. */
  price: number;
  storage: string;
  allergens?: readonly string[];
}

export interface DemoSupplier {
  key: string;
  /** Sku prefix. */
  code: string;
  email: string;
  person: string;
  company: { name: string; country: string };
  currency: string;
  /** Verified by the platform admin (the others stay unverified). */
  verified: boolean;
  certificates: readonly DemoCertificate[];
  lines: readonly DemoLine[];
  /** Pack formats: [label, moq, price factor]. */
  packs: readonly (readonly [string, number, number])[];
}

const valid = (type: string, issuedBy: string): DemoCertificate => ({ type, issuedBy, years: [-1, 2] });
const expired = (type: string, issuedBy: string): DemoCertificate => ({ type, issuedBy, years: [-4, -1] });

const CASES: DemoSupplier['packs'] = [
  ['5 kg case', 50, 1.12],
  ['10 kg case', 100, 1.05],
  ['bulk, 500 kg pallet', 500, 1],
  ['bulk, 1 t pallet', 1000, 0.96],
  ['organic-conversion grade, 10 kg case', 100, 1.18],
];
const PACKS_L: DemoSupplier['packs'] = [
  ['1 l bottle, 12 per case', 120, 1.2],
  ['5 l can', 200, 1.05],
  ['20 l bag-in-box', 400, 1],
  ['1,000 l IBC', 1000, 0.9],
];
const SACKS: DemoSupplier['packs'] = [
  ['1 kg bag, 10 per case', 100, 1.25],
  ['5 kg bag', 250, 1.1],
  ['25 kg sack', 1000, 1],
  ['1 t big bag', 5000, 0.92],
];

const line = (code: string, category: string, name: string, description: string, unit: string, price: number, storage: string, allergens: readonly string[] = []): DemoLine => ({
  code, category, name, description, unit, price, storage, allergens,
});

export const DEMO_SUPPLIERS: readonly DemoSupplier[] = [
  {
    key: 'huerta', code: 'HDS', email: 'ventas@huertadelsol.example.com', person: 'Lucía Martín', company: { name: 'Huerta del Sol SL', country: 'ES' }, currency: 'EUR', verified: true,
    certificates: [valid('HACCP', 'SGS'), valid('ISO22000', 'Bureau Veritas'), valid('ORGANIC_EU', 'CAAE')],
    packs: CASES,
    lines: [
      line('TOM', 'vegetables.tomatoes', 'Cherry tomatoes', 'Sweet vine cherry tomatoes from Almería greenhouses.', 'kg', 2.1, 'chilled'),
      line('TRS', 'vegetables.tomatoes', 'Truss tomatoes', 'Red truss tomatoes, graded 57–67 mm.', 'kg', 1.6, 'chilled'),
      line('PEP', 'vegetables.peppers', 'California peppers', 'Red, yellow and green blocky peppers.', 'kg', 1.9, 'chilled'),
      line('AUB', 'vegetables.aubergines', 'Aubergines', 'Glossy Andalusian aubergines.', 'kg', 1.5, 'chilled'),
      line('CUC', 'vegetables.cucurbits', 'Courgettes', 'Dark green courgettes, 14–21 cm.', 'kg', 1.3, 'chilled'),
      line('LET', 'vegetables.leafy-greens', 'Little Gem lettuce', 'Murcia Little Gem hearts.', 'kg', 1.7, 'chilled'),
      line('OLV', 'oils.olive-oil', 'Extra virgin olive oil', 'Picual cold-extracted extra virgin olive oil, Jaén.', 'kg', 6.8, 'ambient'),
    ],
  },
  {
    key: 'agrumi', code: 'ADS', email: 'export@agrumidisicilia.example.com', person: 'Marco Russo', company: { name: 'Agrumi di Sicilia Srl', country: 'IT' }, currency: 'EUR', verified: true,
    certificates: [valid('HACCP', 'CSQA'), valid('ISO22000', 'DNV')],
    packs: CASES,
    lines: [
      line('LEM', 'fruit.citrus', 'Lemons Femminello', 'Unwaxed Sicilian Femminello lemons.', 'kg', 1.4, 'chilled'),
      line('ORB', 'fruit.citrus', 'Blood oranges Tarocco', 'Tarocco blood oranges from Etna.', 'kg', 1.3, 'chilled'),
      line('MAN', 'fruit.citrus', 'Mandarins', 'Seedless Sicilian mandarins.', 'kg', 1.5, 'chilled'),
      line('PIS', 'pulses-nuts.nuts', 'Bronte pistachios', 'Shelled green pistachios from Bronte.', 'kg', 28, 'ambient', ['nuts']),
      line('TOM', 'vegetables.tomatoes', 'Pachino cherry tomatoes', 'IGP Pachino cherry tomatoes.', 'kg', 2.4, 'chilled'),
      line('ALM', 'pulses-nuts.nuts', 'Avola almonds', 'Shelled Avola almonds, caliber 34/36.', 'kg', 11.5, 'ambient', ['nuts']),
    ],
  },
  {
    key: 'weide', code: 'DWZ', email: 'sales@deweide.example.com', person: 'Pieter de Vries', company: { name: 'Zuivelcoöperatie De Weide UA', country: 'NL' }, currency: 'EUR', verified: true,
    certificates: [valid('HACCP', 'Kiwa'), valid('ISO22000', 'Lloyd’s Register'), valid('BRCGS', 'Kiwa')],
    packs: [
      ['2 kg piece', 20, 1.15],
      ['4.5 kg wheel', 45, 1.08],
      ['12 kg wheel', 120, 1],
      ['pallet of 60 wheels', 720, 0.95],
    ],
    lines: [
      line('GYO', 'dairy.cheese', 'Gouda young', 'Young Gouda, 4 weeks matured.', 'kg', 6.2, 'chilled', ['milk']),
      line('GMA', 'dairy.cheese', 'Gouda matured', 'Matured Gouda, 6 months.', 'kg', 8.4, 'chilled', ['milk']),
      line('GOL', 'dairy.cheese', 'Gouda old', 'Old Gouda, 12 months, crystalline.', 'kg', 10.9, 'chilled', ['milk']),
      line('EDM', 'dairy.cheese', 'Edam', 'Edam ball with red wax.', 'kg', 6, 'chilled', ['milk']),
      line('BUT', 'dairy.butter', 'Unsalted butter 82%', 'Sweet-cream butter, 82% fat.', 'kg', 6.5, 'chilled', ['milk']),
      line('SMP', 'dairy.milk-powder', 'Skimmed milk powder', 'Low-heat skimmed milk powder.', 'kg', 2.9, 'ambient', ['milk']),
      line('YOG', 'dairy.yoghurt', 'Greek-style yoghurt 10%', 'Strained yoghurt, 10% fat.', 'kg', 2.6, 'chilled', ['milk']),
      line('CRM', 'dairy.milk', 'Whipping cream 35%', 'UHT whipping cream, 35% fat.', 'kg', 3.3, 'chilled', ['milk']),
    ],
  },
  {
    key: 'limousine', code: 'BLS', email: 'commercial@boucherie-limousine.example.com', person: 'Claire Dubois', company: { name: 'Boucherie Limousine SA', country: 'FR' }, currency: 'EUR', verified: true,
    // ISO 22000 expired last year: its EU orders would be rejected until it renews.
    certificates: [valid('HACCP', 'Bureau Veritas'), expired('ISO22000', 'Bureau Veritas')],
    packs: [
      ['vacuum-packed, 2 kg', 20, 1.1],
      ['vacuum-packed, 5 kg', 50, 1.04],
      ['carton, 20 kg', 200, 1],
    ],
    lines: [
      line('ENT', 'meat.beef', 'Limousin beef entrecôte', 'Dry-aged Limousin rib-eye.', 'kg', 34, 'chilled'),
      line('FLT', 'meat.beef', 'Limousin beef fillet', 'Whole trimmed tenderloin.', 'kg', 48, 'chilled'),
      line('BRV', 'meat.beef', 'Beef for braising', 'Shoulder clod for braising.', 'kg', 14, 'chilled'),
      line('AGN', 'meat.lamb', 'Lamb leg, Label Rouge', 'Limousin Label Rouge lamb.', 'kg', 19, 'chilled'),
      line('VOL', 'meat.poultry', 'Free-range chicken', 'Whole free-range chickens.', 'kg', 7.5, 'chilled'),
      line('SAU', 'meat.processed-meat', 'Saucisson sec', 'Dry-cured pork sausage.', 'kg', 16, 'ambient'),
      line('JAM', 'meat.processed-meat', 'Jambon de Bayonne', 'Cured ham, 9 months.', 'kg', 18, 'ambient'),
      line('GIB', 'meat.game', 'Venison haunch', 'Wild venison, seasonal.', 'kg', 26, 'frozen'),
      line('CAN', 'meat.poultry', 'Duck breast (magret)', 'Moulard duck magret.', 'kg', 17, 'chilled'),
    ],
  },
  {
    key: 'ostsee', code: 'OSF', email: 'vertrieb@ostsee-fisch.example.com', person: 'Jan Petersen', company: { name: 'Ostsee Fisch GmbH', country: 'DE' }, currency: 'EUR', verified: true,
    // IFS but no ISO 22000: compliance rejects its orders into the EU (HACCP + ISO 22000).
    certificates: [valid('HACCP', 'TÜV Nord'), valid('IFS', 'TÜV Nord')],
    packs: [
      ['IQF, 1 kg bag', 100, 1.15],
      ['IQF, 5 kg carton', 250, 1.05],
      ['block frozen, 20 kg', 1000, 1],
      ['fresh on ice, 10 kg box', 100, 1.2],
    ],
    lines: [
      line('COD', 'seafood.white-fish', 'Cod fillets', 'Skinless, boneless North Sea cod fillets.', 'kg', 12, 'frozen', ['fish']),
      line('SAI', 'seafood.white-fish', 'Saithe fillets', 'Skin-on saithe fillets.', 'kg', 7.5, 'frozen', ['fish']),
      line('HER', 'seafood.oily-fish', 'Baltic herring', 'Whole Baltic herring.', 'kg', 2.4, 'frozen', ['fish']),
      line('SAL', 'seafood.oily-fish', 'Smoked salmon', 'Cold-smoked salmon sides.', 'kg', 24, 'chilled', ['fish']),
      line('SHR', 'seafood.shrimp', 'North Sea brown shrimp', 'Peeled brown shrimp.', 'kg', 38, 'chilled', ['crustaceans']),
      line('MUS', 'seafood.molluscs', 'Mussels', 'Rope-grown blue mussels.', 'kg', 3.1, 'chilled', ['molluscs']),
      line('TIN', 'seafood.canned-fish', 'Herring in tomato sauce', 'Canned Baltic herring fillets.', 'kg', 4.2, 'ambient', ['fish']),
    ],
  },
  {
    key: 'mazury', code: 'MZB', email: 'handel@mazurskie-zboza.example.com', person: 'Katarzyna Nowak', company: { name: 'Mazurskie Zboża Sp. z o.o.', country: 'PL' }, currency: 'EUR', verified: false,
    certificates: [valid('HACCP', 'PCBC'), valid('ISO22000', 'PCBC')],
    packs: SACKS,
    lines: [
      line('WHT', 'grains.wheat', 'Milling wheat', 'Class A milling wheat, 12.5% protein.', 'kg', 0.28, 'ambient', ['gluten']),
      line('RYE', 'grains.oats-barley', 'Malting barley', 'Two-row spring malting barley.', 'kg', 0.26, 'ambient', ['gluten']),
      line('OAT', 'grains.oats-barley', 'Rolled oats', 'Jumbo rolled oats.', 'kg', 0.9, 'ambient', ['gluten']),
      line('FLR', 'grains.flour', 'Wheat flour type 550', 'All-purpose wheat flour.', 'kg', 0.55, 'ambient', ['gluten']),
      line('BUK', 'grains.maize', 'Sweet corn kernels', 'Maize kernels for milling and feed-grade snacks.', 'kg', 1.3, 'ambient'),
      line('APL', 'fruit.apples-pears', 'Apples Idared', 'Polish Idared apples.', 'kg', 0.6, 'chilled'),
      line('MSH', 'vegetables.mushrooms', 'White button mushrooms', 'Closed-cup white mushrooms.', 'kg', 1.8, 'chilled'),
    ],
  },
  {
    key: 'anatolia', code: 'ANK', email: 'export@anatolia-kuruyemis.example.com', person: 'Elif Yılmaz', company: { name: 'Anatolia Kuruyemiş A.Ş.', country: 'TR' }, currency: 'EUR', verified: true,
    certificates: [valid('HACCP', 'TSE'), valid('ISO22000', 'TÜV Austria'), valid('HALAL', 'GIMDES')],
    packs: SACKS,
    lines: [
      line('HAZ', 'pulses-nuts.nuts', 'Giresun hazelnuts', 'Natural hazelnut kernels, 11–13 mm.', 'kg', 7.9, 'ambient', ['nuts']),
      line('APR', 'fruit.dried-fruit', 'Dried apricots Malatya', 'Sulphured whole dried apricots.', 'kg', 5.2, 'ambient', ['sulphites']),
      line('FIG', 'fruit.dried-fruit', 'Dried figs Aydın', 'Natural dried figs, lerida size.', 'kg', 4.8, 'ambient'),
      line('RAI', 'fruit.dried-fruit', 'Sultana raisins', 'Type 9 sultanas.', 'kg', 2.6, 'ambient'),
      line('CHK', 'pulses-nuts.lentils-chickpeas', 'Chickpeas 9 mm', 'Kabuli chickpeas.', 'kg', 1.4, 'ambient'),
      line('LEN', 'pulses-nuts.lentils-chickpeas', 'Red lentils', 'Split red lentils.', 'kg', 1.1, 'ambient'),
      line('SES', 'pulses-nuts.seeds', 'Hulled sesame', 'Hulled white sesame seeds.', 'kg', 2.3, 'ambient', ['sesame']),
      line('PPR', 'spices.spices', 'Pul biber chilli flakes', 'Aleppo-style chilli flakes.', 'kg', 6.1, 'ambient'),
    ],
  },
  {
    key: 'huila', code: 'CDH', email: 'ventas@cafetales-huila.example.com', person: 'Andrés Gómez', company: { name: 'Cafetales de Huila SAS', country: 'CO' }, currency: 'USD', verified: true,
    certificates: [valid('HACCP', 'ICONTEC'), valid('ISO22000', 'ICONTEC')],
    packs: [
      ['green, 70 kg jute bag', 70, 1],
      ['green, 35 kg vacuum box', 35, 1.08],
      ['roasted, 1 kg bag', 60, 1.6],
      ['roasted, 250 g bag, 24 per case', 30, 1.9],
    ],
    lines: [
      line('SUP', 'beverages.coffee', 'Huila Supremo', 'Washed Caturra and Castillo, screen 17/18.', 'kg', 6.8, 'ambient'),
      line('EXC', 'beverages.coffee', 'Huila Excelso EP', 'Excelso European Preparation.', 'kg', 6.1, 'ambient'),
      line('DEC', 'beverages.coffee', 'Sugarcane decaf', 'E.A. sugarcane-process decaffeinated.', 'kg', 7.4, 'ambient'),
      line('GEI', 'beverages.coffee', 'Geisha microlot', 'Washed Geisha, 1,900 m.', 'kg', 19, 'ambient'),
      line('PAN', 'bakery.sugar-honey', 'Panela', 'Unrefined whole cane sugar.', 'kg', 1.9, 'ambient'),
      line('CAC', 'bakery.chocolate', 'Cacao nibs', 'Fine-flavour cacao nibs.', 'kg', 9.5, 'ambient'),
      line('BAN', 'fruit.tropical', 'Dried banana chips', 'Unsweetened banana chips.', 'kg', 4.4, 'ambient'),
      line('TEA', 'beverages.tea', 'Coffee cherry tea (cascara)', 'Dried coffee cherry husks.', 'kg', 8.2, 'ambient'),
    ],
  },
  {
    key: 'nilgiri', code: 'NST', email: 'trade@nilgiri-spice.example.com', person: 'Priya Raman', company: { name: 'Nilgiri Spice Traders Pvt Ltd', country: 'IN' }, currency: 'USD', verified: false,
    // HACCP only: no ISO 22000 (and unverified).
    certificates: [valid('HACCP', 'FSSAI')],
    packs: SACKS,
    lines: [
      line('PEP', 'spices.spices', 'Black pepper Malabar', 'Malabar garbled black pepper, 550 g/l.', 'kg', 7.2, 'ambient'),
      line('CAR', 'spices.spices', 'Green cardamom', '8 mm bold green cardamom.', 'kg', 24, 'ambient'),
      line('TUR', 'spices.spices', 'Turmeric powder', 'Curcumin ≥ 3%.', 'kg', 3.1, 'ambient'),
      line('CUM', 'spices.spices', 'Cumin seed', 'Singapore-quality cumin.', 'kg', 3.8, 'ambient'),
      line('TEA', 'beverages.tea', 'Nilgiri black tea', 'Orthodox FOP black tea.', 'kg', 6.5, 'ambient'),
      line('RIC', 'grains.rice', 'Basmati rice 1121', 'Steam-parboiled 1121 basmati.', 'kg', 1.3, 'ambient'),
      line('CSH', 'pulses-nuts.nuts', 'Cashew kernels W320', 'Whole white cashews.', 'kg', 8.3, 'ambient', ['nuts']),
      line('MUS', 'spices.spices', 'Mustard seed', 'Brown mustard seed.', 'kg', 1.6, 'ambient', ['mustard']),
    ],
  },
  {
    key: 'vallecentral', code: 'VCF', email: 'exports@vallecentral-fruit.example.com', person: 'Camila Rojas', company: { name: 'Valle Central Fruit SpA', country: 'CL' }, currency: 'USD', verified: true,
    certificates: [valid('HACCP', 'SGS'), valid('ISO22000', 'SGS'), valid('BRCGS', 'SGS')],
    packs: [
      ['8.2 kg carton', 82, 1.1],
      ['4.5 kg clamshell carton', 45, 1.2],
      ['pallet, 108 cartons', 880, 1],
      ['reefer container, 20 pallets', 17_600, 0.93],
    ],
    lines: [
      line('GRW', 'fruit.grapes', 'Thompson Seedless grapes', 'White seedless table grapes.', 'kg', 2.2, 'chilled'),
      line('GRR', 'fruit.grapes', 'Crimson Seedless grapes', 'Red seedless table grapes.', 'kg', 2.4, 'chilled'),
      line('BLU', 'fruit.berries', 'Blueberries', 'Highbush blueberries, 14 mm+.', 'kg', 6.9, 'chilled'),
      line('CHE', 'fruit.stone-fruit', 'Cherries Lapins', 'Lapins cherries, 28 mm+.', 'kg', 7.8, 'chilled'),
      line('PLU', 'fruit.stone-fruit', 'Plums Angeleno', 'Angeleno plums.', 'kg', 1.9, 'chilled'),
      line('AVO', 'fruit.tropical', 'Hass avocados', 'Hass avocados, size 18–20.', 'kg', 3.6, 'chilled'),
      line('WAL', 'pulses-nuts.nuts', 'Chandler walnuts', 'In-shell Chandler walnuts.', 'kg', 3.9, 'ambient', ['nuts']),
      line('APL', 'fruit.apples-pears', 'Pink Lady apples', 'Cripps Pink apples.', 'kg', 1.5, 'chilled'),
      line('WIN', 'beverages.wine', 'Carménère bulk wine', 'Colchagua Carménère, 13.5%.', 'kg', 2.1, 'ambient', ['sulphites']),
    ],
  },
  {
    key: 'prairie', code: 'PGE', email: 'sales@prairie-grain.example.com', person: 'Emily Thompson', company: { name: 'Prairie Grain Exporters Inc.', country: 'CA' }, currency: 'USD', verified: true,
    certificates: [valid('HACCP', 'CFIA'), valid('ISO22000', 'NSF'), valid('FDA_REGISTERED', 'FDA')],
    packs: SACKS,
    lines: [
      line('DUR', 'grains.wheat', 'Durum wheat CWAD', 'Canada Western Amber Durum No. 1.', 'kg', 0.42, 'ambient', ['gluten']),
      line('OAT', 'grains.oats-barley', 'Milling oats', 'Canadian milling oats.', 'kg', 0.3, 'ambient', ['gluten']),
      line('LEN', 'pulses-nuts.lentils-chickpeas', 'Green lentils Laird', 'Large green lentils.', 'kg', 0.95, 'ambient'),
      line('PEA', 'pulses-nuts.beans', 'Yellow peas', 'Whole yellow field peas.', 'kg', 0.38, 'ambient'),
      line('CAN', 'oils.rapeseed-oil', 'Canola oil, refined', 'RBD canola oil.', 'kg', 1.45, 'ambient'),
      line('FLX', 'pulses-nuts.seeds', 'Brown flaxseed', 'Brown flaxseed, 99.5% pure.', 'kg', 0.85, 'ambient'),
      line('MAP', 'bakery.sugar-honey', 'Maple syrup grade A', 'Amber rich taste maple syrup.', 'kg', 9.8, 'ambient'),
      line('MUS', 'spices.spices', 'Yellow mustard seed', 'Canada No. 1 yellow mustard.', 'kg', 1.2, 'ambient', ['mustard']),
    ],
  },
  {
    key: 'atlas', code: 'AOO', email: 'export@atlas-olive.example.com', person: 'Youssef Benali', company: { name: 'Atlas Olive Oil SARL', country: 'MA' }, currency: 'EUR', verified: false,
    // ISO 22000 expired, and not verified yet.
    certificates: [valid('HACCP', 'ONSSA'), expired('ISO22000', 'Bureau Veritas')],
    packs: PACKS_L,
    lines: [
      line('EVO', 'oils.olive-oil', 'Extra virgin olive oil Picholine', 'Moroccan Picholine, acidity ≤ 0.5%.', 'l', 5.4, 'ambient'),
      line('VOO', 'oils.olive-oil', 'Virgin olive oil', 'Virgin olive oil, acidity ≤ 1.5%.', 'l', 4.2, 'ambient'),
      line('ARG', 'oils.specialty-oils', 'Culinary argan oil', 'Roasted-kernel argan oil.', 'l', 29, 'ambient'),
      line('OLG', 'preserved.pickles', 'Green olives in brine', 'Picholine green olives.', 'kg', 2.7, 'ambient'),
      line('OLB', 'preserved.pickles', 'Black olives Beldi', 'Dry-cured Beldi olives.', 'kg', 3.4, 'ambient'),
      line('LMP', 'preserved.pickles', 'Preserved lemons', 'Salt-preserved beldi lemons.', 'kg', 3.9, 'ambient'),
      line('HAR', 'spices.sauces', 'Harissa paste', 'Red chilli harissa.', 'kg', 4.6, 'ambient'),
      line('CUS', 'grains.pasta', 'Durum couscous', 'Medium-grain durum couscous.', 'kg', 1.2, 'ambient', ['gluten']),
      line('SAF', 'spices.spices', 'Taliouine saffron', 'Category I saffron threads.', 'kg', 2900, 'ambient'),
      line('ORA', 'fruit.citrus', 'Maroc Late oranges', 'Juicing oranges, Souss valley.', 'kg', 0.8, 'chilled'),
    ],
  },
];

export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  category: string;
  originCountry: string;
  unit: string;
  moq: number;
  priceTiers: { minQuantity: number; unitPrice: number; currency: string }[];
  certifications: string[];
  allergens: string[];
  storage: string;
}

const cents = (value: number) => Math.round(value * 100) / 100;

/** Certificate types of a supplier valid today (an expired one cannot be claimed on products). */
export function validCertificateTypes(supplier: DemoSupplier): string[] {
  return supplier.certificates.filter((c) => c.years[1] >= 0).map((c) => c.type);
}

/** A supplier's products: each line in each pack format, with two price tiers. */
export function productsOf(supplier: DemoSupplier): DemoProduct[] {
  const claims = validCertificateTypes(supplier).filter((type) => type !== 'FDA_REGISTERED');
  return supplier.lines.flatMap((l) =>
    supplier.packs.map(([pack, moq, factor], index) => ({
      sku: `${supplier.code}-${l.code}-${String(index + 1).padStart(2, '0')}`,
      name: `${l.name}, ${pack}`,
      description: `${l.description} ${pack.charAt(0).toUpperCase()}${pack.slice(1)}; minimum order ${moq} ${l.unit}.`,
      category: l.category,
      originCountry: supplier.company.country,
      unit: l.unit,
      moq,
      priceTiers: [
        { minQuantity: moq, unitPrice: cents(l.price * factor), currency: supplier.currency },
        { minQuantity: moq * 10, unitPrice: cents(l.price * factor * 0.94), currency: supplier.currency },
      ],
      certifications: claims,
      allergens: [...(l.allergens ?? [])],
      storage: l.storage,
    })),
  );
}

/** Where an RFQ is taken to: each stage of the sourcing saga, once or more. */
export type DemoStage = 'open' | 'quoted' | 'confirmed' | 'rejected' | 'shipped' | 'delivered';

export interface DemoRfq {
  title: string;
  buyer: string;
  stage: DemoStage;
  item: { name: string; category: string; quantity: number; unit: string; targetUnitPrice: number; currency: string };
  requiredCertifications: string[];
  /** Suppliers (keys) that quote, with their unit price; the first is awarded at 'confirmed' and later stages. */
  quotes: readonly (readonly [supplier: string, unitPrice: number])[];
}

export const DEMO_RFQS: readonly DemoRfq[] = [
  { title: 'Cherry tomatoes, weekly programme Q1', buyer: 'de', stage: 'quoted', item: { name: 'cherry tomatoes', category: 'vegetables.tomatoes', quantity: 2000, unit: 'kg', targetUnitPrice: 2.2, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['huerta', 2.05], ['agrumi', 2.3]] },
  { title: 'Sicilian lemons for the spring promotion', buyer: 'de', stage: 'confirmed', item: { name: 'lemons', category: 'fruit.citrus', quantity: 3000, unit: 'kg', targetUnitPrice: 1.5, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['agrumi', 1.38]] },
  { title: 'Frozen cod fillets for the canteen contract', buyer: 'de', stage: 'rejected', item: { name: 'cod fillets', category: 'seafood.white-fish', quantity: 1500, unit: 'kg', targetUnitPrice: 12, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['ostsee', 11.6]] },
  { title: 'Gouda for the deli counters', buyer: 'de', stage: 'shipped', item: { name: 'gouda', category: 'dairy.cheese', quantity: 1200, unit: 'kg', targetUnitPrice: 8, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['weide', 7.9]] },
  { title: 'Extra virgin olive oil, private label', buyer: 'de', stage: 'delivered', item: { name: 'extra virgin olive oil', category: 'oils.olive-oil', quantity: 4000, unit: 'kg', targetUnitPrice: 7, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['huerta', 6.7]] },
  { title: 'Hazelnut kernels for the bakery line', buyer: 'fr', stage: 'confirmed', item: { name: 'hazelnuts', category: 'pulses-nuts.nuts', quantity: 2500, unit: 'kg', targetUnitPrice: 8, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['anatolia', 7.8]] },
  { title: 'Dried apricots and figs for Ramadan', buyer: 'fr', stage: 'delivered', item: { name: 'dried apricots', category: 'fruit.dried-fruit', quantity: 1800, unit: 'kg', targetUnitPrice: 5.5, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [['anatolia', 5.1]] },
  { title: 'Specialty green coffee, spring harvest', buyer: 'fr', stage: 'quoted', item: { name: 'green coffee', category: 'beverages.coffee', quantity: 7000, unit: 'kg', targetUnitPrice: 7, currency: 'USD' }, requiredCertifications: ['HACCP'], quotes: [['huila', 6.75]] },
  { title: 'Chilean table grapes, northern-hemisphere winter', buyer: 'uk', stage: 'shipped', item: { name: 'table grapes', category: 'fruit.grapes', quantity: 8800, unit: 'kg', targetUnitPrice: 2.5, currency: 'USD' }, requiredCertifications: ['HACCP'], quotes: [['vallecentral', 2.3]] },
  { title: 'Rolled oats for the breakfast range', buyer: 'uk', stage: 'open', item: { name: 'oats', category: 'grains.oats-barley', quantity: 20_000, unit: 'kg', targetUnitPrice: 0.9, currency: 'EUR' }, requiredCertifications: ['HACCP'], quotes: [] },
  { title: 'Blueberries for the summer desserts', buyer: 'uk', stage: 'quoted', item: { name: 'blueberries', category: 'fruit.berries', quantity: 1500, unit: 'kg', targetUnitPrice: 7, currency: 'USD' }, requiredCertifications: ['HACCP'], quotes: [['vallecentral', 6.8]] },
];

/** Which demo accounts `npm start` prints. */
export const DEMO_LOGINS = { buyer: DEMO_BUYERS[0]!, supplier: DEMO_SUPPLIERS[0]! };
