import type { ReactNode } from 'react';
import * as Dialog from '@radix-ui/react-dialog';
import { X } from 'lucide-react';
import { RequireRole } from '@/auth/guards';
import { Button } from '@/components/ui/button';

/** Platform admins only: everyone else is sent to their own start page. */
export function AdminOnly({ children }: { children: ReactNode }) {
  return <RequireRole roles={['admin', 'super_admin']}>{children}</RequireRole>;
}

export interface PageInfo {
  page: number;
  totalPages: number;
  total: number;
  hasNext: boolean;
  hasPrev: boolean;
}

/** Previous / next with the position in words; nothing when everything fits on one page. */
export function Pager({ pagination, onPage }: { pagination: PageInfo; onPage: (page: number) => void }) {
  if (pagination.totalPages <= 1) return null;
  return (
    <nav className="mt-4 flex items-center justify-between gap-2" aria-label="Pages">
      <Button variant="secondary" disabled={!pagination.hasPrev} onClick={() => onPage(pagination.page - 1)}>
        Previous
      </Button>
      <span className="text-sm text-slate-700">
        Page {pagination.page} of {pagination.totalPages} ({pagination.total} in all)
      </span>
      <Button variant="secondary" disabled={!pagination.hasNext} onClick={() => onPage(pagination.page + 1)}>
        Next
      </Button>
    </nav>
  );
}

/**
 * A modal with an accessible title and description (Radix traps focus, closes on Escape and
 * returns focus to what opened it).
 */
export function AdminDialog({ open, onOpenChange, title, description, children }: { open: boolean; onOpenChange: (open: boolean) => void; title: string; description: ReactNode; children: ReactNode }) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <Dialog.Content className="fixed top-1/2 left-1/2 z-50 max-h-[90vh] w-[calc(100vw-2rem)] max-w-lg -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-6 shadow-xl">
          <div className="mb-2 flex items-start justify-between gap-4">
            <Dialog.Title className="text-lg font-semibold text-slate-900">{title}</Dialog.Title>
            <Dialog.Close asChild>
              <Button variant="ghost" size="icon" aria-label="Close">
                <X className="h-4 w-4" aria-hidden="true" />
              </Button>
            </Dialog.Close>
          </div>
          <Dialog.Description className="mb-4 text-sm text-slate-700">{description}</Dialog.Description>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** Cancel and confirm at the foot of a dialog (stacked on a phone). */
export function DialogActions({ confirmLabel, onCancel, onConfirm, busy, tone = 'primary', disabled }: { confirmLabel: string; onCancel: () => void; onConfirm?: () => void; busy?: boolean; tone?: 'primary' | 'danger'; disabled?: boolean }) {
  return (
    <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
      <Button type="button" variant="secondary" onClick={onCancel}>
        Cancel
      </Button>
      <Button type={onConfirm ? 'button' : 'submit'} variant={tone} onClick={onConfirm} busy={busy} disabled={disabled}>
        {confirmLabel}
      </Button>
    </div>
  );
}

/** Pre-formatted JSON that scrolls instead of widening the page. */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="max-h-[32rem] overflow-auto rounded-md border border-slate-200 bg-slate-50 p-3 text-xs leading-relaxed text-slate-900" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A term and its value in a details list. */
export function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-600">{term}</dt>
      <dd className="text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

/** The filter form's frame: a row of controls that wraps on a phone, with Apply and Clear. */
export function FilterForm({ label, onSubmit, onClear, children }: { label: string; onSubmit: () => void; onClear: () => void; children: ReactNode }) {
  return (
    <form
      role="search"
      aria-label={label}
      className="mb-4 grid grid-cols-1 gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <div className="flex items-end gap-2 sm:col-span-2 lg:col-span-4">
        <Button type="submit">Apply filters</Button>
        <Button type="button" variant="ghost" onClick={onClear}>
          Clear
        </Button>
      </div>
    </form>
  );
}
