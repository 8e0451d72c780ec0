import { Button } from './button';

interface Pagination {
  hasNext: boolean;
  hasPrev: boolean;
  totalPages: number;
}

/** Previous / page N of M / Next under a paged list; nothing when everything fits on one page. */
export function Pager({ page, pagination, onPage, label = 'Pages' }: { page: number; pagination: Pagination; onPage: (page: number) => void; label?: string }) {
  if (pagination.totalPages <= 1) return null;
  return (
    <nav className="mt-4 flex items-center justify-between" aria-label={label}>
      <Button variant="secondary" disabled={!pagination.hasPrev} onClick={() => onPage(page - 1)}>
        Previous
      </Button>
      <span className="text-sm text-slate-700">
        Page {page} of {pagination.totalPages}
      </span>
      <Button variant="secondary" disabled={!pagination.hasNext} onClick={() => onPage(page + 1)}>
        Next
      </Button>
    </nav>
  );
}
