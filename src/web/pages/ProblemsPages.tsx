import { Link, useParams } from 'react-router';
import { type ProblemCode, problemCodes } from '../../contracts/problem.ts';
import { ArrowLeftIcon, ChevronRightIcon } from '../components/icons.tsx';
import { Badge, Card, PageHeader, RichText, type Tone } from '../components/ui.tsx';

const codes = Object.keys(problemCodes) as ProblemCode[];

function isProblemCode(value: string | undefined): value is ProblemCode {
  return value !== undefined && Object.hasOwn(problemCodes, value);
}

function statusTone(status: number): Tone {
  return status >= 500 ? 'danger' : 'warning';
}

export function ProblemsIndexPage() {
  return (
    <div className="page" data-testid="problems-page">
      <PageHeader
        title="Problem types"
        description={
          <>
            Every error the Vigil API returns is an RFC 9457 problem document whose{' '}
            <code className="inline-code">type</code> is one of these stable URIs. Switch on the type, never on the
            title or detail.
          </>
        }
      />
      <Card className="panel-flush">
        <table className="table table-links">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col" aria-label="Open" />
            </tr>
          </thead>
          <tbody>
            {codes.map((code) => {
              const entry = problemCodes[code];
              return (
                <tr key={code} data-testid="problem-row">
                  <td>
                    <Link to={`/problems/${code}`} className="row-link mono">
                      /problems/{code}
                    </Link>
                  </td>
                  <td>{entry.title}</td>
                  <td>
                    <Badge tone={statusTone(entry.status)}>{entry.status}</Badge>
                  </td>
                  <td className="align-right muted">
                    <ChevronRightIcon size={14} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

export function ProblemPage() {
  const { code } = useParams();

  if (!isProblemCode(code)) {
    return (
      <div className="page" data-testid="problem-not-found">
        <PageHeader
          eyebrow="Problem type"
          title="Unknown problem type"
          description={
            <>
              <code className="inline-code">/problems/{code}</code> is not a problem type the Vigil API defines. It may
              be misspelt, or come from a different service.
            </>
          }
        />
        <Link to="/problems" className="button button-secondary">
          <ArrowLeftIcon size={14} />
          All problem types
        </Link>
      </div>
    );
  }

  const entry = problemCodes[code];
  const example = {
    type: `/problems/${code}`,
    title: entry.title,
    status: entry.status,
    detail: '…a human-readable explanation specific to this occurrence…',
    instance: 'urn:vigil:request:<request-id>',
    ...(code === 'validation-failed' ? { errors: [{ pointer: '/name', message: 'Required' }] } : {}),
  };

  return (
    <div className="page" data-testid="problem-page">
      <PageHeader
        eyebrow={<span className="mono">/problems/{code}</span>}
        title={<span data-testid="problem-title">{entry.title}</span>}
        actions={
          <Badge tone={statusTone(entry.status)} testId="problem-status">
            HTTP {entry.status}
          </Badge>
        }
      />
      <div className="problem-layout">
        <div className="problem-main">
          <Card className="panel">
            <h2 className="panel-title">What it means</h2>
            <p className="prose" data-testid="problem-description">
              <RichText text={entry.description} />
            </p>
          </Card>
          <Card className="panel">
            <h2 className="panel-title">Example response</h2>
            <p className="muted small">
              Sent with <code className="inline-code">Content-Type: application/problem+json</code>. Only{' '}
              <code className="inline-code">type</code>, <code className="inline-code">title</code> and{' '}
              <code className="inline-code">status</code> are always present.
            </p>
            <pre className="code-block">{`HTTP/1.1 ${entry.status} ${entry.title}\n\n${JSON.stringify(example, null, 2)}`}</pre>
          </Card>
        </div>
        <aside className="problem-aside" aria-label="Other problem types">
          <div className="aside-label">All problem types</div>
          <ul className="aside-list">
            {codes.map((other) => (
              <li key={other}>
                <Link
                  to={`/problems/${other}`}
                  className={`aside-link${other === code ? ' is-active' : ''}`}
                  aria-current={other === code ? 'page' : undefined}
                >
                  <span>{problemCodes[other].title}</span>
                  <span className="aside-link-status">{problemCodes[other].status}</span>
                </Link>
              </li>
            ))}
          </ul>
        </aside>
      </div>
    </div>
  );
}
