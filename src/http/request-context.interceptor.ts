import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { runInRequestContext } from '../common/request-context';

/**
 * Runs each HTTP handler inside its request's context (common/request-context),
 * so code far from the controller (KvService, when it forwards an operation)
 * knows which request it serves without every signature carrying the id. The
 * handler is subscribed to inside the context: everything it awaits inherits it.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return new Observable((subscriber) =>
      runInRequestContext({ requestId: request.id }, () => next.handle().subscribe(subscriber)),
    );
  }
}
