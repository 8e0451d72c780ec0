/**
 * Food synonyms, as data: each group lists words or phrases that name the same food, so a search
 * for any of them finds products described with another (British and American English, trade
 * names, common spellings). A phrase is matched as consecutive words after analysis (folded and
 * stemmed), so plurals and accents in a product's text still count ("bell peppers", "jalapeños").
 *
 * Keep each group to true equivalents: a group makes every member match every other, in every
 * language's field (many of these words are loanwords: "Aubergine", "Zucchini", "Rucola").
 * A word may appear in one group only.
 */
export const FOOD_SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['aubergine', 'eggplant', 'brinjal'],
  ['courgette', 'zucchini'],
  ['capsicum', 'bell pepper', 'sweet pepper'],
  ['prawn', 'shrimp'],
  ['coriander', 'cilantro'],
  ['rocket', 'arugula', 'rucola', 'roquette'],
  ['spring onion', 'scallion', 'green onion'],
  ['chickpea', 'garbanzo', 'garbanzo bean'],
  ['beetroot', 'beet'],
  ['swede', 'rutabaga'],
  ['maize', 'corn'],
  ['icing sugar', 'powdered sugar', 'confectioners sugar'],
  ['caster sugar', 'superfine sugar'],
  ['cornflour', 'cornstarch', 'corn starch'],
  ['plain flour', 'all purpose flour'],
  ['minced beef', 'ground beef', 'beef mince'],
  ['mangetout', 'snow pea'],
  ['broad bean', 'fava bean'],
  ['green bean', 'french bean', 'string bean'],
  ['chilli', 'chili', 'chile pepper'],
  ['celeriac', 'celery root'],
  ['romaine', 'cos lettuce'],
  ['double cream', 'heavy cream'],
  ['single cream', 'light cream'],
  ['bicarbonate of soda', 'baking soda'],
  ['squid', 'calamari'],
  ['langoustine', 'scampi', 'norway lobster'],
  ['pak choi', 'bok choy', 'pak choy'],
  ['kiwi', 'kiwifruit', 'kiwi fruit'],
  ['sultana', 'golden raisin'],
  ['yoghurt', 'yogurt'],
  ['rapeseed oil', 'canola oil'],
  ['swiss chard', 'chard', 'silverbeet'],
  ['okra', 'ladies finger'],
];
