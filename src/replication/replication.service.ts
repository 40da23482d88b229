import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AcceptorStore } from './core/acceptor-store';
import { ChangeFn } from './core/change';
import { KeyLister, ListPage } from './core/key-lister';
import { KeyRange } from './core/key-range';
import { Proposer } from './core/proposer';
import { RegisterState } from './core/register';
import { Registers } from './registers';

/** The Registers port, served by this node's CASPaxos proposer under the request timeout. */
@Injectable()
export class ReplicationService extends Registers {
  constructor(
    private readonly proposer: Proposer,
    private readonly lister: KeyLister,
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

  list(range: KeyRange, limit: number, deadlineMs = this.deadline()): Promise<ListPage> {
    return this.lister.list(range, limit, deadlineMs);
  }

  /** The local store lists present rows and unsettled tombstones: the page ends where the store's page ended. */
  async listLocal(range: KeyRange, limit: number): Promise<ListPage> {
    const rows = await this.localAcceptor.list(range, limit);
    return {
      entries: rows.filter((row) => row.state.present),
      next: rows.length === limit ? rows[rows.length - 1]!.key : null,
    };
  }

  private deadline(): number {
    return Date.now() + this.config.requestTimeoutMs;
  }
}
