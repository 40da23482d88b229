export { KvClient } from './client';
export type {
  BatchItemResult,
  DeleteOptions,
  GetOptions,
  KvClientOptions,
  ListOptions,
  NodeStatus,
  PutOptions,
  PutResult,
  VersionCondition,
  WatchEvent,
  WatchOptions,
} from './client';
export { KvError, NotFound, PreconditionFailed, RequestRejected, Unavailable } from './errors';
export type * from './wire';
