import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, REQUEST_DURATION_BUCKETS } from './create-metrics.ts';

const observations = [
  { method: 'GET', route: '/healthz', status: 200, seconds: 0.0004 },
  { method: 'GET', route: '/healthz', status: 200, seconds: 0.001 },
  { method: 'GET', route: '/healthz', status: 503, seconds: 0.02 },
  { method: 'POST', route: '/api/orgs/:orgId/deals', status: 201, seconds: 0.3 },
  { method: 'POST', route: '/api/orgs/:orgId/deals', status: 400, seconds: 7 },
];

/** The same series counted by prom-client's own Counter and Histogram: the reference format. */
async function referenceExposition(): Promise<string> {
  const registry = new Registry();
  const requests = new Counter({
    name: 'vigil_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers: [registry],
  });
  for (const { method, route, status, seconds } of observations) {
    requests.inc({ method, route, status: String(status) });
    duration.observe({ method, route }, seconds);
  }
  return registry.metrics();
}

describe('request metrics', () => {
  it("expose exactly what prom-client's Counter and Histogram would for the same requests", async () => {
    const metrics = createMetrics({ collectProcessMetrics: false });
    for (const { seconds, ...labels } of observations) metrics.observeRequest(labels, seconds);
    const exposition = await metrics.registry.metrics();
    expect(exposition).toBe(await referenceExposition());
    expect(exposition).toContain(
      'vigil_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz"} 2',
    );
    expect(exposition).toContain(
      'vigil_http_requests_total{method="POST",route="/api/orgs/:orgId/deals",status="400"} 1',
    );
  });

  it('start from zero in every registry and after a reset', async () => {
    const first = createMetrics({ collectProcessMetrics: false });
    const second = createMetrics({ collectProcessMetrics: false });
    first.observeRequest({ method: 'GET', route: '/healthz', status: 200 }, 0.002);
    expect(await second.registry.metrics()).not.toContain('route="/healthz"');
    first.registry.resetMetrics();
    expect(await first.registry.metrics()).not.toContain('route="/healthz"');
  });
});
