import type { ReactNode } from 'react';
import { FormError } from './forms.tsx';
import { RefreshIcon } from './icons.tsx';

/** What the footer needs of a TanStack infinite query (the audit log, the delivery log). */
export interface LoadMoreQuery {
  hasNextPage: boolean;
  isFetching: boolean;
  isRefetching: boolean;
  isFetchingNextPage: boolean;
  error: unknown;
  refetch(): Promise<unknown>;
  fetchNextPage(): Promise<unknown>;
}

/** Cursor pages walked one at a time (the admin console's tables). */
export interface PageControls {
  page: number;
  nextCursor: string | null;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
  /** Prefix of the buttons' test ids: `${testIdPrefix}-previous`, `${testIdPrefix}-next`. */
  testIdPrefix: string;
}

/**
 * The bar under a table: how many rows are shown on the left; on the right either Refresh and
 * "Load more" for a list that grows (`query`), or Previous / Next for numbered pages (`pages`).
 * A failed refresh or next page keeps the rows already shown and says what went wrong below them.
 */
export function TableFooter({
  summary,
  summaryTestId,
  query,
  pages,
  loadMoreTestId,
}: {
  summary: ReactNode;
  summaryTestId?: string;
  query?: LoadMoreQuery;
  pages?: PageControls;
  loadMoreTestId?: string;
}) {
  return (
    <>
      <div className="table-footer">
        <span className="muted small" data-testid={summaryTestId}>
          {summary}
        </span>
        <div className="inline-actions">
          {query ? (
            <>
              <button
                type="button"
                className="button button-secondary button-sm"
                onClick={() => void query.refetch()}
                disabled={query.isFetching}
              >
                <RefreshIcon size={13} className={query.isRefetching ? 'spin' : undefined} />
                Refresh
              </button>
              {query.hasNextPage ? (
                <button
                  type="button"
                  className="button button-primary button-sm"
                  onClick={() => void query.fetchNextPage()}
                  disabled={query.isFetchingNextPage}
                  data-testid={loadMoreTestId}
                >
                  {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              ) : null}
            </>
          ) : null}
          {pages ? (
            <>
              <button
                type="button"
                className="button button-secondary button-sm"
                onClick={pages.onPrevious}
                disabled={pages.page === 1}
                data-testid={`${pages.testIdPrefix}-previous`}
              >
                Previous
              </button>
              <button
                type="button"
                className="button button-secondary button-sm"
                onClick={() => pages.nextCursor && pages.onNext(pages.nextCursor)}
                disabled={!pages.nextCursor}
                data-testid={`${pages.testIdPrefix}-next`}
              >
                Next
              </button>
            </>
          ) : null}
        </div>
      </div>
      {query?.error ? (
        <div className="table-footer-error">
          <FormError error={query.error} />
        </div>
      ) : null}
    </>
  );
}
