import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { SupportDeals } from '../../contracts/support-access.ts';
import { ArrowLeftIcon, BanIcon, LifeBuoyIcon } from '../components/icons.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { TableFooter } from '../components/TableFooter.tsx';
import { Badge, Card, ErrorState, PageHeader, Skeleton } from '../components/ui.tsx';
import { toApiError } from '../lib/api.ts';
import { formatDateTime, formatRelative, pluralise } from '../lib/format.ts';
import { meQuery } from '../lib/queries.ts';
import { supportDealsQuery } from '../lib/support-access.ts';
import { usePages } from './AdminConsolePage.tsx';

function formatAmount(amountMinor: number | null, currency: string | null): string {
  if (amountMinor === null) return '—';
  if (!currency) return (amountMinor / 100).toLocaleString();
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amountMinor / 100);
}

function BackToConsole() {
  return (
    <Link to="/admin" className="button button-secondary button-sm" data-testid="support-back">
      <ArrowLeftIcon size={14} />
      Admin console
    </Link>
  );
}

/** Says, on every screen of it, whose data this is, under which grant and until when. */
function SupportBanner({ data }: { data: SupportDeals }) {
  const { grant } = data;
  // Support staff may need to reach the person who granted access: the email, with the name.
  const grantor = grant.grantedBy
    ? grant.grantedBy.displayName
      ? `${grant.grantedBy.displayName} (${grant.grantedBy.email})`
      : grant.grantedBy.email
    : 'a former member';
  return (
    <div className="banner banner-warning support-banner" role="note" data-testid="support-banner">
      <LifeBuoyIcon size={20} />
      <div className="banner-text">
        <div className="banner-title">
          Support access — expires {formatDateTime(grant.expiresAt)} ({formatRelative(grant.expiresAt)}), granted by{' '}
          {grantor}
        </div>
        <div className="banner-detail">
          “{grant.reason}” · Read-only. Every page you open here is recorded in {data.organisation.name}’s audit log and
          the platform’s.
        </div>
      </div>
      <Badge tone="warning">Read-only</Badge>
    </div>
  );
}

function NoSupportAccess({ orgId }: { orgId: string }) {
  return (
    <div className="centered-state" data-testid="support-not-granted">
      <div className="centered-code">
        <BanIcon size={28} />
      </div>
      <h1 className="centered-title">No support access</h1>
      <p className="centered-text">
        This organisation has not granted support access, or its grant has expired or been revoked. Only one of its
        admins can grant it, from Organisation settings → Support access.
      </p>
      <p className="centered-text muted small mono">{orgId}</p>
      <div className="centered-actions">
        <BackToConsole />
      </div>
    </div>
  );
}

function SupportDeals({ orgId }: { orgId: string }) {
  const pages = usePages();
  const query = useQuery({ ...supportDealsQuery(orgId, pages.cursor), placeholderData: keepPreviousData });
  if (query.error && toApiError(query.error).is('support-access-required')) return <NoSupportAccess orgId={orgId} />;
  return (
    <div className="page" data-testid="support-deals-page">
      <PageHeader
        eyebrow="Platform administration · Support access"
        title={query.data ? `${query.data.organisation.name} — deals` : 'Deals'}
        actions={<BackToConsole />}
      />
      {query.isPending ? (
        <Card className="panel">
          <div className="skeleton-stack">
            <Skeleton width="full" />
            <Skeleton width="lg" />
            <Skeleton width="full" />
          </div>
        </Card>
      ) : query.error ? (
        <ErrorState
          error={query.error}
          heading="Could not load the deals"
          onRetry={() => void query.refetch()}
          retrying={query.isFetching}
        />
      ) : (
        <div className="stack">
          <SupportBanner data={query.data} />
          {query.data.deals.items.length === 0 ? (
            <div className="empty">
              <div className="empty-title">No deals yet</div>
              <p>This organisation has not synced any deals.</p>
            </div>
          ) : (
            <Card className="panel-flush">
              <table className="table" data-testid="support-deals-table">
                <thead>
                  <tr>
                    <th scope="col">Deal</th>
                    <th scope="col">Stage</th>
                    <th scope="col" className="align-right">
                      Amount
                    </th>
                    <th scope="col">Close date</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {query.data.deals.items.map((deal) => (
                    <tr key={deal.id} data-testid="support-deal-row">
                      <td>
                        <div className="strong">{deal.name}</div>
                        <span className="table-sub mono">{deal.id}</span>
                      </td>
                      <td>
                        <Badge>{deal.stage}</Badge>
                      </td>
                      <td className="align-right tabular">{formatAmount(deal.amountMinor, deal.currency)}</td>
                      <td>{deal.closeDate ?? '—'}</td>
                      <td>{deal.ownerName ?? '—'}</td>
                      <td>
                        <time dateTime={deal.updatedAt} title={formatDateTime(deal.updatedAt)}>
                          {formatRelative(deal.updatedAt)}
                        </time>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <TableFooter
                summary={`Page ${pages.page} · ${pluralise(query.data.deals.items.length, 'deal')}`}
                pages={{
                  page: pages.page,
                  nextCursor: query.data.deals.nextCursor,
                  onNext: pages.next,
                  onPrevious: pages.previous,
                  testIdPrefix: 'support-deals',
                }}
              />
            </Card>
          )}
        </div>
      )}
    </div>
  );
}

export function SupportDealsPage() {
  const { orgId = '' } = useParams();
  const { data: me } = useQuery(meQuery);
  if (!me) return <PageSkeleton />;
  if (!me.platformAdmin) {
    return (
      <div className="centered-state" data-testid="admin-forbidden">
        <h1 className="centered-title">Platform administrators only</h1>
      </div>
    );
  }
  return <SupportDeals key={orgId} orgId={orgId} />;
}
