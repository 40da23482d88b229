import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NodeMeta } from '../core/node-meta';

/** Also run by the catch-up's switch, in the transaction that moves the copy in (PgCatchUpStaging). */
export const MARK_CAUGHT_UP_SQL = `INSERT INTO node_meta (name, value) VALUES ('caught_up', $1)
  ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`;

/** `NodeMeta` in the node's own PostgreSQL: one row per fact in `node_meta`. */
@Injectable()
export class PgNodeMeta extends NodeMeta {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async nextBoot(): Promise<number> {
    const rows: Array<{ value: string }> = await this.dataSource.query(
      `INSERT INTO node_meta (name, value) VALUES ('boot', '1')
       ON CONFLICT (name) DO UPDATE SET value = (node_meta.value::bigint + 1)::text
       RETURNING value`,
    );
    return Number(rows[0]!.value);
  }

  async incarnation(): Promise<string> {
    await this.dataSource.query(
      `INSERT INTO node_meta (name, value) VALUES ('incarnation', gen_random_uuid()::text) ON CONFLICT (name) DO NOTHING`,
    );
    const incarnation = await this.read('incarnation');
    if (incarnation === undefined) throw new Error('node_meta lost its incarnation row while it was being read');
    return incarnation;
  }

  async hasCaughtUp(incarnation: string): Promise<boolean> {
    return (await this.read('caught_up')) === incarnation;
  }

  async markCaughtUp(incarnation: string): Promise<void> {
    await this.dataSource.query(MARK_CAUGHT_UP_SQL, [incarnation]);
  }

  private async read(name: string): Promise<string | undefined> {
    const rows: Array<{ value: string }> = await this.dataSource.query('SELECT value FROM node_meta WHERE name = $1', [
      name,
    ]);
    return rows[0]?.value;
  }
}
