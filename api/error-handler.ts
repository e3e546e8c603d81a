import type { FastifyError, FastifyInstance } from 'fastify';
import { KilnError } from '../domain/errors';

/** Every error answers `{ error: { code, message } }`: a stable code from the registry, never a stack trace. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | KilnError, request, reply) => {
    if (err instanceof KilnError) {
      if (err.status >= 500) request.log.error({ code: err.code }, err.message);
      return reply.status(err.status).send({ error: { code: err.code, message: err.message } });
    }
    if (err.validation) {
      return reply.status(400).send({ error: { code: 'REQUEST_INVALID', message: err.message } });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error(err);
    return reply.status(status).send({
      error: { code: status === 500 ? 'INTERNAL' : 'REQUEST_INVALID', message: status === 500 ? 'internal error' : err.message },
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } }),
  );
}
