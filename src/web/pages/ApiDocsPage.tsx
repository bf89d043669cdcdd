import { useQuery } from '@tanstack/react-query';
import { Fragment, useDeferredValue, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ChevronRightIcon, ExternalIcon, LockIcon, SearchIcon } from '../components/icons.tsx';
import { SchemaView } from '../components/SchemaView.tsx';
import { Badge, ErrorState, PageHeader, RichText, Skeleton } from '../components/ui.tsx';
import { pluralise } from '../lib/format.ts';
import {
  type ApiDocument,
  type HttpMethod,
  type JsonObject,
  type Operation,
  schemaTypeLabel,
  type TagGroup,
} from '../lib/openapi.ts';
import { openApiQuery } from '../lib/queries.ts';

export function MethodBadge({ method }: { method: HttpMethod }) {
  return <span className={`method method-${method}`}>{method.toUpperCase()}</span>;
}

/** A path with its `{templated}` segments highlighted. */
function PathText({ path }: { path: string }) {
  const parts = path.split(/(\{[^}]+\})/g).filter(Boolean);
  return (
    <span className="path">
      {parts.map((part, index) =>
        part.startsWith('{') ? (
          <span key={index} className="path-param">
            {part}
          </span>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </span>
  );
}

function PermissionPill({ operation }: { operation: Operation }) {
  if (operation.permission) {
    return (
      <span className="permission" title="Permission required" data-testid="api-permission">
        <LockIcon size={12} />
        {operation.permission}
      </span>
    );
  }
  if (operation.explicitlyPublic) return <span className="permission permission-public">public</span>;
  return null;
}

function responseTone(code: string): 'success' | 'info' | 'warning' | 'danger' | 'neutral' {
  if (code.startsWith('2')) return 'success';
  if (code.startsWith('3')) return 'info';
  if (code.startsWith('4')) return 'warning';
  if (code.startsWith('5')) return 'danger';
  return 'neutral';
}

function OperationDetails({ operation, root }: { operation: Operation; root: JsonObject }) {
  return (
    <div className="op-body">
      {operation.description ? (
        <p className="op-description">
          <RichText text={operation.description} />
        </p>
      ) : null}
      <dl className="op-meta">
        <div>
          <dt>Permission</dt>
          <dd>
            {operation.permission ? (
              <span className="mono">{operation.permission}</span>
            ) : operation.explicitlyPublic ? (
              'None — public endpoint'
            ) : (
              <span className="muted">None declared</span>
            )}
          </dd>
        </div>
        {operation.audit ? (
          <div>
            <dt>Audit action</dt>
            <dd className="mono">{operation.audit}</dd>
          </div>
        ) : null}
        {operation.operationId ? (
          <div>
            <dt>Operation ID</dt>
            <dd className="mono">{operation.operationId}</dd>
          </div>
        ) : null}
      </dl>

      <div className="op-section">
        <h4 className="op-section-title">Parameters</h4>
        {operation.parameters.length === 0 ? (
          <p className="muted small">No parameters.</p>
        ) : (
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">In</th>
                <th scope="col">Type</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {operation.parameters.map((param) => (
                <tr key={`${param.in}:${param.name}`}>
                  <td>
                    <span className="mono strong">{param.name}</span>
                    {param.required ? <span className="schema-required">required</span> : null}
                  </td>
                  <td className="muted">{param.in}</td>
                  <td className="mono small">{schemaTypeLabel(root, param.schema)}</td>
                  <td className="muted">{param.description ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      {operation.requestBody ? (
        <div className="op-section">
          <h4 className="op-section-title">
            Request body
            {operation.requestBody.required ? <span className="schema-required">required</span> : null}
          </h4>
          {operation.requestBody.description ? (
            <p className="muted small">{operation.requestBody.description}</p>
          ) : null}
          {operation.requestBody.content.map((content) => (
            <div key={content.mediaType} className="media">
              <div className="media-type">{content.mediaType}</div>
              {content.schema ? <SchemaView root={root} schema={content.schema} /> : null}
            </div>
          ))}
        </div>
      ) : null}

      <div className="op-section">
        <h4 className="op-section-title">Responses</h4>
        {operation.responses.length === 0 ? (
          <p className="muted small">No responses documented.</p>
        ) : (
          <ul className="responses">
            {operation.responses.map((response) => {
              const withSchema = response.content.filter((content) => content.schema);
              return (
                <li key={response.code} className="response" data-testid="api-response">
                  <div className="response-head">
                    <Badge tone={responseTone(response.code)}>{response.code}</Badge>
                    <span className="response-description">{response.description ?? ''}</span>
                    <span className="response-media">
                      {response.content.map((content) => (
                        <span key={content.mediaType} className="media-chip">
                          {content.mediaType}
                        </span>
                      ))}
                    </span>
                  </div>
                  {withSchema.length > 0 ? (
                    <details className="response-schema">
                      <summary className="response-schema-toggle">
                        <ChevronRightIcon size={12} className="disclosure" />
                        Schema
                      </summary>
                      {withSchema.map((content) => (
                        <SchemaView key={content.mediaType} root={root} schema={content.schema} />
                      ))}
                    </details>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </div>
  );
}

function OperationItem({ operation, root }: { operation: Operation; root: JsonObject }) {
  return (
    <li className="op" data-testid="api-endpoint" data-method={operation.method} data-path={operation.path}>
      <details>
        <summary className="op-summary">
          <MethodBadge method={operation.method} />
          <PathText path={operation.path} />
          <span className="op-title">
            {operation.summary ?? <span className="muted">No summary</span>}
            {operation.deprecated ? <Badge tone="warning">deprecated</Badge> : null}
          </span>
          <PermissionPill operation={operation} />
          <ChevronRightIcon size={14} className="disclosure" />
        </summary>
        <OperationDetails operation={operation} root={root} />
      </details>
    </li>
  );
}

function matches(operation: Operation, needle: string): boolean {
  if (!needle) return true;
  return [
    operation.path,
    operation.method,
    operation.summary,
    operation.permission,
    operation.operationId,
    ...operation.tags,
  ]
    .filter((value): value is string => typeof value === 'string')
    .some((value) => value.toLowerCase().includes(needle));
}

function Reference({ doc }: { doc: ApiDocument }) {
  const [filter, setFilter] = useState('');
  const needle = useDeferredValue(filter.trim().toLowerCase());
  const groups = useMemo<TagGroup[]>(
    () =>
      doc.groups
        .map((group) => ({ ...group, operations: group.operations.filter((operation) => matches(operation, needle)) }))
        .filter((group) => group.operations.length > 0),
    [doc, needle],
  );
  const shown = groups.reduce((sum, group) => sum + group.operations.length, 0);

  return (
    <>
      <div className="doc-bar">
        <div className="doc-bar-info">
          <span className="doc-title">{doc.title}</span>
          <Badge tone="neutral">v{doc.version}</Badge>
          <Badge tone="info">OpenAPI {doc.openapi}</Badge>
          <span className="muted small" data-testid="api-endpoint-count">
            {pluralise(doc.operationCount, 'endpoint')}
          </span>
        </div>
        {doc.operationCount > 4 ? (
          <label className="search">
            <SearchIcon size={14} />
            <input
              type="search"
              placeholder="Filter endpoints"
              value={filter}
              onChange={(event) => setFilter(event.target.value)}
              aria-label="Filter endpoints"
              data-testid="api-filter"
            />
          </label>
        ) : null}
      </div>
      {doc.description ? (
        <p className="doc-description">
          <RichText text={doc.description} />
        </p>
      ) : null}

      {doc.operationCount === 0 ? (
        <div className="empty" data-testid="api-empty">
          <div className="empty-title">No endpoints published yet</div>
          <p>The server’s OpenAPI document doesn’t list any paths. Endpoints appear here as they are added.</p>
        </div>
      ) : groups.length === 0 ? (
        <div className="empty">
          <div className="empty-title">No endpoints match “{filter}”</div>
          <p>Try a path fragment such as “deals”, a method, or a permission.</p>
        </div>
      ) : (
        <div className="api-groups" data-shown={shown}>
          {groups.map((group) => (
            <section
              key={group.name}
              className="api-group"
              aria-labelledby={`tag-${group.name}`}
              data-testid="api-tag-group"
            >
              <div className="api-group-head">
                <h2 className="section-title" id={`tag-${group.name}`}>
                  {group.name}
                </h2>
                {group.description ? <p className="section-description">{group.description}</p> : null}
              </div>
              <ul className="ops">
                {group.operations.map((operation) => (
                  <OperationItem key={operation.id} operation={operation} root={doc.raw} />
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </>
  );
}

export function ApiDocsPage() {
  const { data, error, isPending, refetch, isFetching } = useQuery(openApiQuery);
  return (
    <div className="page" data-testid="api-docs-page">
      <PageHeader
        title="API reference"
        description={
          <>
            Every endpoint this server exposes, with the permission it requires. Errors are{' '}
            <Link to="/problems" className="link">
              problem documents
            </Link>{' '}
            (RFC 9457).
          </>
        }
        actions={
          <a href="/api/openapi.json" className="button button-secondary" target="_blank" rel="noopener">
            <ExternalIcon size={14} />
            openapi.json
          </a>
        }
      />
      {isPending ? (
        <div className="ops ops-loading" aria-busy="true" data-testid="api-loading">
          {['a', 'b', 'c', 'd'].map((key) => (
            <div key={key} className="op-skeleton">
              <Skeleton width="sm" />
              <Skeleton width="lg" />
            </div>
          ))}
        </div>
      ) : error ? (
        <ErrorState
          error={error}
          heading="Could not load the API description"
          onRetry={() => void refetch()}
          retrying={isFetching}
          testId="api-error"
        />
      ) : (
        <Reference doc={data} />
      )}
    </div>
  );
}
