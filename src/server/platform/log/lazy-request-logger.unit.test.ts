import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LazyRequestLogger } from './lazy-request-logger.ts';

function capture() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info', timestamp: false, base: { name: 'vigil' } },
    { write: (line: string) => lines.push(line) },
  );
  return { logger, lines };
}

describe('LazyRequestLogger', () => {
  it('makes no child for a request that logs nothing, or only below the level', () => {
    const { logger } = capture();
    const child = vi.spyOn(logger, 'child');
    const lazy = new LazyRequestLogger(logger, { requestId: 'r-1' }, {});
    lazy.debug({ detail: 1 }, 'below the level');
    lazy.trace('below the level');
    expect(lazy.level).toBe('info');
    expect(child).not.toHaveBeenCalled();
  });

  it('writes exactly the lines pino’s own child would, making the child once', () => {
    const lazyOut = capture();
    const child = vi.spyOn(lazyOut.logger, 'child');
    const lazy = new LazyRequestLogger(lazyOut.logger, { requestId: 'r-1' }, {});
    lazy.info({ status: 404 }, 'client error');
    lazy.error(new Error('boom'), 'unhandled error');
    lazy.warn('plain message %s', 'with an argument');
    expect(child).toHaveBeenCalledTimes(1);

    const eagerOut = capture();
    const eager = eagerOut.logger.child({ requestId: 'r-1' });
    eager.info({ status: 404 }, 'client error');
    eager.error(new Error('boom'), 'unhandled error');
    eager.warn('plain message %s', 'with an argument');
    const withoutStack = (line: string) => line.replace(/"stack":"[^"]*"/, '"stack":"…"');
    expect(lazyOut.lines.map(withoutStack)).toEqual(eagerOut.lines.map(withoutStack));
    expect(JSON.parse(lazyOut.lines[0] as string)).toMatchObject({
      requestId: 'r-1',
      status: 404,
      msg: 'client error',
    });
  });
});
