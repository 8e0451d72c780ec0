import { describe, expect, it } from 'vitest';
import { auditQuery, companyQuery, deadLetterQuery, instant, rangeProblem, reasonProblem, userQuery, withChanges } from '@/pages/admin/management/filters';
import { EMPTY_FORM, allergensOf, bodyOf, checkRuleForm, countriesOf, formOf, ruleFieldErrors, type RuleSet } from '@/pages/admin/management/rule-form';

const p = (s: string) => new URLSearchParams(s);

describe('admin list filters', () => {
  it('turns company params into the API query, dropping what the API refuses', () => {
    expect(companyQuery(p('q=%20olive%20&verified=false&type=supplier&page=3'))).toEqual({ page: 3, limit: 20, q: 'olive', verified: false, type: 'supplier' });
    expect(companyQuery(p('q=%20%20&verified=maybe&type=wholesaler&page=0'))).toEqual({ page: 1, limit: 20 });
    expect(companyQuery(p('verified=true')).verified).toBe(true);
    expect(companyQuery(p('page=501')).page).toBe(1);
  });

  it('turns user params into the API query', () => {
    expect(userQuery(p('role=super_admin&status=suspended&companyId=abc-1&q=anna'))).toEqual({ page: 1, limit: 20, role: 'super_admin', status: 'suspended', companyId: 'abc-1', q: 'anna' });
    expect(userQuery(p('role=king&status=gone&companyId=has%20space'))).toEqual({ page: 1, limit: 20 });
  });

  it('applies form changes to the address: empty values removed, back to page 1', () => {
    expect(withChanges(p('q=a&page=4&type=buyer'), { q: 'b', type: '' }).toString()).toBe('q=b');
    expect(withChanges(p('q=a'), { page: 2 }).toString()).toBe('q=a&page=2');
    expect(withChanges(p('q=a&page=2'), { page: 1 }).toString()).toBe('q=a');
  });

  it('reads audit filters, with local date-times as UTC instants', () => {
    const from = '2026-12-01T08:30';
    const query = auditQuery(p(`topic=order.created&type=com.foodxchange.order.created&companyId=c1&from=${from}&to=bogus&subject=%20`));
    expect(query).toEqual({ page: 1, limit: 20, topic: 'order.created', type: 'com.foodxchange.order.created', companyId: 'c1', from: new Date(from).toISOString() });
    expect(auditQuery(p('topic=order.exploded')).topic).toBeUndefined();
    expect(instant('2026-12-01T08:30:00Z')).toBe('2026-12-01T08:30:00.000Z');
    expect(instant('yesterday')).toBeUndefined();
    expect(rangeProblem('2026-12-02T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toMatch(/after/);
    expect(rangeProblem('2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z')).toBeUndefined();
  });

  it('reads dead-letter filters', () => {
    expect(deadLetterQuery(p('topic=rfq.created&status=pending&eventId=e1&page=2'))).toEqual({ page: 2, limit: 20, topic: 'rfq.created', status: 'pending', eventId: 'e1' });
    expect(deadLetterQuery(p('status=lost'))).toEqual({ page: 1, limit: 20 });
  });

  it('checks a suspension reason as the API does (3-2000 characters)', () => {
    expect(reasonProblem('  ab ')).toMatch(/at least 3/);
    expect(reasonProblem('abc')).toBeUndefined();
    expect(reasonProblem('x'.repeat(2001))).toMatch(/at most 2000/);
  });
});

const eu: RuleSet = {
  market: 'EU',
  name: 'European Union',
  description: 'EU rules',
  countries: ['DE', 'FR'],
  requiredCertifications: ['HACCP', 'ISO22000'],
  anyOfCertifications: [],
  allergenLabelling: { required: true, allergens: ['gluten', 'tree nuts'] },
  originTracking: { required: true },
  expiryWarningDays: 30,
  version: 4,
};

describe('market rule form', () => {
  it('round-trips a rule set into the PUT body with the expected version', () => {
    expect(bodyOf(formOf(eu), 4)).toEqual({
      name: 'European Union',
      description: 'EU rules',
      countries: ['DE', 'FR'],
      requiredCertifications: ['HACCP', 'ISO22000'],
      anyOfCertifications: [],
      allergenLabelling: { required: true, allergens: ['gluten', 'tree nuts'] },
      originTracking: { required: true },
      expiryWarningDays: 30,
      expectedVersion: 4,
    });
    expect(bodyOf({ ...EMPTY_FORM, name: 'X', expiryWarningDays: '' }, 0)).not.toHaveProperty('expiryWarningDays');
  });

  it('splits countries and allergens', () => {
    expect(countriesOf(' de, fr;DE\nit ')).toEqual(['DE', 'FR', 'IT']);
    expect(allergensOf('gluten, tree nuts\nmilk,,gluten')).toEqual(['gluten', 'tree nuts', 'milk']);
  });

  it('checks the form before sending', () => {
    const problems = checkRuleForm({ ...EMPTY_FORM, name: ' ', countries: 'DE, GER', allergens: 'a"b', expiryWarningDays: '400', requiredCertifications: ['HACCP'], anyOfCertifications: ['HACCP', 'IFS'] });
    expect(Object.keys(problems).sort()).toEqual(['allergens', 'anyOfCertifications', 'countries', 'expiryWarningDays', 'name']);
    expect(problems.countries?.[0]).toContain('GER');
    expect(checkRuleForm(formOf(eu))).toEqual({});
  });

  it('maps the API field paths onto the form controls, naming the item', () => {
    const form = formOf(eu);
    const { fields, other } = ruleFieldErrors(
      { name: ['Is required'], 'allergenLabelling.allergens.1': ['Must match pattern'], 'countries.0': ['Bad'], 'requiredCertifications.0': ['Must be equal to one of the allowed values'], expectedVersion: ['Is required'] },
      form,
    );
    expect(fields.name).toEqual(['Is required']);
    expect(fields.allergens).toEqual(['"tree nuts": Must match pattern']);
    expect(fields.countries).toEqual(['"DE": Bad']);
    expect(fields.requiredCertifications).toEqual(['Item 1: Must be equal to one of the allowed values']);
    expect(other).toEqual(['expectedVersion: Is required']);
  });
});
