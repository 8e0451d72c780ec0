import type { ReactNode } from 'react';
import { AlertTriangle, Inbox } from 'lucide-react';
import { messageOf } from '@/api/errors';
import { cn } from '@/lib/cn';
import { Button } from './button';

export function Spinner({ label = 'Loading…', className }: { label?: string; className?: string }) {
  return (
    <div role="status" aria-live="polite" className={cn('flex items-center gap-3 py-8 text-slate-600', className)}>
      <span className="h-5 w-5 animate-spin rounded-full border-2 border-emerald-700 border-r-transparent" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** A failure in words, with a retry when there is something to retry. */
export function ErrorNotice({ error, onRetry, title = 'This could not be loaded' }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div role="alert" className="flex items-start gap-3 rounded-md border border-red-200 bg-red-50 p-4 text-red-900">
      <AlertTriangle className="mt-0.5 h-5 w-5 shrink-0" aria-hidden="true" />
      <div className="space-y-2">
        <p className="font-medium">{title}</p>
        <p className="text-sm">{messageOf(error)}</p>
        {onRetry ? (
          <Button variant="secondary" size="sm" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </div>
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="flex flex-col items-center gap-2 rounded-lg border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <Inbox className="h-8 w-8 text-slate-500" aria-hidden="true" />
      <p className="font-medium text-slate-900">{title}</p>
      {children ? <div className="max-w-md text-sm text-slate-600">{children}</div> : null}
      {action}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  const tones = {
    info: 'border-sky-200 bg-sky-50 text-sky-900',
    success: 'border-emerald-200 bg-emerald-50 text-emerald-900',
    warning: 'border-amber-200 bg-amber-50 text-amber-900',
  };
  return (
    <div role="status" className={cn('rounded-md border p-3 text-sm', tones[tone])}>
      {children}
    </div>
  );
}
