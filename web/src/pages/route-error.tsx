import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { ErrorNotice } from '@/components/ui/feedback';

/** Whatever a page throws ends here, in words, never as a blank page. */
export function RouteError() {
  const error = useRouteError();
  const shown = isRouteErrorResponse(error) ? new Error(`${error.status} ${error.statusText}`) : error;
  return (
    <div className="mx-auto max-w-xl space-y-4 p-6">
      <ErrorNotice error={shown} title="This page ran into a problem" onRetry={() => window.location.reload()} />
      <Link to="/" className="text-sm font-medium text-emerald-800 underline">
        Back to your start page
      </Link>
    </div>
  );
}
