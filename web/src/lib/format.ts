/** Money, dates and quantities as a food trader reads them (the browser's locale). */
export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

export function date(value: string | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function dateTime(value: string | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function quantity(amount: number, unit: string): string {
  return `${new Intl.NumberFormat().format(amount)} ${unit}`;
}

/** Whole days from now until `value` (negative when past). */
export function daysUntil(value: string, now = Date.now()): number {
  return Math.floor((new Date(value).getTime() - now) / 86_400_000);
}

export function label(value: string): string {
  const text = value.replace(/[_-]+/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
