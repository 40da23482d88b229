import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The client request an operation serves, known wherever its work goes on
 * (the HTTP layer sets it around each handler). Its id travels with the
 * operations a node forwards to a peer, so the log lines of one request can
 * be followed from node to node.
 */
export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runInRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The id of the request being served here, if any (background work has none). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
