import { collectDefaultMetrics, Registry } from 'prom-client';

export type Metrics = {
  registry: Registry;
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
};

export const REQUEST_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

type RouteSeries = {
  method: string;
  route: string;
  /** Requests by status code. */
  statuses: Map<number, number>;
  /** Observations per bucket (not cumulative; the exposition adds them up), then +Inf. */
  buckets: number[];
  sum: number;
  count: number;
};

/** A metric prom-client's Registry can expose: what `registry.metrics()` asks of a metric. */
type ExposedMetric = {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: { metricName?: string; labels: Record<string, string>; value: number }[];
  };
  reset(): void;
};

/**
 * The per-request HTTP metrics, counted in plain maps keyed by route and exposed in the
 * Prometheus format at scrape time. prom-client's own Counter and Histogram validate and hash
 * their label objects on every observation — about a microsecond per request on the hot path,
 * which is every request; here an observation is one map lookup and a bucket scan, and the work
 * of formatting moves to the scrape (seconds apart, not microseconds).
 */
function createRequestMetrics(): {
  observe: Metrics['observeRequest'];
  counter: ExposedMetric;
  histogram: ExposedMetric;
} {
  const series = new Map<string, RouteSeries>();
  const observe: Metrics['observeRequest'] = (labels, seconds) => {
    const key = `${labels.method} ${labels.route}`;
    let entry = series.get(key);
    if (!entry) {
      entry = {
        method: labels.method,
        route: labels.route,
        statuses: new Map(),
        buckets: new Array<number>(REQUEST_DURATION_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      series.set(key, entry);
    }
    entry.statuses.set(labels.status, (entry.statuses.get(labels.status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < REQUEST_DURATION_BUCKETS.length && seconds > (REQUEST_DURATION_BUCKETS[bucket] as number))
      bucket += 1;
    entry.buckets[bucket] = (entry.buckets[bucket] as number) + 1;
    entry.sum += seconds;
    entry.count += 1;
  };
  const reset = () => series.clear();
  const counter: ExposedMetric = {
    name: 'vigil_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    type: 'counter',
    aggregator: 'sum',
    get: () => ({
      name: counter.name,
      help: counter.help,
      type: counter.type,
      aggregator: 'sum',
      values: [...series.values()].flatMap(({ method, route, statuses }) =>
        [...statuses].map(([status, value]) => ({ labels: { method, route, status: String(status) }, value })),
      ),
    }),
    reset,
  };
  const histogram: ExposedMetric = {
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern.',
    type: 'histogram',
    aggregator: 'sum',
    get: () => ({
      name: histogram.name,
      help: histogram.help,
      type: histogram.type,
      aggregator: 'sum',
      values: [...series.values()].flatMap(({ method, route, buckets, sum, count }) => {
        let cumulative = 0;
        const bucketValues = buckets.map((observations, index) => {
          cumulative += observations;
          const le = index < REQUEST_DURATION_BUCKETS.length ? String(REQUEST_DURATION_BUCKETS[index]) : '+Inf';
          return { metricName: `${histogram.name}_bucket`, labels: { le, method, route }, value: cumulative };
        });
        return [
          ...bucketValues,
          { metricName: `${histogram.name}_sum`, labels: { method, route }, value: sum },
          { metricName: `${histogram.name}_count`, labels: { method, route }, value: count },
        ];
      }),
    }),
    reset,
  };
  return { observe, counter, histogram };
}

/** One registry per server instance, so several instances in one test process stay apart. */
export function createMetrics(options: { collectProcessMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  const requests = createRequestMetrics();
  // The Registry exposes any object with a metric's shape; its types name only its own classes.
  registry.registerMetric(requests.counter as unknown as Parameters<Registry['registerMetric']>[0]);
  registry.registerMetric(requests.histogram as unknown as Parameters<Registry['registerMetric']>[0]);
  return { registry, observeRequest: requests.observe };
}
