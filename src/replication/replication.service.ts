import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AcceptorStore } from './core/acceptor-store';
import { ChangeFn } from './core/change';
import { Proposer } from './core/proposer';
import { RegisterState } from './core/register';
import { Registers } from './registers';

/** The Registers port, served by this node's CASPaxos proposer under the request timeout. */
@Injectable()
export class ReplicationService extends Registers {
  constructor(
    private readonly proposer: Proposer,
    private readonly localAcceptor: AcceptorStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  change<R>(key: string, change: ChangeFn<R>, deadlineMs = this.deadline()): Promise<R> {
    return this.proposer.change(key, change, deadlineMs);
  }

  read(key: string, deadlineMs = this.deadline()): Promise<RegisterState> {
    return this.proposer.read(key, deadlineMs);
  }

  readIfAgreed(key: string, deadlineMs = this.deadline()): Promise<RegisterState | undefined> {
    return this.proposer.readIfAgreed(key, deadlineMs);
  }

  async readLocal(key: string): Promise<RegisterState> {
    const [reply] = await this.localAcceptor.peek([key]);
    return reply!.state;
  }

  private deadline(): number {
    return Date.now() + this.config.requestTimeoutMs;
  }
}
