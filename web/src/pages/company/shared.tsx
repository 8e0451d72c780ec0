import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { BadgeCheck, Clock } from 'lucide-react';
import { api, unwrap } from '@/api/client';
import { Badge } from '@/components/ui/layout';
import { date, label } from '@/lib/format';
import { standingOf } from './expiry';
import { certificationTypeLabel, type Certification } from './profile-form';

export const companyKey = (id: string) => ['companies', id] as const;

/** GET /companies/{id}: the full view for members and admins, the public one for everyone else. */
export function useCompany(id: string | undefined) {
  return useQuery({
    queryKey: companyKey(id ?? ''),
    queryFn: async () => unwrap(await api.GET('/api/v1/companies/{id}', { params: { path: { id: id! } } })),
    enabled: Boolean(id),
  });
}

/** The taxonomy's labels by slug (groups and leaves), for showing a company's categories. */
export function useCategoryLabels() {
  return useQuery({
    queryKey: ['products', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/categories')),
    staleTime: 60 * 60 * 1000,
    select: (groups) => {
      const labels = new Map<string, string>();
      for (const group of groups) {
        labels.set(group.slug, group.label);
        for (const leaf of group.children) labels.set(leaf.slug, leaf.label);
      }
      return { groups, labels };
    },
  });
}

export function VerificationBadge({ verified, verifiedAt }: { verified: boolean; verifiedAt?: string | undefined }) {
  if (verified) {
    return (
      <Badge tone="green" className="gap-1" title={verifiedAt ? `Verified on ${date(verifiedAt)}` : undefined}>
        <BadgeCheck className="h-3.5 w-3.5" aria-hidden="true" />
        Verified by FoodXchange
      </Badge>
    );
  }
  return (
    <Badge tone="amber" className="gap-1">
      <Clock className="h-3.5 w-3.5" aria-hidden="true" />
      Awaiting verification by FoodXchange
    </Badge>
  );
}

/** A definition list of label → value pairs, two columns from small screens up. */
export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-3 sm:grid-cols-2">
      {items.map(([term, value]) => (
        <div key={term} className="min-w-0">
          <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{term}</dt>
          <dd className="mt-0.5 text-sm break-words text-slate-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Chips({ values, labels, empty }: { values: readonly string[]; labels?: Map<string, string> | undefined; empty: string }) {
  if (!values.length) return <span className="text-slate-600">{empty}</span>;
  return (
    <ul className="flex flex-wrap gap-1.5">
      {values.map((value) => (
        <li key={value}>
          <Badge tone="neutral">{labels?.get(value) ?? label(value)}</Badge>
        </li>
      ))}
    </ul>
  );
}

export function StandingBadge({ certificate, now }: { certificate: Pick<Certification, 'validFrom' | 'validUntil'>; now?: number }) {
  const standing = standingOf(certificate, now);
  return <Badge tone={standing.tone}>{standing.text}</Badge>;
}

export function certificateName(certificate: Pick<Certification, 'type' | 'number'>): string {
  return `${certificationTypeLabel(certificate.type)} ${certificate.number}`;
}
