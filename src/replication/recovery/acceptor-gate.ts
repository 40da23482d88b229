import { Injectable } from '@nestjs/common';
import type { DomainError } from '../../common/domain-error';

/** Thrown when this node's acceptor is asked to vote before it may. */
export class AcceptorNotVotingError extends Error implements DomainError {
  readonly code = 'ACCEPTOR_RECOVERING';
  readonly kind = 'unavailable';
  constructor() {
    super('this node is catching up from its peers and does not vote yet');
  }
}

/**
 * Whether this node's acceptor may vote. An acceptor that lost its database
 * has forgotten its promises and the values it accepted; letting it answer
 * before it has caught up from a majority could lose acknowledged writes or
 * let two values be chosen. Closed until the catch-up says otherwise.
 */
@Injectable()
export class AcceptorGate {
  private voting = false;

  get isVoting(): boolean {
    return this.voting;
  }

  open(): void {
    this.voting = true;
  }

  assertVoting(): void {
    if (!this.voting) throw new AcceptorNotVotingError();
  }
}
