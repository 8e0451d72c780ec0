/** Badge tones and words for the states of RFQs, quotes and orders (DESIGN.md's state machines). */
type Tone = 'neutral' | 'green' | 'amber' | 'red' | 'blue';

const RFQ: Record<string, [Tone, string]> = {
  open: ['blue', 'Open'],
  awarded: ['green', 'Awarded'],
  cancelled: ['neutral', 'Cancelled'],
  expired: ['neutral', 'Expired'],
};
const QUOTE: Record<string, [Tone, string]> = {
  submitted: ['blue', 'Submitted'],
  accepted: ['green', 'Accepted'],
  rejected: ['red', 'Not chosen'],
  withdrawn: ['neutral', 'Withdrawn'],
};
const ORDER: Record<string, [Tone, string]> = {
  pending_compliance: ['amber', 'Compliance check'],
  confirmed: ['blue', 'Confirmed'],
  shipped: ['blue', 'Shipped'],
  delivered: ['green', 'Delivered'],
  rejected: ['red', 'Rejected'],
  cancelled: ['neutral', 'Cancelled'],
};

const of = (table: Record<string, [Tone, string]>, status: string) => {
  const [tone, text] = table[status] ?? ['neutral', status];
  return { tone, text };
};
export const rfqStatus = (status: string) => of(RFQ, status);
export const quoteStatus = (status: string) => of(QUOTE, status);
export const orderStatus = (status: string) => of(ORDER, status);
