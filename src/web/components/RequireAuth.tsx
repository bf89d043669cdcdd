import { useQuery } from '@tanstack/react-query';
import { Navigate, Outlet, useLocation } from 'react-router';
import { lastSignOutNotice, meQuery } from '../lib/queries.ts';
import { ErrorState, Skeleton } from './ui.tsx';

export function PageSkeleton() {
  return (
    <div className="page" aria-busy="true" data-testid="page-loading">
      <div className="skeleton-stack">
        <Skeleton width="sm" />
        <Skeleton width="md" tall />
        <Skeleton width="lg" />
      </div>
    </div>
  );
}

/** Pages for signed-in users: anyone else is sent to sign in, and brought back afterwards. */
export function RequireAuth() {
  const { data: me, isPending, error, refetch, isFetching } = useQuery(meQuery);
  const location = useLocation();
  if (isPending) return <PageSkeleton />;
  if (error) {
    return (
      <ErrorState
        error={error}
        heading="Could not check your session"
        onRetry={() => void refetch()}
        retrying={isFetching}
      />
    );
  }
  if (!me) {
    const next = `${location.pathname}${location.search}`;
    const notice = lastSignOutNotice();
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace state={notice ? { notice } : null} />;
  }
  return <Outlet />;
}
