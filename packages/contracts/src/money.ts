/**
 * Money helpers: amounts cross every boundary as integer minor units with an ISO 4217 currency.
 * Converting a decimal request price is done once, exactly, here; totals are integer sums.
 */

const exponents = new Map<string, number>();

/** Minor-unit digits of a currency: EUR 2, JPY 0, KWD 3. Throws RangeError for a non-currency. */
export function currencyExponent(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`${currency} is not an ISO 4217 currency code`);
  let exponent = exponents.get(currency);
  if (exponent === undefined) {
    exponent = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    exponents.set(currency, exponent);
  }
  return exponent;
}

/**
 * A decimal amount (as a request carries it) → integer minor units, exactly: `12.5 EUR` → 1250.
 * Throws RangeError for a negative, non-finite or too precise amount (`12.345 EUR`) rather than
 * rounding money silently.
 */
export function toMinorUnits(amount: number | string, currency: string): number {
  const exponent = currencyExponent(currency);
  const text = typeof amount === 'number' ? numberToPlainString(amount) : amount.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`${String(amount)} is not a non-negative decimal amount`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) {
    throw new RangeError(`${String(amount)} ${currency} has more than ${exponent} decimal place(s)`);
  }
  const minor = Number(`${whole}${fraction.padEnd(exponent, '0')}`);
  if (!Number.isSafeInteger(minor)) throw new RangeError(`${String(amount)} ${currency} is too large`);
  return minor;
}

/** Integer minor units → decimal number for display or an HTTP response: 1250 EUR → 12.5. */
export function fromMinorUnits(minor: number, currency: string): number {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`${minor} is not an integer amount of minor units`);
  return minor / 10 ** currencyExponent(currency);
}

/** Total of a line: quantity (may be fractional) × unit price, rounded half up to a minor unit. */
export function lineTotalMinor(quantity: number, unitPriceMinor: number): number {
  if (!(quantity >= 0) || !Number.isFinite(quantity)) throw new RangeError(`${quantity} is not a quantity`);
  if (!Number.isSafeInteger(unitPriceMinor) || unitPriceMinor < 0) throw new RangeError(`${unitPriceMinor} is not a unit price in minor units`);
  // Scale the quantity to an integer first so 2.5 × 612000 is computed without float drift.
  const text = numberToPlainString(quantity);
  const decimals = (text.split('.')[1] ?? '').length;
  const scaled = BigInt(text.replace('.', '')) * BigInt(unitPriceMinor);
  const divisor = 10n ** BigInt(decimals);
  const total = (scaled * 2n + divisor) / (divisor * 2n);
  const result = Number(total);
  if (!Number.isSafeInteger(result)) throw new RangeError('line total too large');
  return result;
}

/** Sum of integer minor amounts, refusing anything that is not one. */
export function sumMinor(amounts: Iterable<number>): number {
  let total = 0;
  for (const amount of amounts) {
    if (!Number.isSafeInteger(amount)) throw new RangeError(`${amount} is not an integer amount of minor units`);
    total += amount;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('total too large');
  return total;
}

/** A finite non-negative number without exponent notation (1e-7 → "0.0000001"). */
function numberToPlainString(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a non-negative finite amount`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa = '0', exp = '0'] = text.toLowerCase().split('e');
  const power = Number(exp);
  const [int = '0', frac = ''] = mantissa.split('.');
  const digits = `${int}${frac}`;
  const point = int.length + power;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${digits}${'0'.repeat(point - digits.length)}`;
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
