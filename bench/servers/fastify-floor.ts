// The floor for any Vigil API route, for bench/auth.ts: a bare Fastify route plus only what the
// product promises on every response — a request id (accepted from the edge or generated), the
// API security headers, and one structured access-log line carrying that id — each done with
// Vigil's own code (the request-id check, the header set, the access log on a pino logger
// writing to /dev/null, as the Vigil bench server's does). No authentication, no authorisation,
// no validation, no metrics, no in-flight accounting: what is left between this and bare Fastify
// is the least any route can cost, so its ratio bounds what an authenticated route can reach.
import Fastify, { LogController } from 'fastify';
import pino from 'pino';
import { API_SECURITY_HEADERS } from '../../src/server/platform/http/security-headers.ts';
import { requestIdFrom } from '../../src/server/platform/http/request-id.ts';
import { createAccessLog } from '../../src/server/platform/log/access-log.ts';
import { createLogger } from '../../src/server/platform/log/create-logger.ts';

const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
const accessLog = createAccessLog(logger);
const app = Fastify({
  loggerInstance: logger,
  genReqId: (request) => requestIdFrom(request.headers['x-request-id']),
  logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
});
app.addHook('onRequest', (request, reply, done) => {
  reply.header('x-request-id', request.id);
  reply.headers(API_SECURITY_HEADERS);
  done();
});
app.addHook('onResponse', (request, reply, done) => {
  accessLog.write({
    requestId: request.id,
    method: request.method,
    url: request.url,
    route: request.routeOptions.url,
    ip: request.ip,
    statusCode: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 1e3) / 1e3,
  });
  done();
});
app.get('/api/floor', async () => ({ ok: true }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
