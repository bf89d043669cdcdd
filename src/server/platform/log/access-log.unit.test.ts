import { describe, expect, it } from 'vitest';
import { type AccessLogEntry, createAccessLog } from './access-log.ts';
import { createLogger } from './create-logger.ts';

function capture(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

const entry: AccessLogEntry = {
  requestId: 'edge-1234abcd',
  method: 'GET',
  url: '/api/orgs/7/deals?cursor=abc&token=hunter2',
  route: '/api/orgs/:orgId/deals',
  ip: '203.0.113.9',
  statusCode: 200,
  durationMs: 1.234,
};

/** The line pino's general path writes for the same request (the reference). */
function pinoLine(value: AccessLogEntry): unknown {
  const { logger, lines } = capture();
  logger.child({ requestId: value.requestId }).info(
    {
      req: { method: value.method, url: value.url, routeOptions: { url: value.route }, ip: value.ip },
      res: { statusCode: value.statusCode },
      durationMs: value.durationMs,
    },
    'request completed',
  );
  return lines[0];
}

const withoutTime = (line: unknown) => String(line).replace(/"time":"[^"]+"/, '"time":"T"');

describe('access log', () => {
  it("writes the line pino's request logger would, key for key, with secret query values masked", () => {
    const { logger, lines } = capture();
    const accessLog = createAccessLog(logger);
    accessLog.write(entry);
    accessLog.flush();
    expect(lines).toHaveLength(1);
    expect(withoutTime(lines[0])).toBe(withoutTime(pinoLine(entry)));
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'info',
      name: 'vigil',
      requestId: 'edge-1234abcd',
      req: { method: 'GET', url: '/api/orgs/7/deals?cursor=abc&token=%5Bredacted%5D', route: '/api/orgs/:orgId/deals' },
      res: { statusCode: 200 },
      durationMs: 1.234,
      msg: 'request completed',
    });
    expect(lines[0]).not.toContain('hunter2');
  });

  it('leaves out an unmatched route, as pino does, and stays one valid JSON line for hostile URLs', () => {
    const hostile = { ...entry, route: undefined, url: '/x"}\n{"forged":true,"u":"\u2028\\' };
    const { logger, lines } = capture();
    const accessLog = createAccessLog(logger);
    accessLog.write(hostile);
    accessLog.flush();
    expect(withoutTime(lines[0])).toBe(withoutTime(pinoLine(hostile)));
    expect(lines[0]?.trimEnd().split('\n')).toHaveLength(1);
    const parsed = JSON.parse(lines[0] as string) as { req: Record<string, unknown>; forged?: unknown };
    expect(parsed.forged).toBeUndefined();
    expect(parsed.req).not.toHaveProperty('route');
    expect(parsed.req.url).toBe(hostile.url);
  });

  it('writes nothing when the level is above info', () => {
    const { logger, lines } = capture('warn');
    const accessLog = createAccessLog(logger);
    accessLog.write(entry);
    accessLog.flush();
    expect(lines).toHaveLength(0);
  });

  it('writes the lines of one event-loop turn with one write, at the end of the turn', async () => {
    const { logger, lines } = capture();
    const accessLog = createAccessLog(logger);
    accessLog.write(entry);
    accessLog.write({ ...entry, requestId: 'edge-5678efgh', statusCode: 404 });
    expect(lines).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const written = (lines[0] ?? '')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { requestId: string });
    expect(written.map((line) => line.requestId)).toEqual(['edge-1234abcd', 'edge-5678efgh']);
  });
});
