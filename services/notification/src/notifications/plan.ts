import { fromMinorUnits, type FoodXchangeEvent } from '@foodxchange/contracts';

/**
 * What each consumed event tells whom: the notification types (also the keys of the e-mail
 * preferences), and for one event the announcements to make, each to the users of a company or
 * to one user. Pure: the recipients' user ids come from the members read model afterwards.
 */
export const NOTIFICATION_TYPES = [
  'welcome',
  'rfq.matched',
  'quote.submitted',
  'rfq.awarded',
  'rfq.lost',
  'rfq.cancelled',
  'order.created',
  'order.confirmed',
  'order.rejected',
  'order.status-changed',
  'company.verified',
  'user.suspended',
  'user.unsuspended',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const SUBJECT_TYPES = ['user', 'rfq', 'quote', 'order', 'company'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** The topics whose events become notifications. */
export const NOTIFYING_TOPICS = [
  'user.registered',
  'rfq.matched',
  'quote.submitted',
  'rfq.awarded',
  'rfq.cancelled',
  'order.created',
  'order.confirmed',
  'order.rejected',
  'order.status-changed',
  'company.verified',
  'user.suspended',
  'user.unsuspended',
] as const;
export type NotifyingTopic = (typeof NOTIFYING_TOPICS)[number];

export type Audience = { companyId: string } | { userId: string; email?: string; name?: string; companyId?: string };

export interface Announcement {
  audience: Audience;
  type: NotificationType;
  title: string;
  body: string;
  /** The resource it is about, as an API path (the web console and e-mails link there). */
  link: string;
  subject: { type: SubjectType; id: string };
}

const money = (minor: number, currency: string) => {
  const amount = fromMinorUnits(minor, currency);
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
};

const rfqLink = (id: string) => `/api/v1/rfqs/${id}`;
const orderLink = (id: string) => `/api/v1/orders/${id}`;
const companyLink = (id: string) => `/api/v1/companies/${id}`;
const quoted = (title: string | undefined, fallback: string) => (title ? `"${title}"` : fallback);

type Planner<T extends NotifyingTopic> = (event: FoodXchangeEvent<T>) => Announcement[];

const PLANNERS: { [T in NotifyingTopic]: Planner<T> } = {
  'user.registered': ({ data }) => [
    {
      audience: { userId: data.userId, email: data.email, name: data.name, ...(data.companyId ? { companyId: data.companyId } : {}) },
      type: 'welcome',
      title: 'Welcome to FoodXchange',
      body: data.company
        ? `Hello ${data.name}, your account for ${data.company.name} is ready.` +
          (data.role === 'buyer' ? ' Post a request for quotation and matched suppliers will quote.' : ' List your products and quote on the RFQs you are matched to.')
        : `Hello ${data.name}, your account is ready.`,
      link: '/api/v1/users/me',
      subject: { type: 'user', id: data.userId },
    },
  ],
  'rfq.matched': ({ data }) =>
    data.matches.map((match) => ({
      audience: { companyId: match.supplierCompanyId },
      type: 'rfq.matched' as const,
      title: `New RFQ matched: ${data.title ?? data.rfqId}`,
      body:
        `Your catalogue fits the request for quotation ${quoted(data.title, data.rfqId)}` +
        (data.deliveryCountry ? ` (delivery to ${data.deliveryCountry})` : '') +
        `: ${match.matchedItemCount ?? match.matchedItems.length} item(s) match.` +
        (data.responseDeadline ? ` Quote before ${data.responseDeadline}.` : ''),
      link: rfqLink(data.rfqId),
      subject: { type: 'rfq' as const, id: data.rfqId },
    })),
  'quote.submitted': ({ data }) => [
    {
      audience: { companyId: data.buyerCompanyId },
      type: 'quote.submitted',
      title: `New quote on ${data.rfqTitle ?? data.rfqId}`,
      body:
        `${data.supplierName ?? 'A supplier'} quoted ${money(data.totalMinor, data.currency)} on ${quoted(data.rfqTitle, data.rfqId)}, ` +
        `lead time ${data.leadTimeDays} day(s), valid until ${data.validUntil}.`,
      link: rfqLink(data.rfqId),
      subject: { type: 'quote', id: data.quoteId },
    },
  ],
  'rfq.awarded': ({ data }) => [
    {
      audience: { companyId: data.supplierCompanyId },
      type: 'rfq.awarded',
      title: `You won ${data.title ?? data.rfqId}`,
      body: `Your quote on ${quoted(data.title, data.rfqId)} was accepted (${money(data.totalMinor, data.currency)}). An order follows once compliance has checked it.`,
      link: rfqLink(data.rfqId),
      subject: { type: 'quote', id: data.quoteId },
    },
    ...(data.rejectedQuotes ?? [])
      .filter((lost) => lost.supplierCompanyId !== data.supplierCompanyId)
      .map((lost) => ({
        audience: { companyId: lost.supplierCompanyId },
        type: 'rfq.lost' as const,
        title: `Not awarded: ${data.title ?? data.rfqId}`,
        body: `The buyer awarded ${quoted(data.title, data.rfqId)} to another supplier; your quote was not accepted.`,
        link: rfqLink(data.rfqId),
        subject: { type: 'quote' as const, id: lost.quoteId },
      })),
  ],
  'rfq.cancelled': ({ data }) =>
    [...new Set(data.matchedSupplierCompanyIds ?? [])].map((supplierCompanyId) => ({
      audience: { companyId: supplierCompanyId },
      type: 'rfq.cancelled' as const,
      title: `RFQ ${data.status === 'expired' ? 'expired' : 'cancelled'}: ${data.title ?? data.rfqId}`,
      body:
        `The request for quotation ${quoted(data.title, data.rfqId)} ${data.status === 'expired' ? 'expired' : 'was cancelled by the buyer'}; it will not be awarded.` +
        (data.reason ? ` Reason: ${data.reason}` : ''),
      link: rfqLink(data.rfqId),
      subject: { type: 'rfq' as const, id: data.rfqId },
    })),
  'order.created': ({ data }) =>
    bothSides(data, {
      type: 'order.created',
      title: `Order ${data.orderNumber ?? data.orderId} created`,
      body: `Order ${data.orderNumber ?? data.orderId} (${money(data.totalMinor, data.currency)}) was created and is being checked against the ${data.market} market's compliance rules.`,
    }),
  'order.confirmed': ({ data }) =>
    bothSides(data, {
      type: 'order.confirmed',
      title: `Order ${data.orderId} confirmed`,
      body:
        `Order ${data.orderId} passed its compliance check${data.market ? ` for the ${data.market} market` : ''} and is confirmed` +
        (data.totalMinor !== undefined && data.currency ? ` (${money(data.totalMinor, data.currency)}).` : '.'),
    }),
  'order.rejected': ({ data }) =>
    bothSides(data, {
      type: 'order.rejected',
      title: `Order ${data.orderId} rejected`,
      body:
        `Order ${data.orderId} failed its compliance check${data.market ? ` for the ${data.market} market` : ''}` +
        (data.violations?.length ? `: ${data.violations.map((violation) => violation.message).slice(0, 3).join('; ')}` : '') +
        (data.violationCount !== undefined ? ` (${data.violationCount} violation(s)).` : '.'),
    }),
  // confirmed and rejected have their own topics (and notifications): told once, not twice.
  'order.status-changed': ({ data }) =>
    data.to === 'confirmed' || data.to === 'rejected'
      ? []
      : bothSides(data, {
          type: 'order.status-changed',
          title: `Order ${data.orderId} ${data.to.replace('_', ' ')}`,
          body: `Order ${data.orderId} moved from ${data.from.replace('_', ' ')} to ${data.to.replace('_', ' ')}.${data.note ? ` Note: ${data.note}` : ''}`,
        }),
  'company.verified': ({ data }) => [
    {
      audience: { companyId: data.companyId },
      type: 'company.verified',
      title: `${data.name} is verified`,
      body: `A platform admin verified ${data.name}. Verified suppliers rank higher in matching.${data.note ? ` Note: ${data.note}` : ''}`,
      link: companyLink(data.companyId),
      subject: { type: 'company', id: data.companyId },
    },
  ],
  'user.suspended': ({ data }) => [
    {
      audience: { userId: data.userId, ...(data.email ? { email: data.email } : {}), ...(data.companyId ? { companyId: data.companyId } : {}) },
      type: 'user.suspended',
      title: 'Your account is suspended',
      body: `Your account was suspended: ${data.reason}.` + (data.until ? ` Until ${data.until}.` : ' Until further notice.'),
      link: '/api/v1/users/me',
      subject: { type: 'user', id: data.userId },
    },
  ],
  'user.unsuspended': ({ data }) => [
    {
      audience: { userId: data.userId, ...(data.email ? { email: data.email } : {}), ...(data.companyId ? { companyId: data.companyId } : {}) },
      type: 'user.unsuspended',
      title: 'Your account is active again',
      body: `The suspension of your account was lifted: ${data.reason}. You may sign in again.`,
      link: '/api/v1/users/me',
      subject: { type: 'user', id: data.userId },
    },
  ],
};

function bothSides(
  data: { orderId: string; buyerCompanyId: string; supplierCompanyId: string },
  text: { type: NotificationType; title: string; body: string },
): Announcement[] {
  const companies = [...new Set([data.buyerCompanyId, data.supplierCompanyId])];
  return companies.map((companyId) => ({ audience: { companyId }, ...text, link: orderLink(data.orderId), subject: { type: 'order', id: data.orderId } }));
}

export function planFor<T extends NotifyingTopic>(topic: T, event: FoodXchangeEvent<T>): Announcement[] {
  return (PLANNERS[topic] as Planner<T>)(event);
}
