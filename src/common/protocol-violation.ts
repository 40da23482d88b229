/**
 * A callee answered something that breaks the transport contract (wrong
 * number of replies, replies for other keys). Treated like "no answer".
 */
export class ProtocolViolationError extends Error {
  override readonly name = 'ProtocolViolationError';
}
